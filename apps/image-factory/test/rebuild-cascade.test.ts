/**
 * A three-level cascade end to end (real git, registry, GitHub stub): node (external) → node-base (built here) →
 * app. The node update triggers node-base; app waits for node-base's new build, which reaches `rebuild` the way the
 * `node-base-rebuild` Stage hands it over (`--reference`), and is then triggered once, with its delay counted from
 * node's release (delays along a chain do not add up).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parse } from 'yaml';
import { type ForgeStub, startGithubStub } from './support/forge-stubs.js';
import { createRemote, remoteFile, remoteFiles } from './support/git-repos.js';
import { analyze } from './support/gitops-fixtures.js';
import { rebuildRunner } from './support/rebuild-world.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

const TOKEN = 'cascade-token';
let registry: TestRegistry;
let github: ForgeStub;
let remote: string;
let config: string;
const p: Record<string, Pushed> = {};

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  github = await startGithubStub(TOKEN);
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  const host = registry.host;
  p.node = await pushImage(registry, 'library/node', '22', { created: '2026-11-01T00:00:00Z', layer: 'node-1' });
  p.nodeBase = await pushImage(registry, 'acme/node-base', '22', { created: '2026-10-01T00:00:00Z', layer: 'nb-1' });
  p.app = await pushImage(registry, 'acme/app', '1.0', { created: '2026-10-02T00:00:00Z', layer: 'app-1' });
  const entry = (name: string, delay: string) =>
    `  - name: ${name}\n    registry: ${host}\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: ${name}/Dockerfile\n      workflow: build.yaml\n    rebuildDelay: "${delay}"\n`;
  remote = createRemote({
    'images.yaml': `images:\n${entry('node-base', '0')}${entry('app', '2d')}`,
    'node-base/Dockerfile': `FROM ${host}/library/node:22\n`,
    'app/Dockerfile': `FROM ${host}/acme/node-base:22\n`,
  });
  for (const [name, build] of [
    ['node-base', p.nodeBase],
    ['app', p.app],
  ] as const) {
    const result = await analyze(remote, name, '1', build?.digest ?? '');
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
const dispatched = () => github.requests.map((r) => r.path.split('/')[3]);

test("node → node-base → app: node-base at once, app after node-base rebuilt, once, due from node's release", async () => {
  expect(remoteFiles(remote, 'image-factory/state/base-images').length).toBe(2);
  const first = JSON.parse(
    (
      await rebuild(
        '--reference',
        `${registry.host}/library/node:22`,
        '--digest',
        p.node?.digest ?? '',
        '--now',
        '2026-11-01T01:00:00Z',
      )
    ).stdout,
  );
  expect(
    first.decisions.map((d: { image: string; action: string; waitFor?: string[] }) => [d.image, d.action, d.waitFor]),
  ).toEqual([
    ['app', 'rebuild', ['node-base']],
    ['node-base', 'rebuild', []],
  ]);
  expect(dispatched()).toEqual(['node-base']);
  // The sweep before node-base's new build: app is past neither its due time nor its wait.
  expect(JSON.parse((await rebuild('--due', '--now', '2026-11-02T00:00:00Z')).stdout).triggers).toEqual([]);
  // node-base's CI built and pushed a new image on the new node; Kargo's node-base-rebuild Stage hands it over.
  const rebuilt = await pushImage(registry, 'acme/node-base', '22', { created: '2026-11-01T03:00:00Z', layer: 'nb-2' });
  const second = JSON.parse(
    (
      await rebuild(
        '--reference',
        `${registry.host}/acme/node-base:22`,
        '--digest',
        rebuilt.digest,
        '--now',
        '2026-11-01T04:00:00Z',
      )
    ).stdout,
  );
  expect(second.decisions).toMatchObject([
    { image: 'app', action: 'rebuild', since: '2026-11-01T00:00:00Z', due: '2026-11-03T00:00:00Z', waitFor: [] },
  ]);
  expect(second.triggers).toEqual([]);
  // Due two days after node's release, not after node-base's: triggered once.
  const due = JSON.parse((await rebuild('--due', '--now', '2026-11-03T00:00:00Z')).stdout);
  expect(due.triggers.map((t: { image: string }) => t.image)).toEqual(['app']);
  expect(JSON.parse((await rebuild('--due', '--now', '2026-11-04T00:00:00Z')).stdout).triggers).toEqual([]);
  expect(dispatched()).toEqual(['node-base', 'app']);
  const files = remoteFiles(remote, 'image-factory/state/base-images');
  const pending = files.flatMap((f) => parse(remoteFile(remote, f) ?? '').rebuild?.pending ?? []);
  expect(pending).toEqual([]);
});
