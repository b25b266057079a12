/**
 * Issue 21, "Done when", second half: a rescan that reveals a fixable CRITICAL in the current digest makes the pending
 * rebuilds urgent. node:22-bookworm-slim is updated on day 1 and both digests scan clean, so node-base's rebuild is
 * pending for its 7-day delay. Then the vulnerability database learns of CVE-2019-18224 in the digest node-base is
 * built on (the stand-in now answers with Trivy's debian-buster report for it: Status fixed), while the update stays
 * clean. The daily CronJob image-factory-rescan (03:41) records that, and the next hourly `rebuild --due` sweep makes
 * the pending rebuild urgent and triggers it: days before its delay ends.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DAY_MS, formatInstant } from '../../src/util/time.js';
import type { GithubStub } from '../support/forge-stubs.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { type CatalogueImage, startWorld } from './scenario.js';
import type { World } from './world.js';

const HOUR = 3_600_000;
const START = Date.parse('2026-11-02T00:00:00Z');
const UPDATE = START + DAY_MS;
/** When the database learns of the CVE: after the day-2 rescan of 03:41, before the day-3 one. */
const PUBLISHED = START + DAY_MS + 12 * HOUR;
const RESCAN = START + 2 * DAY_MS + 3 * HOUR + 41 * 60_000;
const END = START + 3 * DAY_MS;
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

let registry: TestRegistry;
let github: GithubStub;
let world: World;
let installed: string;
let updated = '';

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  ({ world, github } = await startWorld(registry, IMAGES, START, { rescan: true }));
  installed = await world.digestOf('library/node', '22-bookworm-slim');
  world.at(UPDATE, async () => {
    updated = (await world.push('library/node', ['22-bookworm-slim'])).digest;
  });
  world.at(PUBLISHED, async () => world.scanFinds(installed, 'debian-buster.json.golden'));
  await world.runUntil(END);
}, 600_000);

afterAll(async () => {
  await github?.close();
  await registry?.stop();
});

describe('the daily rescan in the cluster', () => {
  test('every Job completed, the rescans included', () => {
    const failed = world.jobs.filter((j) => j.run.condition !== 'Complete');
    expect(failed.map((j) => `${formatInstant(j.at)} ${j.kind}: ${j.run.pods.at(-1)?.stderr.slice(-400)}`)).toEqual([]);
    // No step fell back: every scan was made and recorded (a failed one is said on stderr and the Job goes on).
    const fallbacks = world.jobs.flatMap((j) =>
      j.run.pods.flatMap((p) =>
        p.stderr.split('\n').filter((line) => /scan record failed|no Trivy report|^trivy image .* failed/.test(line)),
      ),
    );
    expect(fallbacks).toEqual([]);
    expect(world.jobs.filter((j) => j.kind === 'rescan').map((j) => formatInstant(j.at))).toEqual([
      '2026-11-02T03:41:00Z',
      '2026-11-03T03:41:00Z',
      '2026-11-04T03:41:00Z',
    ]);
  });

  test('the rescan scans the current and the latest digest of node with Trivy, where the Job says', () => {
    const rescanned = world
      .trivyCalls()
      .filter((c) => /\/volumes\/scan\/reports\/\d+\.json$/.test(c.argv[4] ?? ''))
      .map((c) => c.argv.at(-1));
    const host = registry.host;
    expect(rescanned, world.story()).toEqual(
      expect.arrayContaining([`${host}/library/node@${installed}`, `${host}/library/node@${updated}`]),
    );
  });

  test('node-base is triggered after the rescan that found the fix, not before and not after its 7-day delay', () => {
    const builds = world.builds.filter((b) => b.image === 'node-base');
    expect(
      builds.map((b) => formatInstant(b.dispatchedAt)),
      world.story(),
    ).toHaveLength(1);
    const dispatched = builds[0]?.dispatchedAt ?? Number.NaN;
    expect(dispatched).toBeGreaterThanOrEqual(RESCAN);
    expect(dispatched - RESCAN).toBeLessThanOrEqual(HOUR);
    expect(builds[0]?.bases.map((b) => b.digest)).toEqual([updated]);
  });
});
