/**
 * `image-factory rebuild` end to end: a real GitOps remote, the real registry (release times the test controls),
 * and stubs of GitHub and GitLab that check every request. Decisions are committed before any CI is called, each
 * rebuild is triggered once (also when eight jobs race for the same update), and the answers are recorded.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cli } from './helpers.js';
import { startGithubStub, startGitlabStub } from './support/forge-stubs.js';
import { commitFiles, createRemote, remoteFile, remoteSubjects, tempDir } from './support/git-repos.js';
import { analyze } from './support/gitops-fixtures.js';
import {
  baseRecord,
  checkoutOf,
  closedAfterEach,
  copyOf,
  onlyBaseName,
  rebuildRunner,
} from './support/rebuild-world.js';
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
/** The GitOps remote every test starts from: api, web and docs analysed on base/node:22, nothing decided yet. */
let template: string;
let config: string;
let baseName: string;
const p: Record<string, Pushed> = {};

const managed = (name: string, provider: 'github' | 'gitlab', extra: string) =>
  `  - name: ${name}\n    registry: ${registry.host}\n    repository: acme/${name}\n    source:\n      provider: ${provider}\n      repo: acme/${name}\n      dockerfile: apps/${name}/Dockerfile\n${provider === 'github' ? '      workflow: build.yaml\n' : ''}${extra}`;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  // base/node:22 stays at nodeA for the whole file: each test that needs a newer digest pushes it under a tag of
  // its own, so that no test's sweep finds a move another test made.
  p.nodeA = await pushImage(registry, 'base/node', '22', { created: '2026-11-01T00:00:00Z', layer: 'a' });
  p.api = await pushImage(registry, 'acme/api', '1.0', { created: '2026-10-01T00:00:00Z' });
  p.web = await pushImage(registry, 'acme/web', '1.0', { created: '2026-11-05T00:00:00Z' });
  p.docs = await pushImage(registry, 'acme/docs', '1.0', { created: '2026-10-02T00:00:00Z' });
  const from = `FROM ${registry.host}/base/node:22\n`;
  template = createRemote({
    'images.yaml': `images:\n${managed('api', 'github', '      triggerInputs:\n        reason: base image update\n      triggerKeyInput: factory-key\n    rebuildDelay: "0"\n')}${managed('web', 'github', '    rebuildDelay: "0"\n')}${managed('docs', 'gitlab', '    rebuildDelay: 7d\n')}`,
    'apps/api/Dockerfile': from,
    'apps/web/Dockerfile': from,
    'apps/docs/Dockerfile': from,
  });
  for (const name of ['api', 'web', 'docs']) {
    const result = await analyze(template, name, '1.0', p[name]?.digest ?? '');
    expect(result.stderr).not.toContain('error');
  }
  baseName = onlyBaseName(template);
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

/** The workflows of the acme repositories as their YAML declares them (GitHub answers 422 to undeclared inputs). */
const WORKFLOWS = {
  'acme/api/build.yaml': { inputs: ['reason', 'factory-key'] },
  'acme/api/rebuild.yaml': { inputs: ['reason', 'factory-key'] },
  'acme/web/build.yaml': {},
};

/** A world of its own for one test: a copy of the template remote and fresh GitHub and GitLab stubs. */
async function world() {
  const remote = copyOf(template, 'if-remote-');
  const github = await startGithubStub(TOKEN, { workflows: WORKFLOWS });
  const gitlab = await startGitlabStub(TOKEN);
  worlds.push(github, gitlab);
  const rebuild = rebuildRunner({
    remote,
    registryConfig: config,
    registryHost: registry.host,
    githubUrl: github.url,
    gitlabUrl: gitlab.url,
    token: TOKEN,
    extra: ['--retry-backoff', '50ms'],
  });
  /** The update a Stage reports first in most tests: base/node:22 at nodeA, seen on Nov 2. */
  const nodeA = async () => {
    const result = await rebuild(
      '--base',
      baseName,
      '--digest',
      p.nodeA?.digest ?? '',
      '--now',
      '2026-11-02T00:00:00Z',
    );
    expect(result.status, result.stderr).toBe(0);
    return result.json;
  };
  return { remote, github, gitlab, rebuild, baseRecord: () => baseRecord(remote, baseName), nodeA };
}
const worlds = closedAfterEach();

