/**
 * "Builds use the digest decided" (docs/rebuilds.md, DESIGN §10), pinned where the mutation run found it unpinned
 * (docs/mutation.md): each base is pinned to the newest digest *released* at least the image's rebuildDelay before now
 * (soak without starvation: the first pending update's digest always qualifies), or, urgent, to the newest digest that
 * fixes a CRITICAL; files written before `seen` was kept pin from current and latest; a FROM pinned by digest in the
 * Dockerfile gets no named context; the names are BuildKit's familiar form. The first pending update qualifies
 * however young only when seen after the image was last claimed and when the image's own entry on that base is due;
 * a digest recorded `blocked` is never pinned, and the signature gate holds a rebuild back rather than fall back.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import {
  buildContextName,
  buildContexts,
  gatedPinsFor,
  type PinGate,
  pinCandidates,
  pinnedDigest,
  pinsFor,
} from '../src/rebuild/pins.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import {
  type BaseImageState,
  EMPTY_STATE,
  type ImageState,
  type PendingRebuildState,
  type RebuildClaim,
  type RebuildHistoryEntry,
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

  test('among digests seen late, the newest *released* wins, not the last seen', () => {
    // q released Nov 2 but first seen Nov 8; p released Nov 5, seen Nov 9: both two days old on Nov 12.
    const record = recordOf([seen('a', 1, 1), seen('q', 2, 8), seen('p', 5, 9)]);
    expect(pinCandidates(record, 2 * DAY, T(12), false, undefined)).toEqual([D('p'), D('q'), D('a')]);
  });

  test('nothing recorded for the base, but a pending update names a digest of it: that digest', () => {
    expect(pinnedDigest(undefined, DAY, T(10), false, D('e'))).toBe(D('e'));
    expect(pinnedDigest(undefined, DAY, T(10), false, undefined)).toBeUndefined();
  });

  test('a digest recorded blocked is never a candidate: not aged, not fixing, not the first cause', () => {
    const blocked = { ...seen('b', 2, 2, true), blocked: 'signed by an unknown key' };
    const record = recordOf([seen('a', 1, 1), blocked]);
    expect(pinCandidates(record, DAY, T(10), false, undefined)).toEqual([D('a')]);
    expect(pinCandidates(record, DAY, T(10), true, undefined)).toEqual([D('a')]);
    expect(pinCandidates(record, 30 * DAY, T(10), false, D('b'))).toEqual([D('a')]);
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
    // The record stays: only the tag (or the digest pin) says there is nothing to pin.
    const nodeWithRecord = records.get('node-22') ?? baseNamed('node-22');
    const noTag = new Map<string, BaseImageState>([...records, ['node-22', { ...nodeWithRecord, tag: null }]]);
    expect(pinsFor(imageOf('api'), noTag, DAY, T(10), false, []).map((p) => p.base)).toEqual(['python-3-12']);
    const untracked = new Map<string, BaseImageState>([
      ...records,
      ['node-22', { ...nodeWithRecord, untracked: 'pinned-by-digest' as const }],
    ]);
    expect(pinsFor(imageOf('api'), untracked, DAY, T(10), false, []).map((p) => p.base)).toEqual(['python-3-12']);
    const missing = new Map([...records].filter(([name]) => name !== 'node-22'));
    expect(pinsFor(imageOf('api'), missing, DAY, T(10), false, []).map((p) => p.base)).toEqual(['python-3-12']);
  });

  test('an image the factory does not build has no pins, and nothing holds it back', () => {
    expect(pinsFor(imageOf('redis'), withRecords({}), DAY, T(10), false, [])).toEqual([]);
    expect(gatedPinsFor(imageOf('redis'), withRecords({}), DAY, T(10), false, [], () => 'unknown')).toEqual({
      ok: true,
      pins: [],
    });
  });

  test('the pins are sorted by base name whatever the order of the image’s bases', () => {
    const api = imageOf('api');
    if (api.kind !== 'managed') throw new Error('api is managed');
    const reversed: ImageState = { ...api, baseImages: [...api.baseImages].reverse() };
    expect(reversed.kind === 'managed' && reversed.baseImages[0]?.name).toBe('python-3-12');
    const bases = withRecords({
      'node-22': recordOf([seen('a', 1, 1)]),
      'python-3-12': recordOf([seen('b', 1, 1)]),
    });
    expect(pinsFor(reversed, bases, DAY, T(10), false, []).map((p) => p.base)).toEqual(['node-22', 'python-3-12']);
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

  describe('the first pending update qualifies however young only if seen after the image was last claimed', () => {
    // node: a (Nov 1, current), b (Nov 3), c (Nov 6); api (7 days) has both updates pending, its entry due Nov 8.
    // Only a is 7 days old on Nov 8: the first update api has not been claimed with is the one taken, however young.
    const due = (image: string, day: number): PendingRebuildState => ({
      image,
      since: T(1),
      due: T(day),
      urgent: false,
      causes: [],
      waitFor: [],
      waitUntil: null,
    });
    const claim = (image: string, at: string): RebuildClaim => ({
      image,
      key: `${image}-${at}`,
      digest: D('a'),
      since: T(1),
      urgent: false,
      causes: [],
      claimedAt: at,
      sends: 1,
    });
    const history = (image: string, result: RebuildHistoryEntry['result'], at: string): RebuildHistoryEntry => ({
      image,
      digest: D('a'),
      result,
      at,
    });
    const causes = [
      { base: 'node-22', digest: D('b') },
      { base: 'node-22', digest: D('c') },
    ];
    const nodePin = (extra: Partial<RebuildRecord>) =>
      pinsFor(
        imageOf('api'),
        withRecords({ 'node-22': recordOf([seen('a', 1, 1), seen('b', 3, 3), seen('c', 6, 6)], extra) }),
        7 * DAY,
        T(8),
        false,
        causes,
      ).find((p) => p.base === 'node-22')?.digest;
    const at = (day: number, hour = 0) =>
      `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;

    test.each<[string, Partial<RebuildRecord>, string]>([
      ['never claimed: the first update', { pending: [due('api', 8)] }, 'b'],
      ['a claim in flight since Nov 4: the first update seen after it', { claims: [claim('api', T(4))] }, 'c'],
      ['another image’s claim does not count', { claims: [claim('web', T(4))] }, 'b'],
      ['triggered on Nov 4 (history)', { history: [history('api', 'triggered', T(4))] }, 'c'],
      [
        'claimed on Nov 4 (history of a file written before claims were kept apart)',
        { history: [history('api', 'claimed', T(4))] },
        'c',
      ],
      ['found fresh on Nov 4: not claimed', { history: [history('api', 'fresh', T(4))] }, 'b'],
      ['recorded only on Nov 4: not claimed', { history: [history('api', 'record-only', T(4))] }, 'b'],
      ['another image triggered on Nov 4 does not count', { history: [history('web', 'triggered', T(4))] }, 'b'],
      [
        'the last claim counts: in flight since Nov 4, triggered Nov 2',
        { claims: [claim('api', T(4))], history: [history('api', 'triggered', T(2))] },
        'c',
      ],
      [
        'the last claim counts: triggered Nov 2, then Nov 4',
        { history: [history('api', 'triggered', T(2)), history('api', 'triggered', T(4))] },
        'c',
      ],
      [
        'a digest recorded in the same second as the claim was seen at that claim: kept what api was pinned to',
        { history: [history('api', 'triggered', T(6))] },
        'a',
      ],
      [
        'both updates seen before the last claim (Nov 7): they age like any other; api keeps a, seen before them',
        { history: [history('api', 'triggered', at(7, 12))] },
        'a',
      ],
    ])('%s', (_, extra, pinned) => {
      expect(nodePin({ pending: [due('api', 8)], ...extra })).toBe(D(pinned));
    });

    test('api’s own entry on node not due yet (carried to Nov 13): no young update, whatever made api due', () => {
      // web's entry, first in the list, is due; api's is not: the updates wait for their own due time.
      const pending = [due('web', 8), due('api', 13)];
      expect(nodePin({ pending, claims: [claim('api', T(4))] })).toBe(D('a'));
      expect(nodePin({ pending })).toBe(D('a'));
      expect(nodePin({ pending: [due('web', 8), { ...due('api', 13), urgent: true }] })).toBe(D('b'));
    });

    test('left for a later wave: api keeps the digest it was pinned to, not the current one another image moved', () => {
      // a (Oct, old), b (Nov 5: api pinned to it on Nov 6 12:00), c (Nov 6: left, too young; web moved to it).
      const record = recordOf([seen('0', 1, 1), seen('b', 5, 5), seen('c', 6, 6)], {
        current: seen('c', 6, 6),
        pending: [due('api', 8)],
        history: [history('api', 'triggered', at(6, 12))],
      });
      const pins = pinsFor(imageOf('api'), withRecords({ 'node-22': record }), 7 * DAY, T(8), false, [
        { base: 'node-22', digest: D('c') },
      ]);
      expect(pins.find((p) => p.base === 'node-22')?.digest).toBe(D('b'));
    });

    test('the digest api was pinned to before the left ones is no longer kept: the current one', () => {
      // seen keeps the last 20: only b and c are left, both seen before api was last triggered (Nov 7).
      const record: RebuildRecord = {
        current: seen('a', 1, 1),
        seen: [seen('b', 3, 3), seen('c', 6, 6)],
        pending: [due('api', 8)],
        history: [history('api', 'triggered', T(7))],
      };
      const pins = pinsFor(imageOf('api'), withRecords({ 'node-22': record }), 7 * DAY, T(8), false, causes);
      expect(pins.find((p) => p.base === 'node-22')?.digest).toBe(D('a'));
    });

    test('a base with nothing recorded: the digest its pending update names', () => {
      const pins = pinsFor(imageOf('api'), withRecords({}), 7 * DAY, T(8), false, [
        { base: 'python-3-12', digest: D('9') },
      ]);
      expect(pins).toEqual([{ base: 'python-3-12', digest: D('9') }]);
    });
  });

  describe('the signature gate at pin time', () => {
    // node: a (Nov 1, current), b (Nov 3); api waits a day: b is the best candidate on Nov 10, then a.
    const nodeOnly = (record: RebuildRecord) => withRecords({ 'node-22': record });
    const twoDigests = nodeOnly(recordOf([seen('a', 1, 1), seen('b', 3, 3)]));
    const verdicts =
      (byDigest: Record<string, ReturnType<PinGate>>): PinGate =>
      (base, digest) =>
        base === 'node-22' ? (byDigest[digest] ?? 'usable') : 'usable';
    const gated = (bases: ReturnType<typeof withRecords>, gate: PinGate) =>
      gatedPinsFor(imageOf('api'), bases, DAY, T(10), false, [], gate);

    test('a digest the gate blocks is passed over for the next usable one', () => {
      expect(gated(twoDigests, verdicts({ [D('b')]: 'blocked' }))).toEqual({
        ok: true,
        pins: [{ base: 'node-22', digest: D('a') }],
      });
    });

    test('a verdict not made yet holds the rebuild back and asks for it, never falling back to an older digest', () => {
      expect(gated(twoDigests, verdicts({ [D('b')]: 'unknown' }))).toEqual({
        ok: false,
        reason: 'signatures not verified yet',
        needed: [{ base: 'node-22', digest: D('b') }],
        unverifiable: [],
      });
    });

    test('a digest whose signatures cannot be read holds the rebuild back, saying which', () => {
      expect(gated(twoDigests, verdicts({ [D('b')]: 'unverifiable' }))).toEqual({
        ok: false,
        reason: `held back by the signature gate (node-22: ${D('b')} could not be verified)`,
        needed: [],
        unverifiable: [{ base: 'node-22', digest: D('b') }],
      });
    });

    test('every candidate blocked: held back, or the CI would build on whatever the tag points to', () => {
      expect(gated(twoDigests, verdicts({ [D('a')]: 'blocked', [D('b')]: 'blocked' }))).toEqual({
        ok: false,
        reason: 'held back by the signature gate (node-22: no digest seen passes its signature policy)',
        needed: [],
        unverifiable: [],
      });
    });

    test('two bases held back: each said, in base order', () => {
      const bases = withRecords({ 'node-22': recordOf([seen('a', 1, 1)]), 'python-3-12': recordOf([seen('c', 1, 1)]) });
      const result = gated(bases, (base) => (base === 'node-22' ? 'unverifiable' : 'blocked'));
      expect(result.ok ? '' : result.reason).toBe(
        `held back by the signature gate (node-22: ${D('a')} could not be verified; python-3-12: no digest seen passes its signature policy)`,
      );
    });

    test('no candidate at all while a digest seen is recorded blocked: held back too', () => {
      // x (Nov 2) blocked, so never current; y (Nov 9) passed but is not a week old on Nov 10. python is pinned.
      const record: RebuildRecord = {
        seen: [{ ...seen('x', 2, 2), blocked: 'not signed' }, seen('y', 9, 9)],
        pending: [],
        history: [],
      };
      const bases = withRecords({ 'node-22': record, 'python-3-12': recordOf([seen('c', 1, 1)]) });
      expect(gatedPinsFor(imageOf('api'), bases, 7 * DAY, T(10), false, [])).toEqual({
        ok: false,
        reason: 'held back by the signature gate (node-22: no digest seen passes its signature policy)',
        needed: [],
        unverifiable: [],
      });
      // pinsFor (no gate in the run): a rebuild held back has no pins at all.
      expect(pinsFor(imageOf('api'), bases, 7 * DAY, T(10), false, [])).toEqual([]);
    });

    test('no candidate and nothing blocked: that base gets no pin, the others are pinned', () => {
      const record: RebuildRecord = { seen: [seen('y', 9, 9)], pending: [], history: [] };
      const bases = withRecords({ 'node-22': record, 'python-3-12': recordOf([seen('c', 1, 1)]) });
      expect(pinsFor(imageOf('api'), bases, 7 * DAY, T(10), false, [])).toEqual([
        { base: 'python-3-12', digest: D('c') },
      ]);
    });
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
