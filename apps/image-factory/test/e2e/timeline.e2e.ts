/**
 * Issue 19, "Done when": the rebuild timeline of docs/rebuilds.md (and the README's one-screen tour) is this
 * scenario's, step by step. node:22-bookworm-slim is pushed on Nov 1 00:00 (`a`) and again on Nov 3 00:00 (`b`);
 * node-base (rebuildDelay 1d) is built FROM it and published as node-base:22; api (7d) is built FROM node-base:22.
 * The manifests a user renders run on Kargo's and Argo Rollouts' semantics (world.ts); every row of the doc's table
 * is checked here against what the run did and recorded, and the table's "when" column must be the times this run
 * saw, in order.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DAY_MS, formatInstant } from '../../src/util/time.js';
import { REPO_ROOT } from '../helpers.js';
import type { GithubStub } from '../support/forge-stubs.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { type CatalogueImage, startWorld } from './scenario.js';
import type { World } from './world.js';

const MINUTE = 60_000;
const START = Date.parse('2026-11-01T00:00:00Z');
const NODE_A = START;
const NODE_B = START + 2 * DAY_MS;
const END = START + 14 * DAY_MS;
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
    name: 'api',
    repository: 'acme/api',
    movingTag: '3',
    major: 3,
    rebuildDelay: '7d',
    bases: [{ repository: 'acme/node-base', tag: '22' }],
  },
];

interface Pending {
  readonly image: string;
  readonly since: string;
  readonly due: string;
  readonly waitFor?: readonly string[];
  readonly waitUntil?: string | null;
  readonly causes?: readonly { readonly base: string; readonly digest: string }[];
}

const at = (day: number, hh: number, mm: number) => Date.UTC(2026, 10, day, hh, mm);
/** When the pending rebuilds are read (a minute after each step of the doc's table). */
const SNAPSHOTS = [
  at(1, 0, 18),
  at(1, 1, 0),
  at(2, 0, 18),
  at(2, 0, 40),
  at(3, 0, 18),
  at(3, 1, 0),
  at(4, 0, 18),
  at(4, 0, 40),
  at(8, 0, 18),
  at(11, 1, 18),
  at(14, 0, 0),
];
const snapshots = new Map<number, Map<string, Pending[]>>();
let registry: TestRegistry;
let github: GithubStub;
let world: World;
const node: { a?: string; b?: string } = {};

function pendingNow(): Map<string, Pending[]> {
  const byBase = new Map<string, Pending[]>();
  for (const path of world.baseImageFilesAtTip()) {
    const state = parse(world.file(path) ?? '{}');
    const repository: string = state?.repository ?? path;
    byBase.set(repository.split('/').slice(-2).join('/'), state?.rebuild?.pending ?? []);
  }
  return byBase;
}

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  ({ world, github } = await startWorld(registry, IMAGES, START - MINUTE));
  world.at(NODE_A, async () => {
    node.a = (await world.push('library/node', ['22-bookworm-slim'])).digest;
  });
  world.at(NODE_B, async () => {
    node.b = (await world.push('library/node', ['22-bookworm-slim'])).digest;
  });
  for (const at of SNAPSHOTS) world.at(at, async () => void snapshots.set(at, pendingNow()));
  await world.runUntil(END);
}, 600_000);

afterAll(async () => {
  await github?.close();
  await registry?.stop();
});

const when = (ms: number) => formatInstant(ms);
const builds = (image: string) => world.builds.filter((b) => b.image === image);
const jobsAt = (time: number, text: string) =>
  world.jobs.filter((j) => j.at === time && j.args.join(' ').includes(text) && j.run.condition === 'Complete');
const pendingOf = (time: number, base: string, image: string) =>
  snapshots
    .get(time)
    ?.get(base)
    ?.find((p) => p.image === image);
const pushedAt = (time: number, what: string) =>
  world.log.some((h) => h.at === time && h.what.startsWith(`pushed ${what}`));

/** The doc's table rows' "when" cells (docs/rebuilds.md, "An example timeline"), as instants of Nov 2026. */
function docTimes(): number[] {
  const doc = readFileSync(`${REPO_ROOT}/docs/rebuilds.md`, 'utf8');
  const section = doc.slice(doc.indexOf('## An example timeline'), doc.indexOf('## Triggers'));
  return [...section.matchAll(/^\| Nov (\d+) (\d\d):(\d\d) \|/gm)].map((m) =>
    at(Number(m[1]), Number(m[2]), Number(m[3])),
  );
}

