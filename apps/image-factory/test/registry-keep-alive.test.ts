/**
 * HEADs reuse their connections (head-transport.ts): a sweep asks 1,000 base tags for their digests, and a new TCP
 * (and TLS) handshake per HEAD was most of what it cost. Against the real docker-registry, through a proxy that
 * counts the connections the client opens.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RegistryClient } from '../src/registry/client.js';
import { credentialStoreFrom } from '../src/registry/docker-config.js';
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
const pushed = new Map<string, Pushed>();
const TAGS = 24;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  proxy = await startProxy(registry);
  for (let i = 0; i < TAGS; i++) {
    pushed.set(`${i}.0`, await pushImage(registry, 'acme/base', `${i}.0`, { layer: `base ${i}` }));
  }
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

function client(): RegistryClient {
  // The proxy forwards the client's credentials to the registry behind it.
  const credentials = credentialStoreFrom({ auths: { [proxy.host]: basicAuthEntry() } }, 'config.json');
  return new RegistryClient({ credentials, insecureRegistries: [proxy.host] });
}

describe('HEADs on kept-alive connections', () => {
  test('24 HEADs one after another: one connection, each digest the registry holds', async () => {
    const c = client();
    const before = proxy.connections();
    for (let i = 0; i < TAGS; i++) {
      const head = await c.head({ registry: proxy.host, repository: 'acme/base' }, `${i}.0`);
      expect(head.digest).toBe(pushed.get(`${i}.0`)?.digest);
    }
    // fetch opened a connection per HEAD (25 with the ping); the ping and the HEADs now share what is open.
    expect(proxy.connections() - before).toBeLessThanOrEqual(2);
    expect(proxy.requests.filter((r) => r.method === 'HEAD').length).toBeGreaterThanOrEqual(TAGS);
  });

  test('a HEAD answered with a redirect is followed as before (sent again through fetch)', async () => {
    const c = client();
    const path = /^\/v2\/acme\/base\/manifests\/0\.0$/;
    const moved = { status: 307, headers: { location: '/v2/acme/base/manifests/1.0' } };
    proxy.fail(path, moved); // the kept-alive HEAD sees the redirect …
    proxy.fail(path, moved); // … and fetch, sent again, follows it
    const head = await c.head({ registry: proxy.host, repository: 'acme/base' }, '0.0');
    expect(head.digest).toBe(pushed.get('1.0')?.digest);
    proxy.reset();
  });

  test('nobody listening: the network error is read as fetch reports it (cause ECONNREFUSED) and retried', async () => {
    const closing = await startProxy(registry);
    const slept: number[] = [];
    const credentials = credentialStoreFrom({ auths: { [closing.host]: basicAuthEntry() } }, 'config.json');
    const c = new RegistryClient({
      credentials,
      insecureRegistries: [closing.host],
      retry: { maxAttempts: 3 },
      effects: { sleep: async (ms) => void slept.push(ms) },
    });
    const ref = { registry: closing.host, repository: 'acme/base' };
    expect((await c.head(ref, '0.0')).digest).toBe(pushed.get('0.0')?.digest); // the ping and a kept connection
    await closing.stop(); // the kept connection closed, the port refusing new ones
    await expect(c.head(ref, '1.0')).rejects.toThrow(/network error (ECONNREFUSED|ECONNRESET) after 3 attempt/);
    expect(slept.length).toBeGreaterThanOrEqual(2);
  });
});
