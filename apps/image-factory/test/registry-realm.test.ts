/**
 * Where registry credentials may go (README "Credentials, plain HTTP and TLS"): the token realm comes from the
 * registry's challenge, so it is checked before any token request. Against the real registry with token auth, a
 * proxy in front of it naming the realms a hostile registry would, and the registry over TLS.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { exitCodeOf, FactoryError } from '../src/errors.js';
import { RegistryClient } from '../src/registry/client.js';
import { credentialStoreFrom } from '../src/registry/docker-config.js';
import { imageFacts } from '../src/registry/inspect.js';
import {
  basicAuthEntry,
  PASSWORD,
  type Pushed,
  pushImage,
  type RegistryProxy,
  startProxy,
  startRegistry,
  type TestRegistry,
  trustingFetch,
} from './support/registry.js';

let registry: TestRegistry;
let proxy: RegistryProxy;
let app: Pushed;

beforeAll(async () => {
  registry = await startRegistry('token');
  app = await pushImage(registry, 'acme/app', '1.0', { created: '2026-11-05T12:00:00Z' });
  proxy = await startProxy(registry);
}, 60_000);

afterEach(() => proxy.reset());

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

/** Every URL the client asked to connect to; a link-local one is refused here, never connected to. */
function recordingFetch(urls: string[], inner: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    urls.push(url);
    if (/\/\/(169\.254\.|\[fe[89ab])/i.test(url)) return Promise.reject(new TypeError('test: not connecting'));
    return inner(input, init);
  };
}

const client = (host: string, insecure: string[], urls: string[] = [], inner?: typeof fetch) =>
  new RegistryClient({
    credentials: credentialStoreFrom({ auths: { [host]: basicAuthEntry() } }, 'config.json'),
    insecureRegistries: insecure,
    retry: { maxAttempts: 1 },
    effects: { fetch: recordingFetch(urls, inner) },
  });

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

const withRealm = (realm: string) => (header: string) => header.replace(/realm="[^"]*"/, `realm="${realm}"`);

describe('a plain-HTTP realm', () => {
  test('an HTTPS registry naming an http:// realm on another port: refused before the password is sent', async () => {
    const tls = await startRegistry('token', { tls: true });
    try {
      const caFile = tls.caFile ?? '';
      const urls: string[] = [];
      const error = await refusal(
        client(tls.host, [], urls, trustingFetch(caFile)).head({ registry: tls.host, repository: 'acme/app' }, '1'),
      );
      expect(error.message).toBe(
        `${tls.host}: the token realm ${tls.tokenHost} is refused: it is plain HTTP: credentials go to a token realm only over HTTPS, unless both the registry and the realm host (${tls.tokenHost}) are named with --insecure-registry`,
      );
      expect(exitCodeOf(error.code)).toBe(1);
      expect(tls.tokenRequests).toEqual([]);
      expect(urls.filter((u) => u.includes(tls.tokenHost ?? '?'))).toEqual([]);
    } finally {
      await tls.stop();
    }
  });

  test('the same registry with an https:// realm on another port: the token is bought there, nothing named', async () => {
    const tls = await startRegistry('token', { tls: true, tokenTls: true });
    try {
      const fetchTls = trustingFetch(tls.caFile ?? '');
      const error = await refusal(
        client(tls.host, [], [], fetchTls).head({ registry: tls.host, repository: 'acme/app' }, '1'),
      );
      // Past the registry's auth: it answers that the repository has no such tag.
      expect(error.message).toBe(`manifest unknown: tag 1 of ${tls.host}/acme/app`);
      expect(tls.tokenRequests).toEqual([{ method: 'GET', scope: 'repository:acme/app:pull', account: 'alice' }]);
    } finally {
      await tls.stop();
    }
  });

  test('another port is another host: refused until both the registry and the realm host are named', async () => {
    const before = registry.tokenRequests.length;
    const error = await refusal(
      client(registry.host, [registry.host]).head({ registry: registry.host, repository: 'acme/app' }, '1.0'),
    );
    expect(error.message).toContain(`the token realm ${registry.tokenHost} is refused: it is plain HTTP`);
    expect(registry.tokenRequests.length).toBe(before);
    const both = client(registry.host, [registry.host, registry.tokenHost ?? '']);
    expect((await both.head({ registry: registry.host, repository: 'acme/app' }, '1.0')).digest).toBe(app.digest);
    expect(registry.tokenRequests.slice(before)).toEqual([
      { method: 'GET', scope: 'repository:acme/app:pull', account: 'alice' },
    ]);
  });
});