describe('a base image moves', () => {
  test('decides per dependent, commits, triggers the one due now once, records the answer; nothing printed secret', async () => {
    const w = await world();
    const result = await w.rebuild(
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
    // Declared inputs only, the idempotency key in the input images.yaml names for it, and the run asked for.
    const inputs = { reason: 'base image update', 'factory-key': key };
    const body = { ref: 'main', inputs, return_run_details: true };
    expect(json.triggers[0]).toMatchObject({
      image: 'api',
      request: {
        method: 'POST',
        url: `${w.github.url}/repos/acme/api/actions/workflows/build.yaml/dispatches`,
        body: JSON.stringify(body),
      },
      outcome: { status: 'triggered', httpStatus: 200 },
    });
    expect(w.github.requests.map((r) => r.body)).toEqual([body]);
    // The claim was committed before the call, the answer after it.
    expect(remoteSubjects(w.remote).slice(0, 2)).toEqual([
      'image-factory: record 1 trigger answer(s)',
      `image-factory: ${baseName} is now ${p.nodeA?.digest.slice(0, 19)}`,
    ]);
    const record = w.baseRecord();
    expect(record.current).toEqual({
      digest: p.nodeA?.digest,
      released: '2026-11-01T00:00:00Z',
      seen: '2026-11-02T00:00:00Z',
    });
    expect(record.pending.map((x: { image: string; due: string }) => [x.image, x.due])).toEqual([
      ['docs', '2026-11-08T00:00:00Z'],
    ]);
    expect(record.claims).toBeUndefined();
    expect(record.history.map((h: { image: string; result: string }) => `${h.image} ${h.result}`)).toEqual([
      'web fresh',
      'api triggered',
    ]);
    expect(record.history[1]).toMatchObject({ key, run: w.github.runs[0]?.html_url });
  });

  test('by reference (what a Kargo Stage passes): the same base; again: nothing; a tag nobody builds on: nothing', async () => {
    const w = await w0();
    const first = await w.rebuild(
      '--reference',
      `${registry.host}/base/node:22`,
      '--digest',
      p.nodeA?.digest ?? '',
      '--now',
      '2026-11-02T00:00:00Z',
    );
    expect(JSON.parse(first.stdout).triggers.map((t: { image: string }) => t.image)).toEqual(['api']);
    const before = remoteSubjects(w.remote).length;
    const same = await w.rebuild(
      '--reference',
      `${registry.host}/base/node:22`,
      '--digest',
      p.nodeA?.digest ?? '',
      '--now',
      '2026-11-02T00:05:00Z',
    );
    expect(JSON.parse(same.stdout)).toMatchObject({ status: 'unchanged', triggers: [] });
    const other = await w.rebuild(
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
      healed: [],
      unreachable: [],
    });
    expect(remoteSubjects(w.remote).length).toBe(before);
    expect(w.github.requests).toHaveLength(1);
    expect((await w.rebuild('--reference', 'a', '--base', 'b', '--digest', p.nodeA?.digest ?? '')).status).toBe(2);
  });
});

/** A world whose base update (nodeA, seen Nov 2) is already recorded: api triggered, docs pending until Nov 8. */
async function w0() {
  return world();
}
async function afterNodeA() {
  const w = await world();
  await w.nodeA();
  return w;
}

describe('rebuild --due', () => {
  test('nothing before its time; at its time once (GitLab); a second sweep at the same --now commits nothing', async () => {
    const w = await afterNodeA();
    expect(JSON.parse((await w.rebuild('--due', '--now', '2026-11-07T23:59:59Z')).stdout)).toMatchObject({
      status: 'unchanged',
      triggers: [],
      healed: [],
    });
    const due = JSON.parse((await w.rebuild('--due', '--now', '2026-11-08T00:00:00Z')).stdout);
    expect(due.triggers).toMatchObject([
      {
        image: 'docs',
        request: { url: `${w.gitlab.url}/api/v4/projects/acme%2Fdocs/pipeline?ref=main` },
        outcome: { status: 'triggered', httpStatus: 201 },
      },
    ]);
    expect(w.gitlab.requests).toHaveLength(1);
    const before = remoteSubjects(w.remote).length;
    expect(JSON.parse((await w.rebuild('--due', '--now', '2026-11-08T00:00:00Z')).stdout)).toMatchObject({
      status: 'unchanged',
      triggers: [],
    });
    expect(remoteSubjects(w.remote).length).toBe(before);
    expect(w.gitlab.requests).toHaveLength(1);
  });

  test('--dry-run prints the exact request and commits nothing; it claims nothing and says so', async () => {
    const w = await afterNodeA();
    const next = await pushImage(registry, 'base/node', '22-dry', { created: '2026-11-09T00:00:00Z', layer: 'dry' });
    const before = remoteSubjects(w.remote).length;
    const run = await w.rebuild(
      '--base',
      baseName,
      '--digest',
      next.digest,
      '--now',
      '2026-11-09T01:00:00Z',
      '--dry-run',
    );
    const result = JSON.parse(run.stdout);
    expect(result.status).toBe('dry-run');
    // web was built before this digest's release: not fresh this time.
    expect(
      result.triggers.map((t: { image: string; request: { url: string }; outcome: null }) => [
        t.image,
        t.request.url,
        t.outcome,
      ]),
    ).toEqual([
      ['api', `${w.github.url}/repos/acme/api/actions/workflows/build.yaml/dispatches`, null],
      // docs's delay counts from its first pending update (nodeA, released Nov 1): due since Nov 8.
      ['docs', `${w.gitlab.url}/api/v4/projects/acme%2Fdocs/pipeline?ref=main`, null],
      ['web', `${w.github.url}/repos/acme/web/actions/workflows/build.yaml/dispatches`, null],
    ]);
    expect(run.stderr).not.toMatch(/\bclaimed\b/);
    expect(run.stderr).toContain('would claim');
    expect(remoteSubjects(w.remote).length).toBe(before);
    expect(w.github.requests).toHaveLength(1);
  });
});

