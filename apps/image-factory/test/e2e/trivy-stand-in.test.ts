/**
 * The stand-in for Trivy's executable that the end-to-end scenarios run where the manifests run `trivy` (in
 * `npm test`): Trivy's CLI refusals, the registry asked with DOCKER_CONFIG's credentials, the report written where
 * --output says, for the digest asked.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tempDir } from '../support/git-repos.js';
import { PASSWORD, pushImage, startRegistry, type TestRegistry, USER } from '../support/registry.js';

const STAND_IN = fileURLToPath(new URL('trivy-stand-in.mjs', import.meta.url));

describe('the Trivy stand-in', () => {
  let registry: TestRegistry;
  let digest: string;
  let dir: string;

  beforeAll(async () => {
    registry = await startRegistry('htpasswd');
    digest = (await pushImage(registry, 'library/node', '22', { created: '2026-10-01T00:00:00Z', layer: 'x' })).digest;
    dir = tempDir('if-trivy-stand-in-');
    writeFileSync(
      join(dir, 'reports.json'),
      JSON.stringify({ default: 'alpine-39-skip.json.golden', byDigest: { [digest]: 'debian-buster.json.golden' } }),
    );
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    mkdirSync(join(dir, 'docker'));
    writeFileSync(join(dir, 'docker/config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
  }, 60_000);

  afterAll(async () => {
    await registry?.stop();
  });

  const trivy = (args: string[], env: Record<string, string> = { DOCKER_CONFIG: join(dir, 'docker') }) =>
    spawnSync(process.execPath, [STAND_IN, ...args], {
      env: { PATH: process.env.PATH ?? '', TRIVY_STAND_IN_DIR: dir, ...env },
      encoding: 'utf8',
    });

  test('writes the fixture chosen for the digest where --output says, naming the reference it scanned', () => {
    const out = join(dir, 'report.json');
    const ref = `${registry.host}/library/node@${digest}`;
    const run = trivy([
      'image',
      '--format',
      'json',
      '--output',
      out,
      '--scanners=vuln',
      '--cache-dir',
      join(dir, 'c'),
      ref,
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.Metadata.RepoDigests).toEqual([ref]);
    expect(report.Results[0].Vulnerabilities.map((v: { VulnerabilityID: string }) => v.VulnerabilityID)).toContain(
      'CVE-2019-18224',
    );
  });

  test('refuses what Trivy refuses: an unknown flag, a digest the registry does not have, no credentials', () => {
    const out = join(dir, 'refused.json');
    const ref = `${registry.host}/library/node@${digest}`;
    expect(trivy(['image', '--format', 'json', '--output', out, '--bogus', ref])).toMatchObject({
      status: 1,
      stderr: 'Error: unknown flag: --bogus\n',
    });
    const missing = `${registry.host}/library/node@sha256:${'0'.repeat(64)}`;
    expect(trivy(['image', '--format', 'json', '--output', out, missing]).stderr).toMatch(
      /unable to find the specified image.*HTTP 404/,
    );
    expect(trivy(['image', '--format', 'json', '--output', out, ref], {}).stderr).toMatch(/HTTP 401/);
    expect(() => readFileSync(out)).toThrow();
  });
});
