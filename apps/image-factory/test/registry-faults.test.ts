/**
 * Retry rules against a real registry behind a real HTTP proxy that injects what a busy registry sends: 429 with
 * Retry-After, 503, Docker Hub's rate-limit headers. The client's sleep is injected (recorded, not waited).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
let proxyHost: string;
let image: Pushed;

const MANIFESTS = /\/manifests\//;
/** The next manifest requests get these answers, in order; then requests pass through. */
const faults = {
  push: (...answers: { status: number; headers?: Record<string, string> }[]) => {
    for (const answer of answers) proxy.fail(MANIFESTS, answer);
  },
};

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  image = await pushImage(registry, 'acme/app', '1.0', { created: '2026-11-05T12:00:00Z' });
  proxy = await startProxy(registry);
  proxyHost = proxy.host;
}, 60_000);

afterEach(() => proxy.reset());

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

function client(sleeps: number[]) {
  return new RegistryClient({
    credentials: credentialStoreFrom({ auths: { [proxyHost]: basicAuthEntry() } }, 'config.json'),
    insecureRegistries: [proxyHost],
    effects: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
  });
}

const repo = () => ({ registry: proxyHost, repository: 'acme/app' });

describe('429 and 5xx', () => {
  test('429 waits for Retry-After (seconds), then succeeds', async () => {
    const sleeps: number[] = [];
    faults.push({ status: 429, headers: { 'retry-after': '2' } });
    expect((await client(sleeps).head(repo(), '1.0')).digest).toBe(image.digest);
    expect(sleeps).toEqual([2000]);
  });

  test('429 with an HTTP-date Retry-After waits until then', async () => {
    const sleeps: number[] = [];
    const inFiveSeconds = new Date(Math.ceil(Date.now() / 1000) * 1000 + 5000).toUTCString();
    faults.push({ status: 429, headers: { 'retry-after': inFiveSeconds } });
    await client(sleeps).head(repo(), '1.0');
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(3000);
    expect(sleeps[0]).toBeLessThanOrEqual(6000);
  });

  test('a Retry-After longer than a minute is not waited for: unavailable at once', async () => {
    const sleeps: number[] = [];
    faults.push({ status: 429, headers: { 'retry-after': '3600' } });
    const error = await client(sleeps)
      .head(repo(), '1.0')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('unavailable');
    expect((error as FactoryError).message).toContain('rate limited (429, Retry-After 3600 s)');
    expect(sleeps).toEqual([]);
  });

  test('503 three times: backed off 250-500, 500-1000, 1000-2000 ms (jittered), then answered', async () => {
    const sleeps: number[] = [];
    faults.push({ status: 503 }, { status: 503 }, { status: 503 });
    expect((await client(sleeps).head(repo(), '1.0')).digest).toBe(image.digest);
    expect(sleeps).toEqual([375, 750, 1500]);
  });

  test('503 four times: unavailable (exit 3), said to be safe to run again', async () => {
    const sleeps: number[] = [];
    faults.push({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    const error = await client(sleeps)
      .head(repo(), '1.0')
      .catch((e: unknown) => e);
    expect((error as FactoryError).code).toBe('unavailable');
    expect((error as FactoryError).message).toContain('HTTP 503 after 4 attempt(s); safe to run again');
  });

  test('a 4xx other than 401/403/404/429 is not retried', async () => {
    const sleeps: number[] = [];
    faults.push({ status: 400 });
    const error = await client(sleeps)
      .head(repo(), '1.0')
      .catch((e: unknown) => e);
    expect((error as FactoryError).code).toBe('registry');
    expect(sleeps).toEqual([]);
  });
});

test("Docker Hub's rate-limit headers are read and reported", async () => {
  proxy.extraHeaders = { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600' };
  const c = client([]);
  expect(c.rateLimit(proxyHost)).toBeNull();
  await c.head(repo(), '1.0');
  expect(c.rateLimit(proxyHost)).toEqual({ limit: 100, remaining: 76 });
});

test('a per-request timeout turns a silent registry into a retried failure', async () => {
  const silent = createServer(() => {
    // never answers
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const sleeps: number[] = [];
  const c = new RegistryClient({
    insecureRegistries: [host],
    retry: { timeoutMs: 100, maxAttempts: 2 },
    effects: { sleep: async (ms) => void sleeps.push(ms) },
  });
  const error = await c.head({ registry: host, repository: 'a/b' }, '1').catch((e: unknown) => e);
  silent.closeAllConnections();
  silent.close();
  expect((error as FactoryError).code).toBe('unavailable');
  expect((error as FactoryError).message).toContain('no answer within 100 ms after 2 attempt(s)');
});
