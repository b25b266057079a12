/** The rebuild rules of DESIGN §10 as scenarios: pure functions, times as ISO strings. */
import { describe, expect, test } from 'vitest';
import {
  type BaseUpdate,
  decideWave,
  type PendingRebuild,
  type WaveGraph,
  type WaveImage,
} from '../src/rebuild/wave.js';
import { parseTrivyReport, summariseScan } from '../src/scan/index.js';
import { criticalsFixed } from '../src/state/vulnerabilities.js';
import { fixture } from './helpers.js';

const DAY = 86_400;
const D = (day: number, hour = 0) => `${new Date(Date.UTC(2026, 10, 1 + day, hour)).toISOString().slice(0, 19)}Z`;
const digest = (c: string) => `sha256:${c.repeat(64)}`;

function image(name: string, bases: string[], extra: Partial<WaveImage> = {}): WaveImage {
  return {
    name,
    bases,
    rebuildDelaySeconds: 7 * DAY,
    autoRebuild: true,
    build: { created: D(-30), baseDigests: [] },
    ...extra,
  };
}

function graph(images: WaveImage[], managedBase: Record<string, string> = {}): WaveGraph {
  return { images: new Map(images.map((i) => [i.name, i])), managedBase: new Map(Object.entries(managedBase)) };
}

const update = (base: string, c: string, released: string | null, seen: string, urgent = false): BaseUpdate => ({
  base,
  digest: digest(c),
  released,
  seen,
  urgent,
});

function decide(g: WaveGraph, u: BaseUpdate, pending: PendingRebuild[] = []) {
  const result = decideWave(g, u, new Map(pending.map((p) => [p.image, p])));
  if (!result.ok) throw new Error(`cycle ${result.cycle.join(' → ')}`);
  return result.decisions;
}

describe('delay from release', () => {
  test("rebuildDelay counts from the digest's release, not from when the factory saw it", () => {
    const [d] = decide(graph([image('api', ['node'])]), update('node', 'a', D(0), D(1)));
    expect(d).toMatchObject({ action: 'rebuild', image: 'api', since: D(0), due: D(7), urgent: false });
  });

  test('0 is immediate; an unknown release (epoch date) counts from when it was seen', () => {
    expect(
      decide(graph([image('docs', ['nginx'], { rebuildDelaySeconds: 0 })]), update('nginx', 'a', D(2), D(2, 5)))[0],
    ).toMatchObject({ due: D(2) });
    expect(decide(graph([image('api', ['distroless'])]), update('distroless', 'a', null, D(3)))[0]).toMatchObject({
      since: D(3),
      due: D(10),
    });
  });

  test('autoRebuild: false records, never rebuilds, and its dependents are not in the wave', () => {
    const g = graph([image('node-base', ['node'], { autoRebuild: false }), image('api', ['node-base-22'])], {
      'node-base-22': 'node-base',
    });
    expect(decide(g, update('node', 'a', D(0), D(0)))).toEqual([
      { action: 'record-only', image: 'node-base', since: D(0) },
    ]);
  });
});

describe('no starvation', () => {
  test('a tag re-pushed every 2 days under a 7-day delay is rebuilt by day 7, on whatever is current', () => {
    const g = graph([image('api', ['node'])]);
    let pending: PendingRebuild[] = [];
    let rebuiltOn: { day: number; causes: number } | undefined;
    for (let day = 0; day <= 10 && rebuiltOn === undefined; day += 2) {
      const [d] = decide(g, update('node', String.fromCharCode(97 + day), D(day), D(day)), pending);
      if (d?.action !== 'rebuild') throw new Error('expected a rebuild');
      // The delay never restarts: due stays 7 days after the first pending update.
      expect(d.due).toBe(D(7));
      pending = [d];
      for (let hour = day * 24; hour < (day + 2) * 24; hour++) {
        if (d.due <= D(0, hour)) {
          rebuiltOn = { day: hour / 24, causes: d.causes.length };
          break;
        }
      }
    }
    expect(rebuiltOn).toEqual({ day: 7, causes: 4 });
  });
});

