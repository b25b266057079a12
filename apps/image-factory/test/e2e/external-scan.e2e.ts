/**
 * Issue 21, item 1, for external images: an external image is scanned in the cluster at every digest its Warehouse
 * finds. redis (an external image: tracked only, SemVer on ^7\.4\.\d+$) is enrolled beside node-base; the chart
 * renders its Warehouse and its Stage redis-scan, auto-promoted, verified by the AnalysisTemplate image-factory-scan:
 * the Job runs the template's own steps (`trivy` is the stand-in, trivy-stand-in.mjs, writing one of Trivy's golden
 * reports where `--output` says; then `scan record`). On day 1 redis:7.4.2 is pushed, a new digest carrying a fixable
 * CRITICAL (debian-buster: CVE-2019-18224, Status fixed); within the Warehouse's interval its scan is in redis's state
 * file, with nobody running anything by hand. The git remote is down for the first quarter hour after the push: the
 * scan Job fails (scan record cannot push) and the verification's metric tries again ten minutes later, since nothing
 * else would scan that digest (the daily rescan knows an external image's digests only from its recorded scans).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DAY_MS, formatInstant, parseTime } from '../../src/util/time.js';
import type { GithubStub } from '../support/forge-stubs.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { list, str } from './objects.js';
import { type CatalogueExternal, type CatalogueImage, startWorld } from './scenario.js';
import type { World } from './world.js';

const HOUR = 3_600_000;
const START = Date.parse('2026-11-02T00:00:00Z');
const UPDATE = START + DAY_MS;
const END = UPDATE + 3 * HOUR;
/** The git remote is unreachable from the push until a quarter hour after it (the rebuild sweep runs at :17). */
const OUTAGE_END = UPDATE + 15 * 60_000;
const IMAGES: CatalogueImage[] = [
  {
    name: 'node-base',
    repository: 'acme/node-base',
    movingTag: '22',
    major: 22,
    rebuildDelay: '7d',
    bases: [{ repository: 'library/node', tag: '22-bookworm-slim' }],
  },
];
const REDIS: CatalogueExternal = {
  name: 'redis',
  repository: 'library/redis',
  allowTags: '^7\\.4\\.\\d+$',
  tag: '7.4.1',
};

let registry: TestRegistry;
let github: GithubStub;
let world: World;
let installed: string;
let updated = '';

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  ({ world, github } = await startWorld(registry, IMAGES, START, { externals: [REDIS] }));
  installed = await world.digestOf('library/redis', '7.4.1');
  world.gitOutage(UPDATE, OUTAGE_END);
  world.at(UPDATE, async () => {
    updated = (await world.push('library/redis', ['7.4.2'])).digest;
    world.scanFinds(updated, 'debian-buster.json.golden');
  });
  await world.runUntil(END);
}, 600_000);

afterAll(async () => {
  await github?.close();
  await registry?.stop();
});

/** redis's state file at the remote's tip. */
function redisScans(): unknown[] {
  const text = world.file('image-factory/state/images/redis.yaml');
  if (text === null) throw new Error(`no state file for redis\n${world.story()}`);
  return list(parse(text), 'vulnerabilities', 'scans');
}

describe('an external image scanned in the cluster at every new digest', () => {
  test("the chart's redis Warehouse and redis-scan Stage were applied, and each Freight's verification succeeded", () => {
    expect(world.log.map((h) => h.what)).toEqual(
      expect.arrayContaining(['applied Warehouse redis', 'applied Stage redis-scan']),
    );
    const runs = world.analysisRuns.filter((r) => r.stage === 'redis-scan');
    // One verification per Freight: the digest at install, scanned at once; the one pushed on day 1, whose Jobs
    // during the outage failed and whose third attempt, after it, recorded the scan.
    expect(
      runs.map((r) => [r.phase, ...r.measurements]),
      world.story(),
    ).toEqual([
      ['Successful', 'Complete'],
      ['Successful', 'Failed', 'Failed', 'Complete'],
    ]);
    // Only those two Jobs failed, each saying why: scan record could not push while git was down.
    const failed = world.jobs.filter((j) => j.run.condition !== 'Complete');
    expect(failed.map((j) => [formatInstant(j.at), j.args[0]])).toEqual([
      [formatInstant(UPDATE), 'scan-record'],
      [formatInstant(UPDATE + 11 * 60_000), 'scan-record'],
    ]);
    for (const job of failed)
      expect(job.run.pods.at(-1)?.stderr).toMatch(
        /scan record failed \(exit \d+\): this Job fails and the verification tries again/,
      );
    // Every other scan was made and recorded at the first attempt.
    const fallbacks = world.jobs
      .filter((j) => j.run.condition === 'Complete')
      .flatMap((j) => j.run.pods.flatMap((p) => p.stderr.split('\n').filter((line) => /failed/.test(line))));
    expect(fallbacks).toEqual([]);
  });

  test("Trivy scanned each redis digest as the scan Job tells it: trivy image --format json --output <the pod's scan volume> <repo>@<digest>", () => {
    const host = registry.host;
    const calls = world.trivyCalls().filter((c) => (c.argv.at(-1) ?? '').startsWith(`${host}/library/redis@`));
    expect(
      calls.map((c) => c.argv.at(-1)),
      world.story(),
    ).toEqual([
      `${host}/library/redis@${installed}`,
      // Each attempt scans again (the pod's emptyDir went with the failed one).
      ...Array(3).fill(`${host}/library/redis@${updated}`),
    ]);
    for (const call of calls) {
      expect(call.argv.slice(0, 5)).toEqual(['image', '--format', 'json', '--output', expect.any(String)]);
      expect(call.argv[4]).toMatch(/\/volumes\/scan\/report\.json$/);
      expect(call.argv).toContain('--scanners=vuln');
      expect(call.dockerConfig).toMatch(/\/volumes\/registry-credentials$/);
    }
  });

  test("both digests' scans are in redis's state file, the new one within the Warehouse's interval of the push", () => {
    const byDigest = new Map(redisScans().map((s) => [str(s, 'digest'), s]));
    expect([...byDigest.keys()].sort(), world.story()).toEqual([installed, updated].sort());
    expect(byDigest.get(installed)).toMatchObject({
      summary: { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
      fixable: [],
    });
    const scan = byDigest.get(updated);
    expect(scan).toMatchObject({
      summary: { criticalCount: 1 },
      fixable: [expect.objectContaining({ id: 'CVE-2019-18224', severity: 'CRITICAL' })],
    });
    // External Warehouses poll at defaults.interval (5m0s): scanned at the first discovery after the push.
    const scannedAt = parseTime(str(scan, 'scannedAt'));
    if (!scannedAt.ok) throw new Error(scannedAt.error);
    expect(scannedAt.ms).toBeGreaterThanOrEqual(UPDATE);
    expect(scannedAt.ms - UPDATE).toBeLessThanOrEqual(HOUR);
  });
});
