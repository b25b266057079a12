/**
 * Issue 21, "Done when": in the cluster, a base update whose new digest fixes a CRITICAL triggers its dependents at
 * once, with no report given by hand. The rebuild verification Job scans the digest of each base Freight with Trivy
 * (its init container runs the manifests' own shell step; `trivy` is the stand-in, trivy-stand-in.mjs, writing one of
 * Trivy's golden reports where `--output` says), records the summary (`scan record`), then decides (`rebuild`).
 * node:22-bookworm-slim's digest at install carries a fixable CRITICAL (debian-buster: CVE-2019-18224 in libidn2-0,
 * Status fixed); the update pushed on day 1 carries none (alpine-39-skip). node-base's rebuildDelay is 7 days: only
 * the urgency rule (docs/rebuilds.md: the latest digest fixes a CRITICAL the current one has) sends it within the
 * three simulated days.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DAY_MS, formatInstant } from '../../src/util/time.js';
import type { GithubStub } from '../support/forge-stubs.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { at, list, str } from './objects.js';
import { type CatalogueImage, startWorld } from './scenario.js';
import type { World } from './world.js';

const START = Date.parse('2026-11-02T00:00:00Z');
const UPDATE = START + DAY_MS;
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
  ({ world, github } = await startWorld(registry, IMAGES, START));
  installed = await world.digestOf('library/node', '22-bookworm-slim');
  world.scanFinds(installed, 'debian-buster.json.golden');
  world.at(UPDATE, async () => {
    updated = (await world.push('library/node', ['22-bookworm-slim'])).digest;
    world.scanFinds(updated, 'alpine-39-skip.json.golden');
  });
  await world.runUntil(END);
}, 600_000);

afterAll(async () => {
  await github?.close();
  await registry?.stop();
});

/** The base image state file of node (the one file under state/base-images naming library/node). */
function nodeState(): unknown {
  const name = world.baseImageFilesAtTip().find((f) => (world.file(f) ?? '').includes('repository: library/node\n'));
  if (name === undefined) throw new Error(`no base image state for library/node\n${world.story()}`);
  return parse(world.file(name) ?? '');
}

describe('Trivy in the rebuild verification Job drives urgency', () => {
  test('every Job completed and every verification succeeded', () => {
    const failed = world.jobs.filter((j) => j.run.condition !== 'Complete');
    expect(failed.map((j) => `${formatInstant(j.at)} ${j.args[0]}: ${j.run.pods.at(-1)?.stderr.slice(-400)}`)).toEqual(
      [],
    );
    // No step fell back: every scan was made and recorded (a failed one is said on stderr and the Job goes on).
    const fallbacks = world.jobs.flatMap((j) =>
      j.run.pods.flatMap((p) =>
        p.stderr.split('\n').filter((line) => /scan record failed|no Trivy report|^trivy image .* failed/.test(line)),
      ),
    );
    expect(fallbacks).toEqual([]);
    expect(world.analysisRuns.filter((r) => r.phase !== 'Successful').map((r) => r.name)).toEqual([]);
  });

  test('Trivy ran as the Job tells it to: trivy image --format json --output <the scan volume> <repo>@<digest>', () => {
    const host = registry.host;
    const calls = world.trivyCalls();
    const scanned = calls.map((c) => c.argv.at(-1));
    expect(scanned, world.story()).toEqual(
      expect.arrayContaining([`${host}/library/node@${installed}`, `${host}/library/node@${updated}`]),
    );
    for (const call of calls) {
      expect(call.argv.slice(0, 5)).toEqual(['image', '--format', 'json', '--output', expect.any(String)]);
      // The output is the pod's `scan` emptyDir (the harness's folder for it), the file scan record reads.
      expect(call.argv[4]).toMatch(/\/volumes\/scan\/report\.json$/);
      expect(call.argv).toContain('--scanners=vuln');
      expect(call.dockerConfig).toMatch(/\/volumes\/registry-credentials$/);
    }
  });

  test('both digests’ scans are in node’s state file, summarised from the reports Trivy wrote', () => {
    const scans = list(nodeState(), 'vulnerabilities', 'scans');
    const byDigest = new Map(scans.map((s) => [str(s, 'digest'), s]));
    const old = byDigest.get(installed);
    expect(old, world.story()).toMatchObject({
      summary: { criticalCount: 1 },
      fixable: [expect.objectContaining({ id: 'CVE-2019-18224', severity: 'CRITICAL' })],
    });
    expect(byDigest.get(updated)).toMatchObject({
      summary: { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
      fixable: [],
    });
  });

  test('node-base is triggered within the hour of the update, urgent, not after its 7-day delay', () => {
    const builds = world.builds.filter((b) => b.image === 'node-base');
    expect(
      builds.map((b) => formatInstant(b.dispatchedAt)),
      world.story(),
    ).toHaveLength(1);
    const build = builds[0];
    expect(build?.dispatchedAt).toBeGreaterThanOrEqual(UPDATE);
    expect((build?.dispatchedAt ?? Number.POSITIVE_INFINITY) - UPDATE).toBeLessThanOrEqual(2 * 3_600_000);
    expect(build?.bases.map((b) => b.digest)).toEqual([updated]);
    // The rebuild record: the update is current, marked urgent (docs/rebuilds.md), and node-base's trigger at once.
    expect(at(nodeState(), 'rebuild', 'current'), world.story()).toMatchObject({ digest: updated, urgent: true });
    const triggered = list(nodeState(), 'rebuild', 'history').filter(
      (h) => str(h, 'image') === 'node-base' && str(h, 'result') === 'triggered',
    );
    expect(triggered.map((h) => str(h, 'digest'))).toEqual([updated]);
  });
});
