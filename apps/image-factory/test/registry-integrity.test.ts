/**
 * What the client believes of a registry's answers (README "Retries, timeouts and Docker Hub's limits": bodies
 * are bounded and digests are verified against the content received). The real registry behind a proxy that
 * serves other bytes under the same digest, or a body that does not end.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { exitCodeOf, FactoryError } from '../src/errors.js';
import { RegistryClient } from '../src/registry/client.js';
import { credentialStoreFrom } from '../src/registry/docker-config.js';
import { imageFacts } from '../src/registry/inspect.js';
import {
  basicAuthEntry,
  type Pushed,
  pushImage,
  type RegistryProxy,
  startProxy,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

let registry: TestRegistry;
let proxy: RegistryProxy;
let image: Pushed;
let configDigest: string;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  image = await pushImage(registry, 'acme/app', '1.0', { created: '2026-11-05T12:00:00Z' });
  proxy = await startProxy(registry);
  const manifest = await client().manifest(repo(), image.digest);
  if (manifest.manifest.kind !== 'image') throw new Error('pushImage pushes an image manifest');
  configDigest = manifest.manifest.manifest.config.digest;
}, 60_000);

afterEach(() => proxy.reset());

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

function client() {
  return new RegistryClient({
    credentials: credentialStoreFrom({ auths: { [proxy.host]: basicAuthEntry() } }, 'config.json'),
    insecureRegistries: [proxy.host],
    retry: { maxAttempts: 1 },
  });
}

const repo = () => ({ registry: proxy.host, repository: 'acme/app' });

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      if (!(error instanceof FactoryError)) throw error;
      return error;
    },
  );

/** The same JSON with one more space: other bytes, the same meaning. */
const respaced = (body: Buffer) => Buffer.from(`${body.toString()} `);

describe('digests are verified against the bytes received', () => {
  test('a manifest asked for by digest whose bytes hash to another digest: refused, exit 1', async () => {
    proxy.tamper(/\/manifests\//, respaced);
    const error = await refusal(client().manifest(repo(), image.digest));
    expect(error.code).toBe('registry');
    expect(exitCodeOf(error.code)).toBe(1);
    expect(error.message).toContain(`${proxy.host}/acme/app@${image.digest}: the manifest's content is sha256:`);
    expect(error.message).toContain(`not ${image.digest}`);
  });

  test("a manifest asked for by tag whose bytes do not hash to the registry's Docker-Content-Digest: refused", async () => {
    proxy.tamper(/\/manifests\//, respaced);
    const error = await refusal(client().manifest(repo(), '1.0'));
    expect(error.message).toContain(`not ${image.digest} as the registry says`);
  });

  test('a config blob whose bytes do not hash to its digest: refused, and no release time read from it', async () => {
    proxy.tamper(/\/blobs\//, (body) =>
      Buffer.from(body.toString().replace('2026-11-05T12:00:00Z', '2020-01-01T00:00:00Z')),
    );
    const error = await refusal(imageFacts(client(), repo(), '1.0'));
    expect(error.code).toBe('registry');
    expect(error.message).toContain(`${proxy.host}/acme/app@${configDigest}: the blob's content is sha256:`);
    expect(error.message).toContain(`not ${configDigest}`);
    proxy.reset();
    const facts = await imageFacts(client(), repo(), '1.0');
    expect([facts.digest, facts.created]).toEqual([image.digest, '2026-11-05T12:00:00Z']);
  });
});

describe('bodies are bounded while they arrive', () => {
  test('a manifest without Content-Length that does not end: refused past 4 MiB, the rest never read', async () => {
    const total = 512 * 1024 * 1024;
    const written = proxy.flood(/\/manifests\//, total, 'application/vnd.oci.image.manifest.v1+json');
    const error = await refusal(client().manifest(repo(), '1.0'));
    expect(error.code).toBe('registry');
    expect(error.message).toContain('the body is more than the 4194304 bytes allowed');
    // The client hung up: the proxy wrote what fits in 4 MiB and the sockets' buffers, not 512 MiB.
    expect(await written).toBeLessThan(20 * 1024 * 1024);
  });

  test('a config blob that does not end: refused past 8 MiB', async () => {
    const written = proxy.flood(/\/blobs\//, 512 * 1024 * 1024, 'application/octet-stream');
    const error = await refusal(imageFacts(client(), repo(), '1.0'));
    expect(error.message).toContain('the body is more than the 8388608 bytes allowed');
    expect(await written).toBeLessThan(24 * 1024 * 1024);
  });

  test('a token answer that does not end: refused past 1 MiB', async () => {
    proxy.rewriteChallenge(() => `Bearer realm="http://${proxy.host}/token",service="flood"`);
    const written = proxy.flood(/^\/token$/, 512 * 1024 * 1024, 'application/json');
    const error = await refusal(client().head(repo(), '1.0'));
    expect(error.message).toContain(`token for ${proxy.host}/acme/app from ${proxy.host}`);
    expect(error.message).toContain('the body is more than the 1048576 bytes allowed');
    expect(await written).toBeLessThan(16 * 1024 * 1024);
  });
});
