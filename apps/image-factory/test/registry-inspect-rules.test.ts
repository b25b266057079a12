/**
 * `inspect`'s rules as the README states them ("`image-factory inspect`"), each against images pushed to the real
 * registry: which source of `created` wins, what `--platform` does to a single-platform image, and release times
 * that are no calendar instant.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cli } from './helpers.js';
import { basicAuthEntry, dockerConfig, pushImage, startRegistry, type TestRegistry } from './support/registry.js';

const CREATED = 'org.opencontainers.image.created';

let registry: TestRegistry;
let config: string;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  await pushImage(registry, 'acme/config-earlier', '1', {
    created: '2026-11-01T00:00:00Z',
    annotations: { [CREATED]: '2026-11-05T00:00:00Z' },
    labels: { [CREATED]: '2026-11-06T00:00:00Z' },
  });
  await pushImage(registry, 'acme/config-later', '1', {
    created: '2026-11-05T00:00:00Z',
    annotations: { [CREATED]: '2026-11-01T00:00:00Z' },
    labels: { [CREATED]: '2026-10-01T00:00:00Z' },
  });
  await pushImage(registry, 'acme/annotation-later', '1', {
    annotations: { [CREATED]: '2026-11-03T00:00:00Z' },
    labels: { [CREATED]: '2026-11-01T00:00:00Z' },
  });
  await pushImage(registry, 'acme/annotation-earlier', '1', {
    annotations: { [CREATED]: '2026-11-01T00:00:00Z' },
    labels: { [CREATED]: '2026-11-03T00:00:00Z' },
  });
  await pushImage(registry, 'acme/label-only', '1', { labels: { [CREATED]: '2026-11-04T00:00:00Z' } });
  await pushImage(registry, 'acme/amd64-only', '1', { created: '2026-11-02T00:00:00Z' });
  await pushImage(registry, 'acme/arm64-only', '1', {
    architecture: 'arm64',
    variant: 'v8',
    created: '2026-11-02T00:00:00Z',
  });
  await pushImage(registry, 'acme/year-10000', '1', { created: '9999-12-31T23:00:00-02:00' });
  await pushImage(registry, 'acme/february-30', '1', { created: '2026-02-30T00:00:00Z' });
}, 60_000);

afterAll(() => registry?.stop());

const inspect = (repository: string, ...extra: string[]) =>
  cli([
    'inspect',
    `${registry.host}/${repository}:1`,
    '--json',
    '--registry-config',
    config,
    '--insecure-registry',
    registry.host,
    ...extra,
  ]);

const created = async (repository: string) => {
  const result = await inspect(repository);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout).created;
};

describe('created: the config blob\'s "created", else the annotation, else the label', () => {
  test('the config wins over the annotation and the label, earlier or later than they are', async () => {
    expect(await created('acme/config-earlier')).toBe('2026-11-01T00:00:00Z');
    expect(await created('acme/config-later')).toBe('2026-11-05T00:00:00Z');
  });

  test('without one in the config, the annotation wins over the label, earlier or later', async () => {
    expect(await created('acme/annotation-later')).toBe('2026-11-03T00:00:00Z');
    expect(await created('acme/annotation-earlier')).toBe('2026-11-01T00:00:00Z');
  });

  test('the label when there is nothing else', async () => {
    expect(await created('acme/label-only')).toBe('2026-11-04T00:00:00Z');
  });

  test('a config time that is no calendar instant is unknown (null), never written as "+010000-…"', async () => {
    expect(await created('acme/year-10000')).toBeNull();
    expect(await created('acme/february-30')).toBeNull();
  });
});

describe('--platform on a single-platform image (no index)', () => {
  test('another platform than the image is: exit 1, naming the platform it is', async () => {
    const result = await inspect('acme/amd64-only', '--platform', 'linux/arm64');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no linux/arm64 manifest:');
    expect(result.stderr).toContain('is a single linux/amd64 image');
  });

  test('its own platform (linux/arm64 meaning linux/arm64/v8): the image, described', async () => {
    const amd64 = await inspect('acme/amd64-only', '--platform', 'linux/amd64');
    expect(amd64.status).toBe(0);
    expect(JSON.parse(amd64.stdout)).toMatchObject({ platforms: [], platform: 'linux/amd64' });
    const arm64 = await inspect('acme/arm64-only', '--platform', 'linux/arm64');
    expect(arm64.status).toBe(0);
    expect(JSON.parse(arm64.stdout)).toMatchObject({ platforms: [], platform: 'linux/arm64/v8' });
  });
});
