/**
 * The sweep heals what slipped through (issue 19, DESIGN §10 "Nothing lost"): a base tag moved and no Stage reported
 * it (a failed verification, Freight made from the newest artifact only), so `rebuild --due` asks each base tag's
 * current digest — one HEAD per base, against the real registry — and records the update exactly as
 * `rebuild --reference` would have; a base it cannot ask about is reported, and the sweep still does the rest.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type GithubStub, startGithubStub } from './support/forge-stubs.js';
import { createRemote } from './support/git-repos.js';
import { analyze } from './support/gitops-fixtures.js';
import { baseRecord, rebuildRunner } from './support/rebuild-world.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

const TOKEN = 'sweep-token-never-printed';
let registry: TestRegistry;
let github: GithubStub;
let remote: string;
let config: string;
const p: Record<string, Pushed> = {};

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  github = await startGithubStub(TOKEN, { workflows: { 'acme/app/build.yaml': {}, 'acme/tool/build.yaml': {} } });
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  p.a = await pushImage(registry, 'base/node', '22', { created: '2026-11-01T00:00:00Z', layer: 'sweep-a' });
  p.app = await pushImage(registry, 'acme/app', '1.0', { created: '2026-10-01T00:00:00Z', layer: 'sweep-app' });
  p.tool = await pushImage(registry, 'acme/tool', '1.0', { created: '2026-10-01T00:00:00Z', layer: 'sweep-tool' });
  const entry = (name: string) =>
    `  - name: ${name}\n    registry: ${registry.host}\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: ${name}/Dockerfile\n      workflow: build.yaml\n    rebuildDelay: "0"\n`;
  remote = createRemote({
    'images.yaml': `images:\n${entry('app')}${entry('tool')}`,
    'app/Dockerfile': `FROM ${registry.host}/base/node:22\n`,
    // A base whose tag is gone from the registry: the sweep cannot ask about it.
    'tool/Dockerfile': `FROM ${registry.host}/base/gone:1\n`,
  });
  for (const name of ['app', 'tool']) {
    const result = await analyze(remote, name, '1.0', p[name]?.digest ?? '');
    expect(result.status, result.stderr).toBe(0);
  }
}, 60_000);

afterAll(async () => {
  await github?.close();
  await registry?.stop();
});

const rebuild = (...args: string[]) =>
  rebuildRunner({ remote, registryConfig: config, registryHost: registry.host, githubUrl: github.url, token: TOKEN })(
    ...args,
  );
const nodeRecord = () => baseRecord(remote, `${registry.host.replace(/[.:]/g, '-')}-base-node-22`);

test('a tag moved with no Stage reporting it: the sweep records it (one HEAD) and triggers what it makes due', async () => {
  const reported = await rebuild(
    '--reference',
    `${registry.host}/base/node:22`,
    '--digest',
    p.a?.digest ?? '',
    '--now',
    '2026-11-02T00:00:00Z',
  );
  expect(reported.status, reported.stderr).toBe(0);
  expect(github.requests).toHaveLength(1);
  // node:22 moves; Kargo's verification of it failed, so nothing reported it.
  p.b = await pushImage(registry, 'base/node', '22', { created: '2026-11-03T00:00:00Z', layer: 'sweep-b' });
  const headsBefore = registry.requests().filter((r) => r.method === 'HEAD' && r.uri.includes('/base/node/')).length;
  const sweep = await rebuild('--due', '--now', '2026-11-04T00:00:00Z');
  const json = JSON.parse(sweep.stdout);
  expect(json.healed).toEqual([{ base: expect.stringContaining('base-node-22'), digest: p.b.digest }]);
  expect(json.decisions).toEqual([expect.objectContaining({ image: 'app', action: 'rebuild' })]);
  expect(json.triggers.map((t: { image: string }) => t.image)).toEqual(['app']);
  expect(github.requests).toHaveLength(2);
  const heads = registry.requests().filter((r) => r.method === 'HEAD' && r.uri.includes('/base/node/')).length;
  expect(heads - headsBefore).toBe(1);
  expect(nodeRecord().current.digest).toBe(p.b.digest);
  // The base that could not be asked is named; the rest is recorded, and the sweep exits 3 (a check not made).
  expect(json.unreachable).toEqual([{ base: expect.stringContaining('base-gone-1'), reason: expect.any(String) }]);
  expect(sweep.status).toBe(3);
  expect(sweep.stderr).toContain('could not be checked in their registry');

  // Nothing moved since: the next sweep records nothing and sends nothing.
  const quiet = JSON.parse((await rebuild('--due', '--now', '2026-11-04T01:00:00Z')).stdout);
  expect(quiet).toMatchObject({ status: 'unchanged', healed: [], triggers: [] });
  expect(github.requests).toHaveLength(2);
});
