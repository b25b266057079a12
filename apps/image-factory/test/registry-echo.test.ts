/**
 * A registry that echoes what it was sent (README "Credentials, plain HTTP and TLS": credentials never go into
 * messages, logs or output). The real registry behind a proxy whose error answers repeat the request's
 * `Authorization` header or the password itself, in the distribution API's error JSON.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { FactoryError } from '../src/errors.js';
import { RegistryClient } from '../src/registry/client.js';
import { credentialStoreFrom } from '../src/registry/docker-config.js';
import { cli } from './helpers.js';
import {
  basicAuthEntry,
  dockerConfig,
  PASSWORD,
  pushImage,
  type RegistryProxy,
  startProxy,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

let registry: TestRegistry;
let proxy: RegistryProxy;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  await pushImage(registry, 'acme/app', '1.0', { created: '2026-11-05T12:00:00Z' });
  proxy = await startProxy(registry);
}, 60_000);

afterEach(() => proxy.reset());

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');

/** The distribution API's error JSON with `message` made from the request. */
const echoing = (message: (authorization: string) => string) => ({
  status: 400,
  headers: { 'content-type': 'application/json' },
  body: (request: { headers: { authorization?: string } }) =>
    JSON.stringify({ errors: [{ code: 'DENIED', message: message(request.headers.authorization ?? '') }] }),
});

test("the registry's message repeating the Authorization header: kept, the credential in it redacted", async () => {
  proxy.fail(
    /\/manifests\//,
    echoing((authorization) => `cannot serve Authorization: ${authorization}`),
  );
  const client = new RegistryClient({
    credentials: credentialStoreFrom({ auths: { [proxy.host]: basicAuthEntry() } }, 'config.json'),
    insecureRegistries: [proxy.host],
  });
  const error = await client.manifest({ registry: proxy.host, repository: 'acme/app' }, '1.0').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FactoryError);
  const { message } = error as FactoryError;
  expect(message).toContain(`HTTP 400 for 1.0 of ${proxy.host}/acme/app: cannot serve Authorization: ***`);
  expect(message).not.toContain(BASIC);
  expect(message).not.toContain(PASSWORD);
});

test('the password itself in the message: redacted in the error the command prints (exit 1)', async () => {
  proxy.fail(
    /\/manifests\//,
    echoing(() => `user alice with password ${PASSWORD} may not pull`),
  );
  const config = dockerConfig({ [proxy.host]: basicAuthEntry() });
  const result = await cli([
    'inspect',
    `${proxy.host}/acme/app:1.0`,
    '--registry-config',
    config,
    '--insecure-registry',
    proxy.host,
  ]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('user alice with password *** may not pull');
  expect(result.stderr + result.stdout).not.toContain(PASSWORD);
});

test('the same, from the client: the password is redacted in the error itself, not only when printed', async () => {
  proxy.fail(
    /\/manifests\//,
    echoing(() => `user alice with password ${PASSWORD} may not pull`),
  );
  const client = new RegistryClient({
    credentials: credentialStoreFrom({ auths: { [proxy.host]: basicAuthEntry() } }, 'config.json'),
    insecureRegistries: [proxy.host],
  });
  const error = await client.manifest({ registry: proxy.host, repository: 'acme/app' }, '1.0').catch((e: unknown) => e);
  expect((error as FactoryError).message).toContain('user alice with password *** may not pull');
});
