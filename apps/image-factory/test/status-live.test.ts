/**
 * `status --live` over a GitOps folder whose images live in a real registry (docker-registry, htpasswd): current
 * digests and release times, the tag Kargo would pick for external images, age and staleness of managed builds,
 * and what it cost the registry.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { cli } from './helpers.js';
import { tempDir } from './support/git-repos.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  pushIndex,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

let registry: TestRegistry;
let root: string;
let config: string;
const p: Record<string, Pushed> = {};
const NOW = new Date('2026-11-23T12:00:00Z');

function write(file: string, value: object) {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), stringify(value));
}

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  const host = registry.host;
  p.nodeAmd = await pushImage(registry, 'base/node', undefined, { created: '2026-11-10T00:00:00Z', layer: '1' });
  p.nodeArm = await pushImage(registry, 'base/node', undefined, {
    created: '2026-11-10T00:30:00Z',
    architecture: 'arm64',
    layer: '2',
  });
  p.node = await pushIndex(registry, 'base/node', '22', 'oci', [
    { image: p.nodeAmd, platform: { os: 'linux', architecture: 'amd64' } },
    { image: p.nodeArm, platform: { os: 'linux', architecture: 'arm64' } },
  ]);
  p.static = await pushImage(registry, 'base/static', 'nonroot', { created: '2026-10-01T00:00:00Z' });
  p.app = await pushImage(registry, 'acme/app', '1.0', { created: '2026-11-05T00:00:00Z' });
  p.tool = await pushImage(registry, 'acme/tool', '2.0', { created: '2026-11-15T06:00:00Z' });
  p.epoch = await pushImage(registry, 'acme/epoch', '3', { created: '1970-01-01T00:00:00Z' });
  for (const [tag, created] of [
    ['16.3', '2026-06-01'],
    ['16.10', '2026-11-12'],
    ['17.0', '2026-11-20'],
  ] as const) {
    p[`db${tag}`] = await pushImage(registry, 'vendor/db', tag, { created: `${created}T00:00:00Z`, layer: tag });
  }
  p.cache = await pushImage(registry, 'vendor/cache', '7.4', { created: '2026-11-01T00:00:00Z' });

  root = tempDir('if-live-');
  config = dockerConfig({ [host]: basicAuthEntry() });
  const source = (name: string) => ({
    provider: 'github',
    repo: 'acme/mono',
    branch: 'main',
    dockerfile: `apps/${name}/Dockerfile`,
  });
  writeFileSync(
    join(root, 'images.yaml'),
    stringify({
      images: [
        ...['app', 'tool', 'epoch'].map((name) => ({
          name,
          registry: host,
          repository: `acme/${name}`,
          source: source(name),
        })),
        {
          name: 'db',
          registry: host,
          repository: 'vendor/db',
          allowTags: '^16\\.\\d+$',
          imageSelectionStrategy: 'SemVer',
          strictSemvers: false,
        },
        {
          name: 'cache',
          registry: host,
          repository: 'vendor/cache',
          allowTags: '^7\\.4$',
          imageSelectionStrategy: 'Digest',
          constraint: '7.4',
        },
      ],
    }),
  );
  const base = (
    name: string,
    repository: string,
    tag: string | null,
    dependents: string[],
    digest: string | null = null,
  ) => ({
    name,
    reference: `${host}/${repository}${tag === null ? `@${digest}` : `:${tag}`}`,
    registry: host,
    repository,
    tag,
    digest,
    dependents,
    ...(tag === null
      ? { untracked: 'pinned-by-digest' }
      : { repoURL: `${host}/${repository}`, allowTags: `^${tag}$`, imageSelectionStrategy: 'Digest', constraint: tag }),
  });
  write('image-factory/state/base-images/node.yaml', base('node', 'base/node', '22', ['app', 'tool']));
  write('image-factory/state/base-images/static.yaml', base('static', 'base/static', 'nonroot', ['app', 'epoch']));
  write('image-factory/state/base-images/gone.yaml', base('gone', 'base/gone', '1', ['tool']));
  write('image-factory/state/base-images/pinned.yaml', base('pinned', 'base/static', null, ['epoch'], p.static.digest));
  const use = (name: string, repository: string, tag: string) => ({
    name,
    reference: `${host}/${repository}:${tag}`,
    kind: 'from',
    stage: null,
    finalStage: true,
  });
  const managed = (name: string, build: Pushed, tag: string, bases: object[]) => ({
    name,
    kind: 'managed',
    registry: host,
    repository: `acme/${name}`,
    source: source(name),
    build: { tag, digest: build.digest, dockerfile: `apps/${name}/Dockerfile` },
    baseImages: bases,
  });
  write(
    'image-factory/state/images/app.yaml',
    managed('app', p.app, '1.0', [use('node', 'base/node', '22'), use('static', 'base/static', 'nonroot')]),
  );
  write(
    'image-factory/state/images/tool.yaml',
    managed('tool', p.tool, '2.0', [use('node', 'base/node', '22'), use('gone', 'base/gone', '1')]),
  );
  write(
    'image-factory/state/images/epoch.yaml',
    managed('epoch', p.epoch, '3', [use('static', 'base/static', 'nonroot')]),
  );
  const external = (name: string, repository: string, extra: object) => ({
    name,
    kind: 'external',
    registry: host,
    repository,
    repoURL: `${host}/${repository}`,
    ...extra,
  });
  write(
    'image-factory/state/images/db.yaml',
    external('db', 'vendor/db', { allowTags: '^16\\.\\d+$', imageSelectionStrategy: 'SemVer', strictSemvers: false }),
  );
  write(
    'image-factory/state/images/cache.yaml',
    external('cache', 'vendor/cache', { allowTags: '^7\\.4$', imageSelectionStrategy: 'Digest', constraint: '7.4' }),
  );
}, 60_000);

afterAll(() => registry?.stop());

/** The registry's log since `before`, once it holds `count` requests (the registry writes its log asynchronously). */
async function loggedRequests(registry: TestRegistry, before: number, count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const served = registry.requests().slice(before);
    if (served.length >= count) return served;
    if (Date.now() > deadline) throw new Error(`the registry logged ${served.length} of ${count} requests`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const live = (...extra: string[]) =>
  cli(
    ['status', '--live', '--root', root, '--registry-config', config, '--insecure-registry', registry.host, ...extra],
    {
      cwd: root,
      now: NOW,
    },
  );

test('status --live --json: digests, release times, the tag Kargo would pick, staleness; one HEAD per reference', async () => {
  const before = registry.requests().length;
  const result = await live('--json');
  expect(result.stderr).toBe('');
  // One base image is gone from the registry: reported in its entry, the rest still answered, exit 1.
  expect(result.status).toBe(1);
  const json = JSON.parse(result.stdout);
  const host = registry.host;
  expect(json.checkedAt).toBe('2026-11-23T12:00:00Z');
  expect(json.baseImages).toEqual([
    {
      name: 'gone',
      reference: `${host}/base/gone:1`,
      pinned: false,
      digest: null,
      released: null,
      dependents: ['tool'],
      error: `manifest unknown: tag 1 of ${host}/base/gone`,
    },
    {
      name: 'node',
      reference: `${host}/base/node:22`,
      pinned: false,
      digest: p.node?.digest,
      released: '2026-11-10T00:00:00Z',
      dependents: ['app', 'tool'],
      error: null,
    },
    {
      name: 'pinned',
      reference: `${host}/base/static@${p.static?.digest}`,
      pinned: true,
      digest: p.static?.digest,
      released: null,
      dependents: ['epoch'],
      error: null,
    },
    {
      name: 'static',
      reference: `${host}/base/static:nonroot`,
      pinned: false,
      digest: p.static?.digest,
      released: '2026-10-01T00:00:00Z',
      dependents: ['app', 'epoch'],
      error: null,
    },
  ]);
  expect(json.externalImages).toEqual([
    {
      name: 'cache',
      reference: `${host}/vendor/cache:7.4`,
      digest: p.cache?.digest,
      released: '2026-11-01T00:00:00Z',
      error: null,
    },
    {
      name: 'db',
      reference: `${host}/vendor/db:16.10`,
      digest: p['db16.10']?.digest,
      released: '2026-11-12T00:00:00Z',
      error: null,
    },
  ]);
  expect(json.managedImages).toEqual([
    {
      name: 'app',
      build: `${host}/acme/app:1.0@${p.app?.digest}`,
      created: '2026-11-05T00:00:00Z',
      ageDays: 18,
      stale: true,
      newerBases: ['node'],
      error: null,
    },
    // Its one base is older, but the epoch date hides when it was built: unknown, not fresh.
    {
      name: 'epoch',
      build: `${host}/acme/epoch:3@${p.epoch?.digest}`,
      created: null,
      ageDays: null,
      stale: null,
      newerBases: [],
      error: null,
    },
    // Built after node's release; its other base is gone, so "not stale" cannot be claimed either.
    {
      name: 'tool',
      build: `${host}/acme/tool:2.0@${p.tool?.digest}`,
      created: '2026-11-15T06:00:00Z',
      ageDays: 8,
      stale: null,
      newerBases: [],
      error: null,
    },
  ]);
  expect(json.rateLimits).toEqual([]);
  const served = await loggedRequests(registry, before, json.requests.ping + json.requests.head + json.requests.get);
  const heads = served
    .filter((r) => r.method === 'HEAD')
    .map((r) => r.uri)
    .sort();
  expect(heads).toEqual([
    '/v2/base/gone/manifests/1',
    '/v2/base/node/manifests/22',
    '/v2/base/static/manifests/nonroot',
    '/v2/vendor/cache/manifests/7.4',
    '/v2/vendor/db/manifests/16.10',
  ]);
  expect(served.filter((r) => r.uri === '/v2/').length).toBe(1);
  expect(json.requests).toEqual({ ping: 1, head: 5, get: served.length - 6, token: 0 });
});

test('--release-cache: a second run costs one HEAD per reference and no manifest or blob GET', async () => {
  const cache = join(tempDir('if-cache-'), 'releases.json');
  const first = JSON.parse((await live('--json', '--release-cache', cache)).stdout);
  const written = readFileSync(cache, 'utf8');
  const entries = JSON.parse(written).releases;
  expect(entries[`${p.node?.digest}`]).toBe('2026-11-10T00:00:00Z');
  expect(entries[`${p.epoch?.digest}`]).toBeNull();
  expect(Object.keys(entries)).toEqual(Object.keys(entries).sort());
  const before = registry.requests().length;
  const second = await live('--json', '--release-cache', cache);
  const json = JSON.parse(second.stdout);
  const served = (
    await loggedRequests(registry, before, json.requests.ping + json.requests.head + json.requests.get)
  ).map((r) => `${r.method} ${r.uri}`);
  expect(served.filter((r) => r.startsWith('GET') && !r.endsWith('/v2/'))).toEqual([
    'GET /v2/vendor/db/tags/list?n=1000',
  ]);
  expect(served.filter((r) => r.startsWith('HEAD'))).toHaveLength(5);
  // The same answer as without the cache, and the file unchanged (nothing new was read).
  expect({ ...json, requests: null }).toEqual({ ...first, requests: null });
  expect(readFileSync(cache, 'utf8')).toBe(written);
  writeFileSync(cache, '{"version": 2}');
  const bad = await live('--release-cache', cache);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain(`${cache} is not an image-factory release cache (delete it to start afresh)`);
});

test('the table shows the same, and a registry that is down gives exit 3', async () => {
  const table = await live();
  expect(table.stdout).toMatch(/^ {2}app +2026-11-05T00:00:00Z +18d +yes +newer: node$/m);
  expect(table.stdout).toMatch(/^ {2}db +\S+\/vendor\/db:16\.10 +sha256:\S+ +2026-11-12T00:00:00Z$/m);
  expect(table.stdout).toContain('pinned by digest');
  await registry.stop();
  const stopped = await cli([
    'status',
    '--live',
    '--root',
    root,
    '--registry-config',
    config,
    '--insecure-registry',
    registry.host,
    '--registry-backoff',
    '5ms',
  ]);
  expect(stopped.status).toBe(3);
  expect(stopped.stdout).toContain('safe to run again');
  // The registry that failed is named, with the images it could not answer for.
  expect(stopped.stdout).toMatch(
    new RegExp(`^registry ${registry.host} failed for app, cache, db, epoch, gone, node, static, tool: `, 'm'),
  );
});