describe('realms no credential goes to', () => {
  test('a realm with userinfo: refused, and the userinfo is not repeated', async () => {
    proxy.rewriteChallenge(withRealm(`http://realm-user:realm-secret-value@${registry.tokenHost}/token`));
    const before = registry.tokenRequests.length;
    const error = await refusal(
      client(proxy.host, [proxy.host, registry.tokenHost ?? '']).head(
        { registry: proxy.host, repository: 'acme/app' },
        '1.0',
      ),
    );
    expect(error.message).toBe(
      `${proxy.host}: the token realm ${registry.tokenHost} is refused: it carries a user name or password (userinfo); credentials go only in a header the client writes`,
    );
    expect(error.message).not.toContain('realm-secret-value');
    expect(registry.tokenRequests.length).toBe(before);
  });

  for (const realm of [
    'https://169.254.169.254/latest/api/token',
    'http://169.254.169.254/token',
    'https://[fe80::1]/token',
    'https://[::ffff:169.254.169.254]/token',
  ]) {
    test(`a link-local realm (${realm}): refused without a connection attempt`, async () => {
      proxy.rewriteChallenge(withRealm(realm));
      const urls: string[] = [];
      const error = await refusal(
        client(proxy.host, [proxy.host, '169.254.169.254'], urls).head(
          { registry: proxy.host, repository: 'acme/app' },
          '1.0',
        ),
      );
      expect(error.message).toContain(
        'is refused: it is a link-local address (169.254.0.0/16, fe80::/10: where cloud metadata services answer)',
      );
      expect(exitCodeOf(error.code)).toBe(1);
      expect(urls).toEqual([`http://${proxy.host}/v2/`]);
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString('base64'));
    });
  }

  test('anonymous: the same realms are refused (no token request goes there either)', async () => {
    proxy.rewriteChallenge(withRealm('https://169.254.169.254/token'));
    const urls: string[] = [];
    const anonymous = new RegistryClient({
      insecureRegistries: [proxy.host],
      effects: { fetch: recordingFetch(urls) },
    });
    const error = await refusal(anonymous.head({ registry: proxy.host, repository: 'acme/app' }, '1.0'));
    expect(error.message).toContain('it is a link-local address');
    expect(urls).toEqual([`http://${proxy.host}/v2/`]);
  });

  const outside = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && !i.internal && i.family === 'IPv4')?.address;

  test.skipIf(outside === undefined)(
    'a loopback realm named by a registry that is not on loopback: refused',
    async () => {
      const remote = await startProxy(registry, outside);
      try {
        const before = registry.tokenRequests.length;
        const error = await refusal(
          client(remote.host, [remote.host, registry.tokenHost ?? '']).head(
            { registry: remote.host, repository: 'acme/app' },
            '1.0',
          ),
        );
        expect(error.message).toBe(
          `${remote.host}: the token realm ${registry.tokenHost} is refused: it is a loopback address and the registry (${remote.host}) is not`,
        );
        expect(registry.tokenRequests.length).toBe(before);
      } finally {
        await remote.stop();
      }
    },
  );
});

describe('a blob download redirected to storage', () => {
  test('no credential reaches storage, on any hop (storage redirecting within itself included)', async () => {
    const c = client(proxy.host, [proxy.host, registry.tokenHost ?? '']);
    const top = await c.manifest({ registry: proxy.host, repository: 'acme/app' }, '1.0');
    if (top.manifest.kind !== 'image') throw new Error('pushImage pushes an image manifest');
    const config = top.manifest.manifest.config.digest;
    const bytes = await c.blob({ registry: proxy.host, repository: 'acme/app' }, config, 1 << 20);
    const seen: { path: string; authorization: string | undefined }[] = [];
    const storage = createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      if (req.url === '/first') res.writeHead(307, { location: '/second' }).end();
      else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    try {
      const storageHost = `127.0.0.1:${(storage.address() as AddressInfo).port}`;
      proxy.fail(/\/blobs\//, { status: 307, headers: { location: `http://${storageHost}/first` } });
      const facts = await imageFacts(
        client(proxy.host, [proxy.host, registry.tokenHost ?? '']),
        {
          registry: proxy.host,
          repository: 'acme/app',
        },
        '1.0',
      );
      expect(facts.created).toBe('2026-11-05T12:00:00Z');
      expect(seen).toEqual([
        { path: '/first', authorization: undefined },
        { path: '/second', authorization: undefined },
      ]);
    } finally {
      storage.close();
    }
  });

  test('a redirect to a link-local address: refused without a connection attempt', async () => {
    proxy.fail(/\/blobs\//, { status: 307, headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
    const urls: string[] = [];
    const error = await refusal(
      imageFacts(
        client(proxy.host, [proxy.host, registry.tokenHost ?? ''], urls),
        {
          registry: proxy.host,
          repository: 'acme/app',
        },
        '1.0',
      ),
    );
    expect(error.message).toContain('the redirect to 169.254.169.254 is refused: it is a link-local address');
    expect(urls.filter((u) => u.includes('169.254'))).toEqual([]);
  });
});