describe('urgency', () => {
  test('a new digest that fixes a CRITICAL vulnerability makes the rebuild due at once, even mid-delay', () => {
    const scan = (file: string, digestOf: string) => {
      const report = parseTrivyReport(JSON.parse(fixture(file)));
      if (!report.ok) throw new Error(report.error);
      const summary = summariseScan(report.value, { digest: digestOf, now: '2026-11-20T00:00:00Z' });
      if (!summary.ok) throw new Error(summary.error);
      return summary.value;
    };
    const old = scan('trivy/node-22-old.json', digest('a'));
    const next = scan('trivy/node-22-new.json', digest('b'));
    expect(old.summary).toMatchObject({ criticalCount: 1, highCount: 1 });
    expect(criticalsFixed(old, next)).toEqual(['CVE-2026-0001']);
    expect(criticalsFixed(next, old)).toEqual([]);
    expect(criticalsFixed(undefined, next)).toEqual([]);
    const g = graph([image('api', ['node'])]);
    const [first] = decide(g, update('node', 'b', D(0), D(0)));
    const [second] = decide(g, update('node', 'c', D(1), D(1, 3), true), first?.action === 'rebuild' ? [first] : []);
    expect(second).toMatchObject({ action: 'rebuild', since: D(0), due: D(1, 3), urgent: true });
  });

  test('a report without RepoDigests cannot be matched and says so', () => {
    expect(parseTrivyReport({ SchemaVersion: 2, Metadata: {} })).toEqual({
      ok: false,
      error: expect.stringContaining('RepoDigests'),
    });
    expect(parseTrivyReport({ SchemaVersion: 1 }).ok).toBe(false);
  });
});

describe('fresh already', () => {
  test('built from the new base (OCI base.digest) or created after its release: not rebuilt, nor its dependents', () => {
    const g = graph(
      [
        image('a', ['node'], { build: { created: D(-1), baseDigests: [digest('n')] } }),
        image('b', ['node'], { build: { created: D(5), baseDigests: [] } }),
        image('c', ['node']),
        image('on-b', ['b-1']),
      ],
      { 'b-1': 'b' },
    );
    const decisions = decide(g, update('node', 'n', D(4), D(4)));
    expect(decisions.map((d) => [d.image, d.action])).toEqual([
      ['a', 'fresh'],
      ['b', 'fresh'],
      ['c', 'rebuild'],
    ]);
  });
});

describe('one rebuild per image per wave', () => {
  test('two bases updated in the same hour: one pending rebuild with both causes', () => {
    const g = graph([image('app', ['node', 'nginx'])]);
    const [first] = decide(g, update('node', 'a', D(0, 9), D(0, 9)));
    const decisions = decide(g, update('nginx', 'b', D(0, 10), D(0, 10)), first?.action === 'rebuild' ? [first] : []);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      action: 'rebuild',
      since: D(0, 9),
      due: D(7, 9),
      causes: [
        { base: 'nginx', digest: digest('b') },
        { base: 'node', digest: digest('a') },
      ],
    });
  });

  test('a three-level cascade: each image once, delays from the first release (not added up), each waits for its parent', () => {
    const g = graph(
      [
        image('node-base', ['node'], { rebuildDelaySeconds: DAY }),
        image('api', ['node-base-22']),
        image('api-worker', ['api-1'], { rebuildDelaySeconds: 3 * DAY }),
      ],
      { 'node-base-22': 'node-base', 'api-1': 'api' },
    );
    expect(decide(g, update('node', 'a', D(0), D(0)))).toEqual([
      {
        action: 'rebuild',
        image: 'api',
        since: D(0),
        due: D(7),
        urgent: false,
        causes: [{ base: 'node', digest: digest('a') }],
        waitFor: ['node-base'],
        waitUntil: D(7, 1),
      },
      {
        action: 'rebuild',
        image: 'api-worker',
        since: D(0),
        due: D(3),
        urgent: false,
        causes: [{ base: 'node', digest: digest('a') }],
        waitFor: ['api'],
        waitUntil: D(7, 1),
      },
      {
        action: 'rebuild',
        image: 'node-base',
        since: D(0),
        due: D(1),
        urgent: false,
        causes: [{ base: 'node', digest: digest('a') }],
        waitFor: [],
        waitUntil: null,
      },
    ]);
  });

  test('a diamond: the image at the bottom is decided once and waits for both parents', () => {
    const g = graph(
      [
        image('top', ['node']),
        image('left', ['top-1']),
        image('right', ['top-1']),
        image('bottom', ['left-1', 'right-1']),
      ],
      { 'top-1': 'top', 'left-1': 'left', 'right-1': 'right' },
    );
    const decisions = decide(g, update('node', 'a', D(0), D(0)));
    expect(decisions.map((d) => d.image)).toEqual(['bottom', 'left', 'right', 'top']);
    expect(decisions[0]).toMatchObject({ image: 'bottom', waitFor: ['left', 'right'] });
  });
});

test('a cycle is an error naming it, with no decision along it', () => {
  const g = graph([image('a', ['node', 'b-1']), image('b', ['a-1'])], { 'a-1': 'a', 'b-1': 'b' });
  expect(decideWave(g, update('node', 'x', D(0), D(0)), new Map())).toEqual({ ok: false, cycle: ['a', 'b', 'a'] });
});