describe('the timeline of docs/rebuilds.md, on Kargo', () => {
  test('Nov 1 00:00, node a released; 00:17 the hourly sweep HEADs every base tag and records it', () => {
    expect(pushedAt(NODE_A, 'library/node:22-bookworm-slim'), world.story()).toBe(true);
    expect(jobsAt(at(1, 0, 17), '--due')).toHaveLength(1);
    expect(pendingOf(at(1, 0, 18), 'library/node', 'node-base')).toMatchObject({
      since: when(NODE_A),
      due: when(at(2, 0, 0)),
      waitFor: [],
    });
    expect(pendingOf(at(1, 0, 18), 'library/node', 'api')).toMatchObject({
      since: when(NODE_A),
      due: when(at(8, 0, 0)),
      waitFor: ['node-base'],
      waitUntil: when(at(8, 1, 0)),
    });
  });

  test('Nov 1 00:59, the Warehouse finds it and the -rebuild Stage reports it: already recorded, nothing changes', () => {
    expect(jobsAt(at(1, 0, 59), '--reference')).toHaveLength(1);
    expect(snapshots.get(at(1, 1, 0))).toEqual(snapshots.get(at(1, 0, 18)));
  });

  test('Nov 2 00:17, the sweep triggers node-base pinned to node a; 00:37 its build is pushed under :22', () => {
    const [first] = builds('node-base');
    expect(first?.dispatchedAt).toBe(at(2, 0, 17));
    expect(first?.bases).toEqual([expect.objectContaining({ digest: node.a, pinned: true })]);
    expect(first?.pushedAt).toBe(at(2, 0, 37));
    expect(pendingOf(at(2, 0, 18), 'library/node', 'node-base')).toBeUndefined();
  });

  test('Nov 2 00:39, Warehouse node-base:22 → its -rebuild Stage → rebuild --reference node-base:22: api waits for nothing', () => {
    expect(jobsAt(at(2, 0, 39), 'acme/node-base:22')).toHaveLength(1);
    expect(pendingOf(at(2, 0, 40), 'acme/node-base', 'api')).toMatchObject({
      since: when(NODE_A),
      due: when(at(8, 0, 0)),
      waitFor: [],
    });
  });

  test('Nov 3 00:00, node b; 00:17 recorded: node-base pending again (due Nov 4), api keeps its since', () => {
    expect(pushedAt(NODE_B, 'library/node:22-bookworm-slim')).toBe(true);
    expect(pendingOf(at(3, 0, 18), 'library/node', 'node-base')).toMatchObject({
      since: when(NODE_B),
      due: when(at(4, 0, 0)),
    });
    expect(pendingOf(at(3, 0, 18), 'library/node', 'api')).toMatchObject({
      since: when(NODE_A),
      due: when(at(8, 0, 0)),
    });
  });

  test('Nov 4 00:17, node-base triggered on node b; 00:37 pushed; 00:39 reported: api’s entry gains it', () => {
    const second = builds('node-base')[1];
    expect(second?.dispatchedAt).toBe(at(4, 0, 17));
    expect(second?.bases).toEqual([expect.objectContaining({ digest: node.b, pinned: true })]);
    expect(jobsAt(at(4, 0, 39), 'acme/node-base:22')).toHaveLength(1);
    const api = pendingOf(at(4, 0, 40), 'acme/node-base', 'api');
    expect(api?.due).toBe(when(at(8, 0, 0)));
    expect(api?.causes).toContainEqual(expect.objectContaining({ digest: second?.digest }));
  });

  test('Nov 8 00:17, api triggered once, pinned to node-base’s first new build; the second is its next wave', () => {
    const [first, second] = builds('node-base');
    const [api] = builds('api');
    expect(api?.dispatchedAt).toBe(at(8, 0, 17));
    expect(api?.bases).toEqual([expect.objectContaining({ digest: first?.digest, pinned: true })]);
    expect(pendingOf(at(8, 0, 18), 'acme/node-base', 'api')).toMatchObject({
      since: when(second?.pushedAt ?? 0),
      due: when((second?.pushedAt ?? 0) + 7 * DAY_MS),
      causes: [expect.objectContaining({ digest: second?.digest })],
    });
  });

  test('Nov 11 01:17, the sweep after that due time triggers api on node-base’s second build; nothing is left', () => {
    const [, second] = builds('node-base');
    const apis = builds('api');
    expect(apis.map((b) => when(b.dispatchedAt))).toEqual([when(at(8, 0, 17)), when(at(11, 1, 17))]);
    expect(apis[1]?.bases).toEqual([expect.objectContaining({ digest: second?.digest, pinned: true })]);
    expect(builds('node-base')).toHaveLength(2);
    for (const base of snapshots.get(at(14, 0, 0))?.values() ?? []) expect(base).toEqual([]);
  });

  test('the doc’s table has a row for each of these steps, at these times, in this order', () => {
    expect(docTimes().map(when)).toEqual(
      [
        at(1, 0, 0),
        at(1, 0, 17),
        at(1, 0, 59),
        at(2, 0, 17),
        at(2, 0, 37),
        at(2, 0, 39),
        at(3, 0, 0),
        at(3, 0, 17),
        at(4, 0, 17),
        at(8, 0, 17),
        at(11, 1, 17),
      ].map(when),
    );
  });
});