test('eight jobs for the same update: each dependent triggered once', async () => {
  const w = await afterNodeA();
  const next = await pushImage(registry, 'base/node', '22-race', { created: '2026-11-10T00:00:00Z', layer: 'race' });
  const githubBefore = w.github.requests.length;
  const results = await Promise.all(
    Array.from({ length: 8 }, () =>
      w.rebuild('--base', baseName, '--digest', next.digest, '--now', '2026-11-11T00:00:00Z'),
    ),
  );
  for (const r of results) expect(r.status, r.stderr).toBe(0);
  const triggered = results.flatMap((r) => JSON.parse(r.stdout).triggers.map((t: { image: string }) => t.image));
  // docs's delay counts from its first pending update (nodeA, released Nov 1), not this one: due since Nov 8.
  expect(triggered.sort()).toEqual(['api', 'docs', 'web']);
  expect(w.github.requests.length - githubBefore).toBe(2);
  expect(w.gitlab.requests).toHaveLength(1);
  const record = w.baseRecord();
  expect(record.claims).toBeUndefined();
  // docs (7d) was pinned to nodeA, its first pending update: the race digest (Nov 10) is its next wave, due Nov 17,
  // once — so the base keeps it as latest until docs is rebuilt on it.
  expect(record.pending).toEqual([
    expect.objectContaining({
      image: 'docs',
      since: '2026-11-10T00:00:00Z',
      due: '2026-11-17T00:00:00Z',
      causes: [{ base: baseName, digest: next.digest }],
    }),
  ]);
  expect(record.latest).toMatchObject({ digest: next.digest });
}, 120_000);

/** A world where a second base update's trigger of api was refused (422). */
async function refused() {
  const w = await afterNodeA();
  const next = await pushImage(registry, 'base/node', '22-refused', {
    created: '2026-11-03T00:00:00Z',
    layer: 'refused',
  });
  w.github.answers.push({ status: 422, body: { message: 'Workflow does not have workflow_dispatch trigger' } });
  const result = await w.rebuild('--base', baseName, '--digest', next.digest, '--now', '2026-11-03T06:00:00Z');
  return { ...w, result };
}

test('a refused trigger is recorded with the forge message (exit 0) and shown by status with the pending rebuilds', async () => {
  const w = await refused();
  expect(w.result.status).toBe(0);
  const triggers = JSON.parse(w.result.stdout).triggers;
  // web was built (Nov 5) after this digest's release (Nov 3): fresh.
  expect(triggers.map((t: { image: string; outcome: { status: string } }) => [t.image, t.outcome.status])).toEqual([
    ['api', 'failed'],
  ]);
  const checkout = checkoutOf(w.remote, 'if-checkout-');
  const status = await cli(['status', '--root', checkout, '--json']);
  const { rebuilds } = JSON.parse(status.stdout);
  expect(rebuilds.failed).toEqual([
    { image: 'api', at: '2026-11-03T06:00:00Z', answer: 'Workflow does not have workflow_dispatch trigger' },
  ]);
  expect(rebuilds.pending).toMatchObject([{ image: 'docs', due: '2026-11-08T00:00:00Z', urgent: false, waitFor: [] }]);
  const text = await cli(['status', '--root', checkout]);
  expect(text.stdout).toContain('  docs: due 2026-11-08T00:00:00Z');
  expect(text.stdout).toContain(
    '  api: trigger failed 2026-11-03T06:00:00Z: Workflow does not have workflow_dispatch trigger',
  );
});

