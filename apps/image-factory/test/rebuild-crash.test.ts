/**
 * kill -9 at each step of a rebuild (README "Delivery: what is once, what is at-least-once"): the rebuild runs as
 * its own process, as the Kargo verification Job runs it, against a real GitOps remote, the real registry and the
 * GitHub stub; a git hook in the remote holds a push open so the process is killed (its whole process group:
 * git and its hooks too) exactly between two steps. After each kill, nothing secret is in git or in what the
 * process printed, no decision is lost, and the next sweep heals it: sent again with the same key, or, when the CI
 * had already started a run for that key, recorded without a second send.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { CLI, cli, PACKAGE_ROOT } from './helpers.js';
import { startGithubStub } from './support/forge-stubs.js';
import { createRemote, git, remoteFile, remoteFiles, tempDir } from './support/git-repos.js';
import { analyze, ENV, rebuildArgs } from './support/gitops-fixtures.js';
import {
  basicAuthEntry,
  dockerConfig,
  PASSWORD,
  type Pushed,
  pushImage,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

const TOKEN = 'ghp_crashTestTokenNeverStoredAnywhere0';
const KEY_INPUT = 'factory_key';
let registry: TestRegistry;
let config: string;
let base: Pushed;
let app: Pushed;
const T0 = '2026-11-02T00:00:00Z';
const at = (iso: string) => Date.parse(iso);

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  base = await pushImage(registry, 'base/node', '22', { created: '2026-11-01T00:00:00Z', layer: 'crash-a' });
  app = await pushImage(registry, 'acme/app', '1.0', { created: '2026-10-01T00:00:00Z', layer: 'crash-app' });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

/** A fresh world per test: its own remote (app analysed on base/node:22) and its own GitHub stub. */
async function world(now: () => number) {
  const github = await startGithubStub(TOKEN, {
    now,
    workflows: { 'acme/app/build.yaml': { inputs: [KEY_INPUT], runName: `rebuild \${{ inputs.${KEY_INPUT} }}` } },
  });
  const remote = createRemote({
    'images.yaml': `images:\n  - name: app\n    registry: ${registry.host}\n    repository: acme/app\n    source:\n      provider: github\n      repo: acme/app\n      dockerfile: app/Dockerfile\n      workflow: build.yaml\n      triggerKeyInput: ${KEY_INPUT}\n    rebuildDelay: "0"\n`,
    'app/Dockerfile': `FROM ${registry.host}/base/node:22\n`,
  });
  const analysed = await analyze(remote, 'app', '1.0', app.digest);
  expect(analysed.status, analysed.stderr).toBe(0);
  const [file] = remoteFiles(remote, 'image-factory/state/base-images');
  const baseFile = file ?? '';
  const args = (...more: string[]) =>
    rebuildArgs({ remote, registryConfig: config, registryHost: registry.host, githubUrl: github.url }, ...more);
  const record = () => parse(remoteFile(remote, baseFile) ?? '').rebuild;
  return { github, remote, args, record };
}

/**
 * Hold the `push`-th push to the remote open in `hook` (pre-receive: before the branch moves; post-receive: after)
 * and report when it is held.
 */
function holdPush(remote: string, hook: 'pre-receive' | 'post-receive', push: number) {
  const dir = tempDir('if-hook-');
  const counter = join(dir, 'count');
  const held = join(dir, 'held');
  const script = join(remote, 'hooks', hook);
  writeFileSync(
    script,
    `#!/bin/sh\ncat >/dev/null\nn=$(($(cat "${counter}" 2>/dev/null || echo 0) + 1))\necho $n > "${counter}"\nif [ "$n" = "${push}" ]; then touch "${held}"; sleep 60; fi\nexit 0\n`,
  );
  chmodSync(script, 0o755);
  return { held, release: () => rmSync(script) };
}

/** Start the CLI as its own process group (git and hooks included), as a Job's container runs it. */
function start(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, ...ENV, GITHUB_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  return { child, output: () => output };
}

