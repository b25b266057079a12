/**
 * Issue 19, item 5, the cascade: the manifests a user renders (kustomize folder + chart) run on Kargo's and Argo
 * Rollouts' semantics for twelve simulated days. node:22-bookworm-slim (external) is re-pushed every 2 days; node-base
 * (rebuildDelay 1d) is built FROM it, backstage (3d) FROM node-base:22, portal (7d) FROM backstage:1 and node itself.
 * The rules (docs/rebuilds.md, DESIGN §10): each image triggered once per wave, every level reached, every build on
 * bases pinned by the decision and at least its delay old.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DAY_MS, formatInstant } from '../../src/util/time.js';
import type { GithubStub } from '../support/forge-stubs.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { type CatalogueImage, startWorld } from './scenario.js';
import type { Build, World } from './world.js';

const START = Date.parse('2026-11-01T00:00:00Z');
const NODE_PUSHES = [1, 3, 5, 7].map((day) => START + day * DAY_MS);
const END = START + 12 * DAY_MS;
const DELAY_DAYS: Record<string, number> = { 'node-base': 1, backstage: 3, portal: 7 };
const IMAGES: CatalogueImage[] = [
  {
    name: 'node-base',
    repository: 'acme/node-base',
    movingTag: '22',
    major: 22,
    rebuildDelay: '1d',
    bases: [{ repository: 'library/node', tag: '22-bookworm-slim' }],
  },
  {
    name: 'backstage',
    repository: 'acme/backstage',
    movingTag: '1',
    major: 1,
    rebuildDelay: '3d',
    bases: [{ repository: 'acme/node-base', tag: '22' }],
  },
  {
    name: 'portal',
    repository: 'acme/portal',
    movingTag: '2',
    major: 2,
    rebuildDelay: '7d',
    bases: [
      { repository: 'acme/backstage', tag: '1', as: 'app' },
      { repository: 'library/node', tag: '22-bookworm-slim' },
    ],
  },
];

let registry: TestRegistry;
let github: GithubStub;
let world: World;
const nodeDigests = new Set<string>();

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  ({ world, github } = await startWorld(registry, IMAGES, START));
  for (const at of NODE_PUSHES)
    world.at(at, async () => {
      nodeDigests.add((await world.push('library/node', ['22-bookworm-slim'])).digest);
    });
  await world.runUntil(END);
}, 600_000);

afterAll(async () => {
  await github?.close();
  await registry?.stop();
});

const buildsOf = (image: string) => world.builds.filter((b) => b.image === image);
const day = (ms: number) => formatInstant(ms);

/** Whether a digest carries one of the scenario's node updates: it is one, or a build on one (through any level). */
function carriesNewNode(digest: string): boolean {
  if (nodeDigests.has(digest)) return true;
  const build = world.builds.find((b) => b.digest === digest);
  return build?.bases.some((b) => carriesNewNode(b.digest)) ?? false;
}

describe('the cascade on Kargo, from the rendered manifests', () => {
  test('every Job of the run completed, and every verification succeeded', () => {
    const failed = world.jobs.filter((j) => j.run.condition !== 'Complete');
    expect(failed.map((j) => `${day(j.at)} ${j.args[0]}: ${j.run.pods.at(-1)?.stderr.slice(-400)}`)).toEqual([]);
    expect(world.analysisRuns.filter((r) => r.phase !== 'Successful').map((r) => r.name)).toEqual([]);
  });

  test('node-base is triggered once per node update, a day after it, each key once', () => {
    const nodeBase = buildsOf('node-base');
    expect(nodeBase.map((b) => day(b.dispatchedAt))).toEqual(NODE_PUSHES.map((at) => day(at + DAY_MS + 17 * 60_000)));
    const keys = world.builds.map((b) => b.key);
    expect(new Set(keys).size, world.story()).toBe(keys.length);
    expect(keys.every((k) => k !== undefined && k !== '')).toBe(true);
  });

  // The pin rule (docs/rebuilds.md): each base at its newest digest at least the image's delay old — or, at the due
  // time, the first update of that base since the image's previous rebuild (it qualifies however young: soak without
  // starvation, and down a chain the ancestor's new build is always younger than the root update's delay).
  test('every build is pinned by the trigger, on base digests at least the image’s delay old or its first update', () => {
    const firstUpdateSince = (repoURL: string, after: number) =>
      [...world.released]
        .filter(([digest, at]) => world.repositoryOf.get(digest) === repoURL && at > after)
        .sort(([, a], [, b]) => a - b)[0]?.[0];
    const young = world.builds.flatMap((b: Build) => {
      const previous = world.builds
        .filter((other) => other.image === b.image && other.dispatchedAt < b.dispatchedAt)
        .reduce((at, other) => Math.max(at, other.dispatchedAt), Number.NEGATIVE_INFINITY);
      return b.bases
        .filter((base) => {
          const released = world.released.get(base.digest);
          if (!base.pinned || released === undefined) return true;
          if (b.dispatchedAt - released >= (DELAY_DAYS[b.image] ?? 7) * DAY_MS) return false;
          const repoURL = world.repositoryOf.get(base.digest) ?? '';
          return firstUpdateSince(repoURL, previous) !== base.digest;
        })
        .map((base) => `${b.image} ${day(b.dispatchedAt)} on ${base.reference}@${base.digest.slice(7, 19)}`);
    });
    expect(young, world.story()).toEqual([]);
  });

  test('backstage and portal are triggered, backstage only after node-base’s new build', () => {
    expect(buildsOf('backstage').length).toBeGreaterThan(0);
    expect(buildsOf('portal').length).toBeGreaterThan(0);
    const firstNodeBase = buildsOf('node-base')[0]?.pushedAt ?? Number.POSITIVE_INFINITY;
    expect(buildsOf('backstage').every((b) => b.dispatchedAt > firstNodeBase)).toBe(true);
  });

  // Found by this scenario (issue 19 items 1-2) and fixed in rebuild/pins.ts: a dependent down a chain is due
  // `rebuildDelay` after the ROOT update's release, when its direct base's new build is younger than that delay; the
  // pin took the previous digest, so backstage and portal were rebuilt on exactly their old bases and the wave closed
  // without carrying the update. The first pending update's digest now qualifies at the due time however young.
  test('every rebuild carries the update that caused it (no rebuild on exactly the old bases)', () => {
    const noOps = world.builds.filter((b) => !b.bases.some((base) => carriesNewNode(base.digest)));
    expect(
      noOps.map((b) => `${b.image} ${day(b.dispatchedAt)}`),
      world.story(),
    ).toEqual([]);
  });

  test('every level is reached: portal is rebuilt on a backstage that carries a node update', () => {
    expect(
      buildsOf('portal').some((b) => b.bases.some((base) => carriesNewNode(base.digest))),
      world.story(),
    ).toBe(true);
  });
});