test('a refused trigger is not retried by later sweeps, until images.yaml changes what it sends (then once)', async () => {
  const w = await refused();
  const before = w.github.requests.length;
  expect(JSON.parse((await w.rebuild('--due', '--now', '2026-11-03T07:00:00Z')).stdout).triggers).toEqual([]);
  const yaml = remoteFile(w.remote, 'images.yaml') ?? '';
  commitFiles(
    w.remote,
    {
      'images.yaml': yaml.replace(
        'workflow: build.yaml\n      triggerInputs',
        'workflow: rebuild.yaml\n      triggerInputs',
      ),
    },
    'fix the workflow name',
  );
  const retried = JSON.parse((await w.rebuild('--due', '--now', '2026-11-03T08:00:00Z')).stdout);
  expect(retried.triggers).toMatchObject([
    {
      image: 'api',
      request: { url: `${w.github.url}/repos/acme/api/actions/workflows/rebuild.yaml/dispatches` },
      outcome: { status: 'triggered' },
    },
  ]);
  expect(JSON.parse((await w.rebuild('--due', '--now', '2026-11-03T09:00:00Z')).stdout).triggers).toEqual([]);
  expect(w.github.requests.length - before).toBe(1);
  expect(
    w
      .baseRecord()
      .history.filter((h: { image: string }) => h.image === 'api')
      .map((h: { result: string }) => h.result)
      .slice(-2),
  ).toEqual(['requeued', 'triggered']);
});

test('status --live reads the release times the rebuild recorded: the base costs its HEAD and no GET', async () => {
  const w = await afterNodeA();
  const checkout = checkoutOf(w.remote, 'if-checkout-');
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
  const json = JSON.parse(live.stdout);
  expect(json.baseImages).toMatchObject([{ name: baseName, released: '2026-11-01T00:00:00Z', error: null }]);
  // The registry writes its log after it answers: wait for the HEAD's line, then make sure nothing else came.
  const onBase = async () => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const lines = registry
        .requests()
        .slice(before)
        .filter((r) => r.uri.startsWith('/v2/base/node/'));
      if (lines.length > 0 || Date.now() > deadline) return lines;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  expect((await onBase()).map((r) => r.method)).toEqual(['HEAD']);
});

test('a Trivy report showing the new digest fixes a CRITICAL vulnerability of the current one: due at once', async () => {
  const w = await afterNodeA();
  const next = await pushImage(registry, 'base/node', '22-urgent', {
    created: '2026-11-03T00:00:00Z',
    layer: 'urgent',
  });
  const current = w.baseRecord().current.digest;
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
              // Fixable (docs/rebuilds.md "Urgency"): a CRITICAL with no fix is nothing a new digest fixes.
              FixedVersion: '3.0.15-2',
              Status: 'fixed',
              Severity: 'CRITICAL',
            })),
          },
        ],
      }),
    );
    return file;
  };
  const gitlabBefore = w.gitlab.requests.length;
  const result = await w.rebuild(
    '--base',
    baseName,
    '--digest',
    next.digest,
    '--now',
    '2026-11-03T01:00:00Z',
    '--vulnerability-report',
    report(next.digest, []),
    '--vulnerability-report',
    report(current, ['CVE-2026-0001']),
  );
  const json = JSON.parse(result.stdout);
  // docs has a 7-day delay; the fix makes it (and api, web) due now.
  expect(json.decisions.find((d: { image: string }) => d.image === 'docs')).toMatchObject({
    urgent: true,
    due: '2026-11-03T01:00:00Z',
  });
  expect(json.triggers.map((t: { image: string }) => t.image)).toContain('docs');
  expect(w.gitlab.requests.length - gitlabBefore).toBe(1);
  expect(result.stderr).toContain('fixes CRITICAL CVE-2026-0001');
});

test('a dependent whose build records the new digest as its base (OCI base.digest) is fresh, however old the build', async () => {
  const w = await afterNodeA();
  const next = await pushImage(registry, 'base/node', '22-annotated', {
    created: '2026-11-20T00:00:00Z',
    layer: 'ann',
  });
  // api's new build, made before next's release time says, but on next: its manifest says so.
  const api = await pushImage(registry, 'acme/api', '1.1', {
    created: '2026-11-01T00:00:00Z',
    layer: 'api-on-next',
    annotations: { 'org.opencontainers.image.base.digest': next.digest },
  });
  const analysed = await analyze(w.remote, 'api', '1.1', api.digest);
  expect(analysed.status, analysed.stderr).toBe(0);
  const result = await w.rebuild('--base', baseName, '--digest', next.digest, '--now', '2026-11-20T01:00:00Z');
  const json = JSON.parse(result.stdout);
  expect(json.decisions.find((d: { image: string }) => d.image === 'api')).toMatchObject({
    action: 'fresh',
    reason: `its build records ${next.digest} as its base`,
  });
});