/** Wait until `path` exists (the hook holds the push), then kill -9 the process group; resolves once it is gone. */
async function killWhen(path: string, run: { child: ChildProcess }) {
  const deadline = Date.now() + 30_000;
  while (!existsSync(path)) {
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error('the push was never held');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const gone = new Promise((resolve) => run.child.on('close', resolve));
  if (run.child.pid !== undefined) process.kill(-run.child.pid, 'SIGKILL');
  await gone;
}

/** Every byte ever committed to the remote (all commits, all files, all messages). */
const everything = (remote: string) => git(remote, 'log', '-p', '--all', '--format=%H%n%B');

describe('kill -9 at each step of a rebuild', () => {
  test('during the claim push (not accepted): nothing recorded; the Stage’s retry does it all, once', async () => {
    let clock = at(T0);
    const w = await world(() => clock);
    const hold = holdPush(w.remote, 'pre-receive', 1);
    const run = start(w.args('--reference', `${registry.host}/base/node:22`, '--digest', base.digest, '--now', T0));
    await killWhen(hold.held, run);
    hold.release();
    expect(w.record()).toBeUndefined();
    expect(w.github.requests).toEqual([]);
    // The AnalysisRun's retry runs the same command again.
    clock = at(T0) + 60_000;
    const again = await cli(
      w.args('--reference', `${registry.host}/base/node:22`, '--digest', base.digest, '--now', '2026-11-02T00:01:00Z'),
      { env: { ...ENV, GITHUB_TOKEN: TOKEN } },
    );
    expect(again.status, again.stderr).toBe(0);
    expect(w.github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(w.record().history.map((h: { result: string }) => h.result)).toEqual(['triggered']);
    expect(`${everything(w.remote)}${run.output()}${again.stdout}${again.stderr}`).not.toMatch(
      new RegExp(`${TOKEN}|${PASSWORD}`),
    );
    await w.github.close();
  });

  test('after the claim push, before the CI call: the sweep after the claim timeout sends it, same key, once', async () => {
    let clock = at(T0);
    const w = await world(() => clock);
    const hold = holdPush(w.remote, 'post-receive', 1);
    const run = start(w.args('--reference', `${registry.host}/base/node:22`, '--digest', base.digest, '--now', T0));
    await killWhen(hold.held, run);
    hold.release();
    const [claim] = w.record().claims;
    expect(claim).toMatchObject({ image: 'app', claimedAt: T0, sends: 1 });
    expect(w.github.requests).toEqual([]);

    // Before the timeout (two hours): the claim may still be answered by its job; nothing is sent.
    clock = at('2026-11-02T01:59:00Z');
    const early = await cli(w.args('--due', '--now', '2026-11-02T01:59:00Z'), { env: { ...ENV, GITHUB_TOKEN: TOKEN } });
    expect(JSON.parse(early.stdout).triggers).toEqual([]);
    clock = at('2026-11-02T02:00:00Z');
    const sweep = await cli(w.args('--due', '--now', '2026-11-02T02:00:00Z'), { env: { ...ENV, GITHUB_TOKEN: TOKEN } });
    expect(sweep.status, sweep.stderr).toBe(0);
    const dispatches = w.github.requests.filter((r) => r.method === 'POST');
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]?.body).toMatchObject({ inputs: { [KEY_INPUT]: claim.key } });
    // It looked for a run with the key first.
    expect(w.github.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    const record = w.record();
    expect(record.claims).toBeUndefined();
    expect(record.history.at(-1)).toMatchObject({ result: 'triggered', key: claim.key });
    expect(`${everything(w.remote)}${run.output()}${sweep.stdout}${sweep.stderr}`).not.toMatch(
      new RegExp(`${TOKEN}|${PASSWORD}`),
    );
    await w.github.close();
  });

  test('after the CI started the run, before its answer was recorded: found by its key, not sent again', async () => {
    let clock = at(T0);
    const w = await world(() => clock);
    const hold = holdPush(w.remote, 'pre-receive', 2);
    const run = start(w.args('--reference', `${registry.host}/base/node:22`, '--digest', base.digest, '--now', T0));
    await killWhen(hold.held, run);
    hold.release();
    const [claim] = w.record().claims;
    expect(claim).toMatchObject({ image: 'app', sends: 1 });
    expect(w.github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(w.github.runs.map((r) => r.display_title)).toEqual([`rebuild ${claim.key}`]);

    clock = at('2026-11-02T02:00:00Z');
    const sweep = await cli(w.args('--due', '--now', '2026-11-02T02:00:00Z'), { env: { ...ENV, GITHUB_TOKEN: TOKEN } });
    expect(sweep.status, sweep.stderr).toBe(0);
    expect(w.github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    const record = w.record();
    expect(record.claims).toBeUndefined();
    expect(record.history.at(-1)).toMatchObject({
      result: 'triggered',
      key: claim.key,
      run: w.github.runs[0]?.html_url,
    });
    // A second sweep finds nothing owed.
    const quiet = await cli(w.args('--due', '--now', '2026-11-02T05:00:00Z'), { env: { ...ENV, GITHUB_TOKEN: TOKEN } });
    expect(JSON.parse(quiet.stdout)).toMatchObject({ status: 'unchanged', triggers: [] });
    expect(`${everything(w.remote)}${run.output()}${sweep.stdout}${sweep.stderr}`).not.toMatch(
      new RegExp(`${TOKEN}|${PASSWORD}`),
    );
    await w.github.close();
  });
});
