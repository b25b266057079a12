/**
 * Token auth against a real registry (distribution 2.8 with `auth.token`) and a token server signing RS256 JWTs
 * with a throwaway openssl certificate: basic credentials, anonymous pulls, identity (refresh) tokens, one token
 * per repository for its lifetime, and what a refused token says.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RegistryClient } from '../src/registry/client.js';
import { credentialStoreFrom } from '../src/registry/docker-config.js';
import { cli } from './helpers.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  REFRESH_TOKEN,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

let registry: TestRegistry;
let app: Pushed;
let tool: Pushed;
let open: Pushed;

beforeAll(async () => {
  registry = await startRegistry('token');
  app = await pushImage(registry, 'acme/app', '1.0', { created: '2026-11-05T12:00:00Z', layer: 'app' });
  tool = await pushImage(registry, 'acme/tool', '2.0', { created: '2026-11-06T12:00:00Z', layer: 'tool' });
  open = await pushImage(registry, 'public/base', 'stable', { created: '2026-11-07T12:00:00Z', layer: 'open' });
}, 60_000);

afterAll(() => registry?.stop());

const client = (auths: Record<string, object>) =>
  new RegistryClient({
    credentials: credentialStoreFrom({ auths }, 'config.json'),
    insecureRegistries: insecure(),
  });

/** The registry and its token server (a plain-HTTP realm on another port), both named as plain HTTP. */
const insecure = () => [registry.host, registry.tokenHost ?? ''];
const insecureFlags = () => insecure().flatMap((host) => ['--insecure-registry', host]);

describe('bearer tokens from the WWW-Authenticate challenge', () => {
  test('basic credentials buy a pull token; it serves every request to that repository while it lives', async () => {
    const c = client({ [registry.host]: basicAuthEntry() });
    const tokensBefore = registry.tokenRequests.length;
    expect((await c.head({ registry: registry.host, repository: 'acme/app' }, '1.0')).digest).toBe(app.digest);
    expect((await c.head({ registry: registry.host, repository: 'acme/app' }, '1.0')).digest).toBe(app.digest);
    expect((await c.manifest({ registry: registry.host, repository: 'acme/app' }, '1.0')).digest).toBe(app.digest);
    expect((await c.head({ registry: registry.host, repository: 'acme/tool' }, '2.0')).digest).toBe(tool.digest);
    expect(registry.tokenRequests.slice(tokensBefore)).toEqual([
      { method: 'GET', scope: 'repository:acme/app:pull', account: 'alice' },
      { method: 'GET', scope: 'repository:acme/tool:pull', account: 'alice' },
    ]);
    expect(c.counts).toEqual({ ping: 1, head: 3, get: 1, token: 2 });
  });

  test('concurrent lookups of one repository share one token request', async () => {
    const c = client({ [registry.host]: basicAuthEntry() });
    const before = registry.tokenRequests.length;
    const digests = await Promise.all(
      Array.from({ length: 8 }, () => c.head({ registry: registry.host, repository: 'acme/tool' }, '2.0')),
    );
    expect(new Set(digests.map((d) => d.digest))).toEqual(new Set([tool.digest]));
    expect(registry.tokenRequests.length - before).toBe(1);
  });

  test('anonymous: a token without an account, enough for a public repository', async () => {
    const c = client({});
    expect((await c.head({ registry: registry.host, repository: 'public/base' }, 'stable')).digest).toBe(open.digest);
    expect(registry.tokenRequests.at(-1)).toEqual({ method: 'GET', scope: 'repository:public/base:pull', account: '' });
  });

  test('anonymous on a private repository: 401 with the hint to add credentials', async () => {
    const result = await cli([
      'inspect',
      `${registry.host}/acme/app:1.0`,
      '--registry-config',
      dockerConfig({}),
      ...insecureFlags(),
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `401 from ${registry.host} for acme/app (pull): add an "auths" entry for ${registry.host}`,
    );
  });

  test('an identitytoken (what docker login stores for OAuth registries) is exchanged by POST as a refresh token', async () => {
    const config = dockerConfig({ [registry.host]: { identitytoken: REFRESH_TOKEN } });
    const result = await cli([
      'inspect',
      `${registry.host}/acme/app:1.0`,
      '--json',
      '--registry-config',
      config,
      ...insecureFlags(),
    ]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).created).toBe('2026-11-05T12:00:00Z');
    expect(registry.tokenRequests.at(-1)).toEqual({
      method: 'POST',
      scope: 'repository:acme/app:pull',
      account: 'alice',
    });
  });

  test('refused by the token server: exit 1, which entry to check, no secret printed', async () => {
    const config = dockerConfig({ [registry.host]: basicAuthEntry('alice', 'wrong-secret-value') });
    const result = await cli([
      'inspect',
      `${registry.host}/acme/app:1.0`,
      '--registry-config',
      config,
      ...insecureFlags(),
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `401 from ${registry.host} for acme/app (pull): check the ${config} entry for ${registry.host}`,
    );
    expect(result.stderr).not.toContain('wrong-secret-value');
  });

  test('the `auth` field and username/password fields are the same credential', async () => {
    const c = client({
      [`http://${registry.host}/v2/`]: { username: 'alice', password: 'correct-horse-battery-staple' },
    });
    expect((await c.head({ registry: registry.host, repository: 'acme/app' }, '1.0')).digest).toBe(app.digest);
  });
});
