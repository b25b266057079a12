/**
 * "Builds use the digest decided" (docs/rebuilds.md, DESIGN §10), pinned where the mutation run found it unpinned
 * (docs/mutation.md): each base is pinned to the newest digest *released* at least the image's rebuildDelay before now
 * (soak without starvation: the first pending update's digest always qualifies), or, urgent, to the newest digest that
 * fixes a CRITICAL; files written before `seen` was kept pin from current and latest; a FROM pinned by digest in the
 * Dockerfile gets no named context; the names are BuildKit's familiar form.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { buildContextName, buildContexts, pinnedDigest, pinsFor } from '../src/rebuild/pins.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import {
  type BaseImageState,
  EMPTY_STATE,
  type ImageState,
  type RebuildRecord,
  type SeenDigest,
} from '../src/state/types.js';

const DAY = 86_400;
const D = (c: string) => `sha256:${c.repeat(64)}`;
/** 2026-11-<day>. */
const T = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00Z`;
const seen = (c: string, released: number | null, seenDay: number, urgent = false): SeenDigest => ({
  digest: D(c),
  released: released === null ? null : T(released),
  seen: T(seenDay),
  ...(urgent ? { urgent: true as const } : {}),
});
const recordOf = (digests: SeenDigest[], extra: Partial<RebuildRecord> = {}): RebuildRecord => ({
  ...(digests[0] === undefined ? {} : { current: digests[0] }),
  seen: digests,
  pending: [],
  history: [],
  ...extra,
});

describe('the digest a base is pinned to', () => {
  test('the newest digest *released* at least the delay ago, whenever it was first seen', () => {
    // b was released first but seen late (Nov 10); c was released later (Nov 5) and seen at once.
    const record = recordOf([seen('a', 1, 1), seen('c', 5, 6), seen('b', 3, 10)]);
    expect(pinnedDigest(record, 2 * DAY, T(12), false, undefined)).toBe(D('c'));
    // At Nov 6, only b (released Nov 3) is two days old: seen on Nov 10 or not, its release counts.
    expect(pinnedDigest(recordOf([seen('a', 1, 1), seen('b', 3, 10)]), 2 * DAY, T(6), false, undefined)).toBe(D('b'));
  });

  test('nothing old enough and no pending update: the current digest', () => {
    const record = recordOf([seen('a', 1, 1), seen('b', 9, 9)]);
    expect(pinnedDigest(record, 30 * DAY, T(10), false, undefined)).toBe(D('a'));
  });

  test('nothing recorded for the base: no pin', () => {
    expect(pinnedDigest({ pending: [], history: [] }, DAY, T(10), false, undefined)).toBeUndefined();
  });

  test('urgent: the newest digest that fixes a CRITICAL, however young', () => {
    const record = recordOf([seen('a', 1, 1), seen('b', 8, 8, true), seen('c', 9, 9, true), seen('d', 9, 9)]);
    expect(pinnedDigest(record, 7 * DAY, T(10), true, undefined)).toBe(D('c'));
  });

  test('urgent without a digest marked as fixing: the delay rule', () => {
    const record = recordOf([seen('a', 1, 1), seen('b', 2, 2), seen('c', 9, 9)]);
    expect(pinnedDigest(record, 7 * DAY, T(10), true, undefined)).toBe(D('b'));
  });

  test('not urgent: a digest that fixes a CRITICAL waits for the delay like any other', () => {
    const record = recordOf([seen('a', 1, 1), seen('b', 2, 2), seen('c', 9, 9, true)]);
    expect(pinnedDigest(record, 7 * DAY, T(10), false, undefined)).toBe(D('b'));
  });

  test('a file written before `seen` was kept pins from current and latest', () => {
    const current = seen('a', 1, 1);
    const latest = seen('b', 2, 2);
    const without: RebuildRecord = { current, latest, pending: [], history: [] };
    expect(pinnedDigest(without, DAY, T(10), false, undefined)).toBe(D('b'));
    expect(pinnedDigest({ ...without, seen: [] }, DAY, T(10), false, undefined)).toBe(D('b'));
  });
});

describe('the pins of an image', () => {
  const enrolment = loadEnrolment(
    'images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n      workflow: build.yaml\n  - name: redis\n    registry: docker.io\n    repository: library/redis\n    allowTags: ^7\\.\n',
    'images.yaml',
  );
  const state = planStateUpdate(EMPTY_STATE, enrolment, [
    {
      image: 'api',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile(`FROM python:3.12\nFROM node:22\nFROM alpine@${D('9')}\n`, 'Dockerfile', {}),
      build: { tag: '1.0', digest: D('f') },
    },
  ]);
  const imageOf = (name: string): ImageState => {
    const found = state.images.get(name);
    if (found === undefined) throw new Error(`no image ${name}`);
    return found;
  };
  const baseNamed = (name: string): BaseImageState => {
    const found = state.baseImages.get(name);
    if (found === undefined) throw new Error(`no base ${name}: ${[...state.baseImages.keys()].join(', ')}`);
    return found;
  };
  const withRecords = (records: Record<string, RebuildRecord>) =>
    new Map([...state.baseImages].map(([name, base]) => [name, { ...base, rebuild: records[name] ?? base.rebuild }]));

  test('one pin per tracked base, by base name; a FROM pinned by digest in the Dockerfile gets none', () => {
    const bases = withRecords({
      'node-22': recordOf([seen('a', 1, 1)]),
      'python-3-12': recordOf([seen('b', 1, 1)]),
    });
    expect(pinsFor(imageOf('api'), bases, DAY, T(10), false, [])).toEqual([
      { base: 'node-22', digest: D('a') },
      { base: 'python-3-12', digest: D('b') },
    ]);
  });

  test('a base without a tag, pinned by digest, or missing from state gets no pin', () => {
    const records = withRecords({
      'node-22': recordOf([seen('a', 1, 1)]),
      'python-3-12': recordOf([seen('b', 1, 1)]),
    });
    const noTag = new Map<string, BaseImageState>([...records, ['node-22', { ...baseNamed('node-22'), tag: null }]]);
    expect(pinsFor(imageOf('api'), noTag, DAY, T(10), false, []).map((p) => p.base)).toEqual(['python-3-12']);
    const untracked = new Map<string, BaseImageState>([
      ...records,
      ['node-22', { ...baseNamed('node-22'), untracked: 'pinned-by-digest' as const }],
    ]);
    expect(pinsFor(imageOf('api'), untracked, DAY, T(10), false, []).map((p) => p.base)).toEqual(['python-3-12']);
    const missing = new Map([...records].filter(([name]) => name !== 'node-22'));
    expect(pinsFor(imageOf('api'), missing, DAY, T(10), false, []).map((p) => p.base)).toEqual(['python-3-12']);
  });

  test('an image the factory does not build has no pins', () => {
    expect(pinsFor(imageOf('redis'), withRecords({}), DAY, T(10), false, [])).toEqual([]);
  });

  test("the first pending update's digest qualifies however young, not the smallest digest among the causes", () => {
    // node-base's new builds: b on Nov 3 (the first pending update), then a on Nov 4; api waits 7 days from Nov 1.
    const bases = withRecords({
      'node-22': recordOf([seen('e', 3, 3), seen('d', 4, 4)]),
      'python-3-12': recordOf([seen('c', 1, 1)]),
    });
    const causes = [
      { base: 'node-22', digest: D('d') },
      { base: 'node-22', digest: D('e') },
    ];
    expect(pinsFor(imageOf('api'), bases, 7 * DAY, T(8), false, causes)).toEqual([
      { base: 'node-22', digest: D('e') },
      { base: 'python-3-12', digest: D('c') },
    ]);
  });

  test('a cause no longer among the digests kept still qualifies', () => {
    const bases = withRecords({ 'node-22': recordOf([seen('e', 9, 9)]), 'python-3-12': recordOf([seen('c', 1, 1)]) });
    expect(pinsFor(imageOf('api'), bases, 7 * DAY, T(10), false, [{ base: 'node-22', digest: D('1') }])).toEqual([
      { base: 'node-22', digest: D('1') },
      { base: 'python-3-12', digest: D('c') },
    ]);
  });
});

describe('named contexts', () => {
  test('a base without a tag is named by its repository alone', () => {
    expect(buildContextName({ registry: 'docker.io', repository: 'library/node', tag: null })).toBe('node');
    expect(buildContextName({ registry: 'ghcr.io', repository: 'acme/base', tag: null })).toBe('ghcr.io/acme/base');
  });

  test('a pin of a base unknown to the state is left out', () => {
    const bases = new Map([['node-22', { registry: 'docker.io', repository: 'library/node', tag: '22' }]]);
    expect(
      buildContexts(
        [
          { base: 'gone', digest: D('b') },
          { base: 'node-22', digest: D('a') },
        ],
        bases,
      ),
    ).toBe(`node:22=docker-image://docker.io/library/node@${D('a')}`);
  });
});
