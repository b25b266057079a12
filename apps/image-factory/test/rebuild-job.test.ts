/**
 * `image-factory rebuild` end to end: a real GitOps remote, the real registry (release times the test controls),
 * and stubs of GitHub and GitLab that check every request. Decisions are committed before any CI is called, each
 * rebuild is triggered once (also when eight jobs race for the same update), and the answers are recorded.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { cli } from './helpers.js';
import { type ForgeStub, startGithubStub, startGitlabStub } from './support/forge-stubs.js';
import {
  commitFiles,
  createRemote,
  git,
  remoteFile,
  remoteFiles,
  remoteSubjects,
  tempDir,
} from './support/git-repos.js';
import { analyze, ENV, rebuildArgs } from './support/gitops-fixtures.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

const TOKEN = 'forge-token-never-printed';
let registry: TestRegistry;
let github: ForgeStub;
let gitlab: ForgeStub;
let remote: string;
let config: string;
let baseName: string;
const p: Record<string, Pushed> = {};

const managed = (name: string, provider: 'github' | 'gitlab', extra: string) =>
  `  - name: ${name}\n    registry: ${registry.host}\n    repository: acme/${name}\n    source:\n      provider: ${provider}\n      repo: acme/${name}\n      dockerfile: apps/${name}/Dockerfile\n${provider === 'github' ? '      workflow: build.yaml\n' : ''}${extra}`;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  github = await startGithubStub(TOKEN);
  gitlab = await startGitlabStub(TOKEN);
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  p.nodeA = await pushImage(registry, 'base/node', '22', { created: '2026-11-01T00:00:00Z', layer: 'a' });
  p.api = await pushImage(registry, 'acme/api', '1.0', { created: '2026-10-01T00:00:00Z' });
  p.web = await pushImage(registry, 'acme/web', '1.0', { created: '2026-11-05T00:00:00Z' });
  p.docs = await pushImage(registry, 'acme/docs', '1.0', { created: '2026-10-02T00:00:00Z' });
  const from = `FROM ${registry.host}/base/node:22\n`;
  remote = createRemote({
    'images.yaml': `images:\n${managed('api', 'github', '      triggerInputs:\n        reason: base image update\n      triggerKeyInput: factory-key\n    rebuildDelay: "0"\n')}${managed('web', 'github', '    rebuildDelay: "0"\n')}${managed('docs', 'gitlab', '    rebuildDelay: 7d\n')}`,
    'apps/api/Dockerfile': from,
    'apps/web/Dockerfile': from,
    'apps/docs/Dockerfile': from,
  });
  for (const name of ['api', 'web', 'docs']) {
    const result = await analyze(remote, name, '1.0', p[name]?.digest ?? '');
    expect(result.stderr).not.toContain('error');
  }
  const [file] = remoteFiles(remote, 'image-factory/state/base-images');
  baseName =
    file
      ?.split('/')
      .pop()
      ?.replace(/\.yaml$/, '') ?? '';
}, 60_000);

afterAll(async () => {
  await github?.close();
  await gitlab?.close();
  await registry?.stop();
});

const rebuild = (...args: string[]) =>
  cli(
    rebuildArgs(
      { remote, registryConfig: config, registryHost: registry.host, githubUrl: github.url, gitlabUrl: gitlab.url },
      ...args,
      '--retry-backoff',
      '50ms',
    ),
    { env: { ...ENV, GITHUB_TOKEN: TOKEN, GITLAB_TOKEN: TOKEN } },
  );
const baseRecord = () => parse(remoteFile(remote, `image-factory/state/base-images/${baseName}.yaml`) ?? '').rebuild;

describe('a base image moves', () => {
  test('decides per dependent, commits, triggers the one due now once, records the answer; nothing printed secret', async () => {
    const result = await rebuild(
      '--base',
      baseName,
      '--digest',
      p.nodeA?.digest ?? '',
      '--now',
      '2026-11-02T00:00:00Z',
    );
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.stdout).not.toContain(TOKEN);
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.decisions.map((d: { image: string; action: string }) => `${d.image} ${d.action}`)).toEqual([
      'api rebuild',
      'docs rebuild',
      'web fresh',
    ]);
    expect(json.triggers).toHaveLength(1);
    const key = json.triggers[0].key;
    expect(key).toMatch(/^api-[0-9a-f]{16}$/);
    // Declared inputs only, and the idempotency key in the input images.yaml names for it.
    const inputs = { reason: 'base image update', 'factory-key': key };
    expect(json.triggers[0]).toMatchObject({
      image: 'api',
      request: {
        method: 'POST',
        url: `${github.url}/repos/acme/api/actions/workflows/build.yaml/dispatches`,
        body: JSON.stringify({ ref: 'main', inputs }),
      },
      outcome: { status: 'triggered', httpStatus: 204 },
    });
    expect(github.requests[0]?.body).toEqual({ ref: 'main', inputs });
    expect(github.requests).toHaveLength(1);
    // The claim was committed before the call, the answer after it.
    expect(remoteSubjects(remote).slice(0, 2)).toEqual([
      'image-factory: record 1 trigger answer(s)',
      `image-factory: ${baseName} is now ${p.nodeA?.digest.slice(0, 19)}`,
    ]);
    const record = baseRecord();
    expect(record.current).toEqual({
      digest: p.nodeA?.digest,
      released: '2026-11-01T00:00:00Z',
      seen: '2026-11-02T00:00:00Z',
    });
    expect(record.pending.map((x: { image: string; due: string }) => [x.image, x.due])).toEqual([
      ['docs', '2026-11-08T00:00:00Z'],
    ]);
    expect(record.history.map((h: { image: string; result: string }) => `${h.image} ${h.result}`)).toEqual([
      'web fresh',
      'api triggered',
    ]);
    expect(record.history[1].key).toBe(json.triggers[0].key);
  });

  test('by reference (what a Kargo Stage passes): the same base; a tag nobody builds on is nothing to do', async () => {
    const before = remoteSubjects(remote).length;
    const same = await rebuild(
      '--reference',
      `${registry.host}/base/node:22`,
      '--digest',
      p.nodeA?.digest ?? '',
      '--now',
      '2026-11-02T00:05:00Z',
    );
    expect(JSON.parse(same.stdout)).toMatchObject({ status: 'unchanged', triggers: [] });
    const other = await rebuild(
      '--reference',
      `${registry.host}/base/node:24`,
      '--digest',
      p.nodeA?.digest ?? '',
      '--now',
      '2026-11-02T00:05:00Z',
    );
    expect(JSON.parse(other.stdout)).toEqual({
      status: 'unchanged',
      decisions: [],
      triggers: [],
      skipped: [],
      commits: [],
    });
    expect(remoteSubjects(remote).length).toBe(before);
    expect((await rebuild('--reference', 'a', '--base', 'b', '--digest', p.nodeA?.digest ?? '')).status).toBe(2);
  });

  test('the same update again records and triggers nothing', async () => {
    const before = remoteSubjects(remote).length;
    const result = await rebuild(
      '--base',
      baseName,
      '--digest',
      p.nodeA?.digest ?? '',
      '--now',
      '2026-11-02T00:10:00Z',
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'unchanged', triggers: [] });
    expect(remoteSubjects(remote).length).toBe(before);
    expect(github.requests).toHaveLength(1);
  });
});

describe('rebuild --due', () => {
  test('nothing before its time; at its time once (GitLab); a second sweep at the same --now commits nothing', async () => {
    expect(JSON.parse((await rebuild('--due', '--now', '2026-11-07T23:59:59Z')).stdout)).toMatchObject({
      status: 'unchanged',
      triggers: [],
    });
    const due = JSON.parse((await rebuild('--due', '--now', '2026-11-08T00:00:00Z')).stdout);
    expect(due.triggers).toMatchObject([
      {
        image: 'docs',
        request: { url: `${gitlab.url}/api/v4/projects/acme%2Fdocs/pipeline?ref=main` },
        outcome: { status: 'triggered', httpStatus: 201 },
      },
    ]);
    expect(gitlab.requests).toHaveLength(1);
    const before = remoteSubjects(remote).length;
    expect(JSON.parse((await rebuild('--due', '--now', '2026-11-08T00:00:00Z')).stdout)).toMatchObject({
      status: 'unchanged',
      triggers: [],
    });
    expect(remoteSubjects(remote).length).toBe(before);
    expect(gitlab.requests).toHaveLength(1);
  });

  test('--dry-run prints the exact request and commits nothing', async () => {
    const next = await pushImage(registry, 'base/node', '22', { created: '2026-11-09T00:00:00Z', layer: 'dry' });
    const before = remoteSubjects(remote).length;
    const result = JSON.parse(
      (await rebuild('--base', baseName, '--digest', next.digest, '--now', '2026-11-09T01:00:00Z', '--dry-run')).stdout,
    );
    expect(result.status).toBe('dry-run');
    // web was built before this digest's release: not fresh this time.
    expect(
      result.triggers.map((t: { image: string; request: { url: string }; outcome: null }) => [
        t.image,
        t.request.url,
        t.outcome,
      ]),
    ).toEqual([
      ['api', `${github.url}/repos/acme/api/actions/workflows/build.yaml/dispatches`, null],
      ['web', `${github.url}/repos/acme/web/actions/workflows/build.yaml/dispatches`, null],
    ]);
    expect(remoteSubjects(remote).length).toBe(before);
    expect(github.requests).toHaveLength(1);
  });
});

test('eight jobs for the same update: each dependent triggered once', async () => {
  const next = await pushImage(registry, 'base/node', '22', { created: '2026-11-10T00:00:00Z', layer: 'race' });
  const githubBefore = github.requests.length;
  const results = await Promise.all(
    Array.from({ length: 8 }, () =>
      rebuild('--base', baseName, '--digest', next.digest, '--now', '2026-11-11T00:00:00Z'),
    ),
  );
  for (const r of results) expect(r.status, r.stderr).toBe(0);
  const triggered = results.flatMap((r) => JSON.parse(r.stdout).triggers.map((t: { image: string }) => t.image));
  expect(triggered.sort()).toEqual(['api', 'web']);
  expect(github.requests.length - githubBefore).toBe(2);
  const record = baseRecord();
  expect(record.latest ?? record.current).toMatchObject({ digest: next.digest });
  expect(record.pending.map((x: { image: string; since: string }) => [x.image, x.since])).toEqual([
    ['docs', '2026-11-10T00:00:00Z'],
  ]);
}, 120_000);

test('a refused trigger is recorded with the forge message (exit 0) and shown by status with the pending rebuilds', async () => {
  const next = await pushImage(registry, 'base/node', '22', { created: '2026-11-12T00:00:00Z', layer: 'refused' });
  github.answers.push({ status: 422, body: { message: 'Workflow does not have workflow_dispatch trigger' } });
  const result = await rebuild('--base', baseName, '--digest', next.digest, '--now', '2026-11-12T06:00:00Z');
  expect(result.status).toBe(0);
  const triggers = JSON.parse(result.stdout).triggers;
  expect(triggers.map((t: { image: string; outcome: { status: string } }) => [t.image, t.outcome.status])).toEqual([
    ['api', 'failed'],
    ['web', 'triggered'],
  ]);
  const checkout = tempDir('if-checkout-');
  git(checkout, 'clone', '--quiet', remote, '.');
  const status = await cli(['status', '--root', checkout, '--json']);
  const { rebuilds } = JSON.parse(status.stdout);
  expect(rebuilds.failed).toEqual([
    { image: 'api', at: '2026-11-12T06:00:00Z', answer: 'Workflow does not have workflow_dispatch trigger' },
  ]);
  expect(rebuilds.pending).toMatchObject([{ image: 'docs', due: '2026-11-17T00:00:00Z', urgent: false, waitFor: [] }]);
  const text = await cli(['status', '--root', checkout]);
  expect(text.stdout).toContain('  docs: due 2026-11-17T00:00:00Z');
  expect(text.stdout).toContain(
    '  api: trigger failed 2026-11-12T06:00:00Z: Workflow does not have workflow_dispatch trigger',
  );
});

test('a refused trigger is not retried by later sweeps, until images.yaml changes what it sends (then once)', async () => {
  const before = github.requests.length;
  expect(JSON.parse((await rebuild('--due', '--now', '2026-11-12T07:00:00Z')).stdout).triggers).toEqual([]);
  const yaml = remoteFile(remote, 'images.yaml') ?? '';
  commitFiles(
    remote,
    {
      'images.yaml': yaml.replace(
        'workflow: build.yaml\n      triggerInputs',
        'workflow: rebuild.yaml\n      triggerInputs',
      ),
    },
    'fix the workflow name',
  );
  const retried = JSON.parse((await rebuild('--due', '--now', '2026-11-12T08:00:00Z')).stdout);
  expect(retried.triggers).toMatchObject([
    {
      image: 'api',
      request: { url: `${github.url}/repos/acme/api/actions/workflows/rebuild.yaml/dispatches` },
      outcome: { status: 'triggered' },
    },
  ]);
  expect(JSON.parse((await rebuild('--due', '--now', '2026-11-12T09:00:00Z')).stdout).triggers).toEqual([]);
  expect(github.requests.length - before).toBe(1);
  expect(
    baseRecord()
      .history.filter((h: { image: string }) => h.image === 'api')
      .map((h: { result: string }) => h.result)
      .slice(-2),
  ).toEqual(['requeued', 'triggered']);
});

test('status --live reads the release times the rebuild recorded: the base costs its HEAD and no GET', async () => {
  const checkout = tempDir('if-checkout-');
  git(checkout, 'clone', '--quiet', remote, '.');
  const before = registry.requests().length;
  const live = await cli([
    'status',
    '--live',
    '--json',
    '--root',
    checkout,
    '--registry-config',
    config,
    '--insecure-registry',
    registry.host,
  ]);
  await new Promise((r) => setTimeout(r, 200));
  const json = JSON.parse(live.stdout);
  expect(json.baseImages).toMatchObject([{ name: baseName, released: '2026-11-12T00:00:00Z', error: null }]);
  const onBase = registry
    .requests()
    .slice(before)
    .filter((r) => r.uri.startsWith('/v2/base/node/'));
  expect(onBase.map((r) => r.method)).toEqual(['HEAD']);
});

test('a Trivy report showing the new digest fixes a CRITICAL vulnerability of the current one: due at once', async () => {
  const next = await pushImage(registry, 'base/node', '22', { created: '2026-11-13T00:00:00Z', layer: 'urgent' });
  const current = baseRecord().current.digest;
  const dir = tempDir('if-trivy-');
  const report = (digest: string, critical: string[]) => {
    const file = join(dir, `${digest.slice(7, 19)}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        SchemaVersion: 2,
        ArtifactName: `${registry.host}/base/node:22`,
        ArtifactType: 'container_image',
        Metadata: { RepoDigests: [`${registry.host}/base/node@${digest}`] },
        Results: [
          {
            Target: 'base/node (debian 12.8)',
            Class: 'os-pkgs',
            Type: 'debian',
            Vulnerabilities: critical.map((id) => ({
              VulnerabilityID: id,
              PkgName: 'libssl3',
              InstalledVersion: '3.0.15-1',
              Severity: 'CRITICAL',
            })),
          },
        ],
      }),
    );
    return file;
  };
  const gitlabBefore = gitlab.requests.length;
  const result = await rebuild(
    '--base',
    baseName,
    '--digest',
    next.digest,
    '--now',
    '2026-11-13T01:00:00Z',
    '--vulnerability-report',
    report(next.digest, []),
    '--vulnerability-report',
    report(current, ['CVE-2026-0001']),
  );
  const json = JSON.parse(result.stdout);
  // docs has a 7-day delay; the fix makes it (and api, web) due now.
  expect(json.decisions.find((d: { image: string }) => d.image === 'docs')).toMatchObject({
    urgent: true,
    due: '2026-11-13T01:00:00Z',
  });
  expect(json.triggers.map((t: { image: string }) => t.image)).toContain('docs');
  expect(gitlab.requests.length - gitlabBefore).toBe(1);
  expect(result.stderr).toContain('fixes CRITICAL CVE-2026-0001');
});
