/**
 * HTTPS registries: trusted through Node's CA store plus NODE_EXTRA_CA_CERTS (read at process start, so these
 * run the real process), and an untrusted certificate is a clear error, not a retry loop.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from './helpers.js';
import { basicAuthEntry, dockerConfig, startRegistry, type TestRegistry } from './support/registry.js';

let registry: TestRegistry & { caFile?: string };
let config: string;

beforeAll(async () => {
  registry = await startRegistry('htpasswd', { tls: true });
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
}, 60_000);

afterAll(() => registry?.stop());

test('a private CA in NODE_EXTRA_CA_CERTS is trusted: the registry answers (here: no such tag)', () => {
  const result = runCli(['inspect', `${registry.host}/acme/app:1`, '--registry-config', config], {
    env: { NODE_EXTRA_CA_CERTS: registry.caFile },
  });
  expect(result.stderr).toContain(`manifest unknown: tag 1 of ${registry.host}/acme/app`);
  expect(result.status).toBe(1);
});

test('without it: exit 1 at once, saying how to trust the CA', () => {
  const result = runCli(['inspect', `${registry.host}/acme/app:1`, '--registry-config', config], {
    env: { NODE_EXTRA_CA_CERTS: '' },
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('the TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)');
  expect(result.stderr).toContain('NODE_EXTRA_CA_CERTS');
});
