/**
 * Bearer tokens over time (README "Credentials, plain HTTP and TLS": cached per scope for their `expires_in`, 60 s
 * when absent, and renewed once on a 401). The real registry with token auth: the token server issues tokens for
 * the lifetime a test sets (the registry refuses them once expired), and a proxy revokes the ones a test names.
 * The client's clock is injected where the rule is about its cache; the registry's is real.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FactoryError } from '../src/errors.js';
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
let app: Pushed;

beforeAll(async () => {
  registry = await startRegistry('token');
  app = await pushImage(registry, 'acme/app', '1.0', { created: '2026-11-05T12:00:00Z' });
  proxy = await startProxy(registry);
}, 60_000);

afterEach(() => {
  proxy.reset();
  registry.setTokenLifetime(300);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

/** A client through the proxy whose clock reads `clock.now` (milliseconds). */
function client(clock: { now: number } = { now: Date.now() }) {
  return new RegistryClient({
    credentials: credentialStoreFrom({ auths: { [proxy.host]: basicAuthEntry() } }, 'config.json'),
    insecureRegistries: [proxy.host, registry.tokenHost ?? ''],
    effects: { now: () => clock.now },
  });
}

const repo = () => ({ registry: proxy.host, repository: 'acme/app' });
const tokensSince = (before: number) => registry.tokenRequests.length - before;
const bearer = (token: string | undefined) => `Bearer ${token}`;

describe('a cached token serves until its expires_in, then is renewed', () => {
  test('expires_in 300: the same token 290 s later, a new one at 300 s', async () => {
    const clock = { now: Date.now() };
    const c = client(clock);
    const before = registry.tokenRequests.length;
    await c.head(repo(), '1.0');
    clock.now += 290_000;
    await c.head(repo(), '1.0');
    expect(tokensSince(before)).toBe(1);
    clock.now += 10_000;
    expect((await c.head(repo(), '1.0')).digest).toBe(app.digest);
    expect(tokensSince(before)).toBe(2);
  });

  test('no expires_in in the answer: 60 s, as the token spec says (the same token at 50 s, a new one at 60 s)', async () => {
    registry.setTokenLifetime(null);
    const clock = { now: Date.now() };
    const c = client(clock);
    const before = registry.tokenRequests.length;
    await c.head(repo(), '1.0');
    clock.now += 50_000;
    await c.head(repo(), '1.0');
    expect(tokensSince(before)).toBe(1);
    clock.now += 10_000;
    await c.head(repo(), '1.0');
    expect(tokensSince(before)).toBe(2);
  });

  test('a token the registry refuses as expired (2 s lifetime, the client clock stopped): renewed once, answered', async () => {
    registry.setTokenLifetime(2);
    const c = client({ now: Date.now() });
    const before = registry.tokenRequests.length;
    await c.head(repo(), '1.0');
    const expired = registry.issuedTokens.at(-1);
    // Wait for the condition itself: the registry refusing that token.
    for (;;) {
      const answer = await fetch(`http://${registry.host}/v2/acme/app/manifests/1.0`, {
        method: 'HEAD',
        headers: { authorization: bearer(expired), accept: app.mediaType },
      });
      if (answer.status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seen = proxy.requests.length;
    expect((await c.head(repo(), '1.0')).digest).toBe(app.digest);
    expect(tokensSince(before)).toBe(2);
    expect(proxy.requests.slice(seen).map((r) => [r.method, r.authorization])).toEqual([
      ['HEAD', bearer(expired)],
      ['HEAD', bearer(registry.issuedTokens.at(-1))],
    ]);
  });
});

describe('a 401 renews the token exactly once', () => {
  test('one token revoked: the registry answers 401, the client takes a new token and is answered', async () => {
    const c = client();
    const before = registry.tokenRequests.length;
    await c.head(repo(), '1.0');
    const revoked = registry.issuedTokens.at(-1) ?? '';
    proxy.revoke(revoked);
    const seen = proxy.requests.length;
    expect((await c.manifest(repo(), '1.0')).digest).toBe(app.digest);
    expect(tokensSince(before)).toBe(2);
    const renewed = registry.issuedTokens.at(-1);
    expect(renewed).not.toBe(revoked);
    expect(proxy.requests.slice(seen).map((r) => [r.method, r.authorization])).toEqual([
      ['GET', bearer(revoked)],
      ['GET', bearer(renewed)],
    ]);
    // The renewed token is cached: the next request uses it without asking again.
    await c.head(repo(), '1.0');
    expect(tokensSince(before)).toBe(2);
  });

  test('a 401 again after the renewal: an error naming the refusal (exit 1), not another round', async () => {
    const c = client();
    const before = registry.tokenRequests.length;
    await c.head(repo(), '1.0');
    proxy.revoke('every');
    const seen = proxy.requests.length;
    const error = await c.head(repo(), '1.0').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('unauthorized');
    expect((error as FactoryError).message).toContain(`401 from ${proxy.host} for acme/app (pull)`);
    expect(tokensSince(before)).toBe(2);
    expect(proxy.requests.slice(seen).map((r) => r.method)).toEqual(['HEAD', 'HEAD']);
  });
});
