/**
 * The registry client against a real registry (Debian's docker-registry, distribution 2.8) with htpasswd auth:
 * inspect's JSON for each manifest form, what a digest costs, and the errors a person sees.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { normaliseReference } from '../src/reference/normalise.js';
import { RegistryClient } from '../src/registry/client.js';
import { credentialStoreFrom } from '../src/registry/docker-config.js';
import { cli } from './helpers.js';
import { tempDir } from './support/git-repos.js';
import {
  basicAuthEntry,
  dockerConfig,
  PASSWORD,
  type Pushed,
  pushImage,
  pushIndex,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

let registry: TestRegistry;
let config: string;
const pushed: Record<string, Pushed> = {};

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  pushed.single = await pushImage(registry, 'acme/single', '1.0', {
    created: '2026-11-01T09:12:00.123456789Z',
    labels: { 'org.opencontainers.image.source': 'https://github.com/acme/single' },
  });
  pushed.amd64 = await pushImage(registry, 'acme/multi', undefined, { created: '2026-11-02T10:00:00Z', layer: 'a' });
  pushed.arm64 = await pushImage(registry, 'acme/multi', undefined, {
    architecture: 'arm64',
    variant: 'v8',
    created: '2026-11-02T10:05:00Z',
    layer: 'b',
  });
  // An attestation manifest, as buildx adds to an index: platform unknown/unknown, never a platform to pick.
  pushed.attestation = await pushImage(registry, 'acme/multi', undefined, {
    os: 'unknown',
    architecture: 'unknown',
    layer: 'c',
  });
  pushed.multi = await pushIndex(registry, 'acme/multi', '22', 'oci', [
    { image: pushed.amd64, platform: { os: 'linux', architecture: 'amd64' } },
    { image: pushed.arm64, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    {
      image: pushed.attestation,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
    },
  ]);
  pushed.dockerAmd64 = await pushImage(registry, 'acme/dockerlist', undefined, {
    format: 'docker',
    created: '2026-10-01T00:00:00Z',
    layer: 'd',
  });
  pushed.dockerS390x = await pushImage(registry, 'acme/dockerlist', undefined, {
    format: 'docker',
    architecture: 's390x',
    created: '2026-10-02T00:00:00Z',
    layer: 'e',
  });
  pushed.dockerList = await pushIndex(registry, 'acme/dockerlist', '1', 'docker', [
    { image: pushed.dockerAmd64, platform: { os: 'linux', architecture: 'amd64' } },
    { image: pushed.dockerS390x, platform: { os: 'linux', architecture: 's390x' } },
  ]);
  pushed.epoch = await pushImage(registry, 'acme/epoch', '1', { created: '1970-01-01T00:00:00Z' });
  pushed.annotated = await pushImage(registry, 'acme/app', '1', {
    created: '2026-11-03T08:00:00Z',
    annotations: {
      'org.opencontainers.image.base.digest': pushed.multi.digest,
      'org.opencontainers.image.base.name': `${registry.host}/acme/multi:22`,
    },
  });
}, 60_000);

afterAll(() => registry?.stop());

const inspect = (reference: string, ...extra: string[]) =>
  cli(['inspect', reference, '--json', '--registry-config', config, '--insecure-registry', registry.host, ...extra]);

describe('inspect --json', () => {
  test('a single-platform OCI image: its digest, platform, created to the second, labels', async () => {
    const result = await inspect(`${registry.host}/acme/single:1.0`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      reference: `${registry.host}/acme/single:1.0`,
      digest: pushed.single?.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      platforms: [],
      platform: 'linux/amd64',
      created: '2026-11-01T09:12:00Z',
      labels: { 'org.opencontainers.image.source': 'https://github.com/acme/single' },
      annotations: {},
      rateLimit: null,
    });
  });

  test('a two-platform OCI index: the index digest (what Kargo records), both platforms, linux/amd64 described', async () => {
    const result = await inspect(`${registry.host}/acme/multi:22`);
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.digest).toBe(pushed.multi?.digest);
    expect(json.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(json.platforms).toEqual([
      { platform: 'linux/amd64', digest: pushed.amd64?.digest },
      { platform: 'linux/arm64/v8', digest: pushed.arm64?.digest },
    ]);
    expect([json.platform, json.created]).toEqual(['linux/amd64', '2026-11-02T10:00:00Z']);
  });

  test('--platform picks another entry; linux/arm64 means arm64/v8', async () => {
    const json = JSON.parse((await inspect(`${registry.host}/acme/multi:22`, '--platform', 'linux/arm64')).stdout);
    expect([json.digest, json.platform, json.created]).toEqual([
      pushed.multi?.digest,
      'linux/arm64/v8',
      '2026-11-02T10:05:00Z',
    ]);
  });

  test('a Docker manifest list with Docker schema 2 manifests', async () => {
    const json = JSON.parse((await inspect(`${registry.host}/acme/dockerlist:1`, '--platform', 'linux/s390x')).stdout);
    expect(json.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(json.platforms.map((p: { platform: string }) => p.platform)).toEqual(['linux/amd64', 'linux/s390x']);
    expect([json.digest, json.platform, json.created]).toEqual([
      pushed.dockerList?.digest,
      'linux/s390x',
      '2026-10-02T00:00:00Z',
    ]);
  });

  test('a reproducible-build epoch date is unknown, not 56 years old', async () => {
    const json = JSON.parse((await inspect(`${registry.host}/acme/epoch:1`)).stdout);
    expect([json.digest, json.created]).toEqual([pushed.epoch?.digest, null]);
  });

  test('manifest annotations: the base image it was built on', async () => {
    const json = JSON.parse((await inspect(`${registry.host}/acme/app:1`)).stdout);
    expect(json.annotations).toEqual({
      'org.opencontainers.image.base.digest': pushed.multi?.digest,
      'org.opencontainers.image.base.name': `${registry.host}/acme/multi:22`,
    });
  });

  test('a reference by digest is read by digest', async () => {
    const json = JSON.parse((await inspect(`${registry.host}/acme/multi@${pushed.arm64?.digest}`)).stdout);
    expect([json.digest, json.platform, json.platforms]).toEqual([pushed.arm64?.digest, 'linux/arm64/v8', []]);
  });

  test('the table form names the same facts', async () => {
    const result = await cli([
      'inspect',
      `${registry.host}/acme/app:1`,
      '--registry-config',
      config,
      '--insecure-registry',
      registry.host,
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^digest +${pushed.annotated?.digest}$`, 'm'));
    expect(result.stdout).toMatch(/created\s+2026-11-03T08:00:00Z/);
  });
});

describe('what a lookup costs the registry', () => {
  test("a tag's digest is one HEAD (after one GET /v2/ per registry), no GET of the manifest", async () => {
    const credentials = credentialStoreFrom({ auths: { [registry.host]: basicAuthEntry() } }, 'config.json');
    const client = new RegistryClient({ credentials, insecureRegistries: [registry.host] });
    const before = registry.requests().length;
    const head = await client.head({ registry: registry.host, repository: 'acme/multi' }, '22');
    await client.head({ registry: registry.host, repository: 'acme/single' }, '1.0');
    expect(head).toEqual({ digest: pushed.multi?.digest, mediaType: 'application/vnd.oci.image.index.v1+json' });
    await new Promise((r) => setTimeout(r, 200)); // the registry writes its log after answering
    const served = registry
      .requests()
      .slice(before)
      .map((r) => `${r.method} ${r.uri}`);
    expect(served).toEqual(['GET /v2/', 'HEAD /v2/acme/multi/manifests/22', 'HEAD /v2/acme/single/manifests/1.0']);
    expect(client.counts).toEqual({ ping: 1, head: 2, get: 0, token: 0 });
  });
});

describe('errors a person can act on', () => {
  test('an unknown tag: exit 1, "manifest unknown"', async () => {
    const result = await inspect(`${registry.host}/acme/single:nope`);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`manifest unknown: tag nope of ${registry.host}/acme/single`);
  });

  test('a platform the index lacks: exit 1, with the platforms it has', async () => {
    const result = await inspect(`${registry.host}/acme/multi:22`, '--platform', 'linux/ppc64le');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no linux/ppc64le manifest in the index');
    expect(result.stderr).toContain('(has linux/amd64, linux/arm64/v8)');
  });

  test('a wrong password: exit 1, 401 and which config.json entry to check, never the password', async () => {
    const wrong = dockerConfig({ [registry.host]: basicAuthEntry('alice', 'not-the-password') });
    const result = await cli([
      'inspect',
      `${registry.host}/acme/single:1.0`,
      '--registry-config',
      wrong,
      '--insecure-registry',
      registry.host,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `401 from ${registry.host} for acme/single (pull): check the ${wrong} entry for ${registry.host}`,
    );
    expect(result.stderr + result.stdout).not.toContain('not-the-password');
    expect(result.stderr + result.stdout).not.toContain(PASSWORD);
  });

  test('no entry for the registry: says to add one', async () => {
    const other = dockerConfig({ 'ghcr.io': basicAuthEntry() });
    const result = await cli([
      'inspect',
      `${registry.host}/acme/single:1.0`,
      '--registry-config',
      other,
      '--insecure-registry',
      registry.host,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`add an "auths" entry for ${registry.host} to ${other}`);
  });

  test('a credential helper: says image-factory does not run it and what to do instead', async () => {
    const helper = dockerConfig({}, { credsStore: 'desktop' });
    const result = await cli([
      'inspect',
      `${registry.host}/acme/single:1.0`,
      '--registry-config',
      helper,
      '--insecure-registry',
      registry.host,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'docker-credential-desktop, which image-factory does not run: add a static "auths" entry',
    );
  });

  test('a plain-HTTP registry not named with --insecure-registry: exit 1, says which flag', async () => {
    const result = await cli([
      'inspect',
      `${registry.host}/acme/single:1.0`,
      '--registry-config',
      config,
      '--registry-backoff',
      '10ms',
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--insecure-registry');
  });

  test('nothing listening: retried, then exit 3 (safe to run again)', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const result = await cli([
      'inspect',
      `127.0.0.1:${port}/acme/single:1.0`,
      '--insecure-registry',
      `127.0.0.1:${port}`,
      '--registry-backoff',
      '10ms',
      '--registry-config',
      config,
    ]);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('network error ECONNREFUSED after 4 attempt(s); safe to run again');
  });

  test('without --registry-config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json, else anonymous', async () => {
    const reference = `${registry.host}/acme/single:1.0`;
    const viaDockerConfig = await cli(['inspect', reference, '--json', '--insecure-registry', registry.host], {
      env: { DOCKER_CONFIG: dirname(config), HOME: '/nonexistent' },
    });
    expect(JSON.parse(viaDockerConfig.stdout).digest).toBe(pushed.single?.digest);
    const home = tempDir('if-home-');
    mkdirSync(join(home, '.docker'));
    copyFileSync(config, join(home, '.docker', 'config.json'));
    const viaHome = await cli(['inspect', reference, '--json', '--insecure-registry', registry.host], {
      env: { DOCKER_CONFIG: undefined, HOME: home },
    });
    expect(JSON.parse(viaHome.stdout).digest).toBe(pushed.single?.digest);
    const anonymous = await cli(['inspect', reference, '--insecure-registry', registry.host], {
      env: { DOCKER_CONFIG: tempDir('if-empty-'), HOME: '/nonexistent' },
    });
    expect(anonymous.status).toBe(1);
    expect(anonymous.stderr).toContain('no registry credentials are configured');
  });

  test('usage errors: exit 2', async () => {
    expect((await cli(['inspect'])).status).toBe(2);
    expect((await cli(['inspect', 'node:22', '--platform', 'linux'])).stderr).toContain('expected os/arch');
    expect((await cli(['inspect', 'node:22', '--registry-config', '/nonexistent/config.json'])).status).toBe(2);
    expect((await cli(['inspect', 'Not A Reference'])).status).toBe(2);
  });
});

test('the parsed reference helper agrees with the registry host the tests use', () => {
  const parsed = normaliseReference(`${registry.host}/acme/single:1.0`);
  expect(parsed.ok && parsed.value.registry).toBe(registry.host);
});
