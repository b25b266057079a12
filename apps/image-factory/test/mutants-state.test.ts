/**
 * The state's read-side rules (src/state/freshness.ts, vulnerabilities.ts) and the state plan (src/state/plan.ts),
 * pinned where the mutation run found them unpinned (docs/mutation.md), each from its documented rule: views list
 * bases and images in name order whatever order the files were read; the latest history entry of an image is the
 * newest (at the same second, the one in the later file by name); an image's pending rebuild is merged over its base
 * files (earliest since, urgent if any, ready when any entry is, the distinct reasons it was not sent); a claim in
 * flight is a recorded claim or a `claimed` history entry no later entry of its key answers, merged per key over the
 * base files (first and last claim times, most sends), sorted by image then key; the rebuilds owed per image; what a
 * newest digest fixes is nothing unless both the current and the newest digest are known; and planStateUpdate
 * carries scans and rebuild records over for the same repository or reference only, fails with the documented codes,
 * writes no field it has no value for, and gives the same state for the same uses in any order.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { FactoryError } from '../src/errors.js';
import type { ImageAnalysis, UnnamedBaseImageUse } from '../src/state/analysis.js';
import {
  baseNamesOf,
  buildFreshness,
  claimsInFlight,
  claimsOf,
  laterOrNull,
  latestHistoryByImage,
  mergedPendingByImage,
  owedRebuilds,
  scanFacts,
  scanView,
} from '../src/state/freshness.js';
import { planStateUpdate } from '../src/state/plan.js';
import type {
  BaseImageState,
  ExternalImageState,
  ManagedImageState,
  PendingRebuildState,
  RebuildClaim,
  RebuildHistoryEntry,
  RebuildRecord,
  StateSnapshot,
  VulnerabilityScan,
} from '../src/state/types.js';
import { EMPTY_STATE } from '../src/state/types.js';
import { criticalsFixedByLatest, fixableCriticals, newestScan } from '../src/state/vulnerabilities.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const T = (day: number, hour = 0) => `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;
const NOW = T(20);

/** A tracked base image file `name`, with the rebuild record given (pending and history empty unless given). */
function base(name: string, record?: Partial<RebuildRecord>, extra: Partial<BaseImageState> = {}): BaseImageState {
  return {
    name,
    reference: `docker.io/library/${name}:1`,
    registry: 'docker.io',
    repository: `library/${name}`,
    tag: '1',
    digest: null,
    dependents: ['api', 'web'],
    ...(record === undefined ? {} : { rebuild: { pending: [], history: [], ...record } }),
    ...extra,
  };
}

/** A snapshot holding `bases` in the order given (the order the files happened to be read). */
const snapshot = (...bases: BaseImageState[]): StateSnapshot => ({
  images: new Map(),
  baseImages: new Map(bases.map((b) => [b.name, b])),
});

const pending = (image: string, extra: Partial<PendingRebuildState> = {}): PendingRebuildState => ({
  image,
  since: T(1),
  due: T(8),
  urgent: false,
  causes: [{ base: 'node', digest: D('1') }],
  waitFor: [],
  waitUntil: null,
  ...extra,
});

const claim = (image: string, key: string, extra: Partial<RebuildClaim> = {}): RebuildClaim => ({
  image,
  key,
  digest: D('2'),
  since: T(1),
  urgent: false,
  causes: [{ base: 'node', digest: D('2') }],
  claimedAt: T(8),
  sends: 1,
  ...extra,
});

const entry = (
  image: string,
  result: RebuildHistoryEntry['result'],
  at: string,
  extra: Partial<RebuildHistoryEntry> = {},
): RebuildHistoryEntry => ({ image, digest: D('2'), result, at, ...extra });

describe('views list bases in name order', () => {
  test('a build is judged against each base, listed by name, and the newer ones are named in order', () => {
    const judged = buildFreshness(
      T(5),
      [
        { name: 'zlib', released: T(6) },
        { name: 'alpine', released: T(7) },
        { name: 'musl', released: T(4) },
      ],
      NOW,
    );
    expect(judged.bases).toEqual([
      { name: 'alpine', stale: true },
      { name: 'musl', stale: false },
      { name: 'zlib', stale: true },
    ]);
    expect(judged.newerBases).toEqual(['alpine', 'zlib']);
    expect(judged.stale).toBe(true);
  });

  test("an image's bases: each state name once, sorted", () => {
    const use = (name: string, stage: string | null): ManagedImageState['baseImages'][number] => ({
      name,
      reference: `docker.io/library/${name}:1`,
      kind: 'from',
      stage,
      finalStage: stage === null,
    });
    const image: ManagedImageState = {
      name: 'web',
      kind: 'managed',
      registry: 'ghcr.io',
      repository: 'acme/web',
      source: { provider: 'github', repo: 'acme/web', branch: 'main', dockerfile: 'Dockerfile' },
      baseImages: [use('node', 'build'), use('alpine', null), use('node', 'test')],
    };
    expect(baseNamesOf(image)).toEqual(['alpine', 'node']);
  });
});

describe('the latest history entry of each image', () => {
  test('with no filter every entry counts, and the newest wins whichever file holds it', () => {
    const latest = latestHistoryByImage(
      snapshot(
        base('alpine', { history: [entry('web', 'triggered', T(9))] }),
        base('node', { history: [entry('web', 'fresh', T(3)), entry('api', 'record-only', T(2))] }),
        base('python'),
      ),
    );
    expect([...latest.keys()].sort()).toEqual(['api', 'web']);
    expect(latest.get('web')).toEqual({ ...entry('web', 'triggered', T(9)), base: 'alpine' });
    expect(latest.get('api')).toEqual({ ...entry('api', 'record-only', T(2)), base: 'node' });
  });

  test('at the same second, the entry of the later file by name wins, whatever order the files were read in', () => {
    const files = [
      base('node', { history: [entry('web', 'triggered', T(9))] }),
      base('alpine', { history: [entry('web', 'failed', T(9))] }),
    ];
    for (const state of [snapshot(...files), snapshot(...[...files].reverse())]) {
      expect(latestHistoryByImage(state).get('web')).toMatchObject({ result: 'triggered', base: 'node' });
    }
  });
});

test('laterOrNull: the later of two instants, the one known when the other is not, null when neither is', () => {
  const cases: [string | null, string | null, string | null][] = [
    [null, null, null],
    [T(3), null, T(3)],
    [null, T(4), T(4)],
    [T(3), T(4), T(4)],
    [T(5), T(4), T(5)],
  ];
  for (const [a, b, later] of cases) expect(laterOrNull(a, b)).toBe(later);
});

describe("an image's pending rebuild, merged over its base files", () => {
  test('why it was not sent: null when nothing held it back, else the distinct reasons, sorted and joined', () => {
    expect(mergedPendingByImage(snapshot(base('node', { pending: [pending('web')] }))).get('web')?.notSent).toBe(null);
    const one = snapshot(base('node', { pending: [pending('web', { notSent: 'no token' })] }));
    expect(mergedPendingByImage(one).get('web')?.notSent).toBe('no token');
    const three = snapshot(
      base('alpine', { pending: [pending('web', { notSent: 'no workflow in images.yaml' })] }),
      base('debian', { pending: [pending('web')] }),
      base('node', { pending: [pending('web', { notSent: 'no token' })] }),
      base('zlib', { pending: [pending('web', { notSent: 'no token' })] }),
    );
    expect(mergedPendingByImage(three).get('web')?.notSent).toBe('no token; no workflow in images.yaml');
  });

  test('urgent when any entry is', () => {
    const cases: [boolean, boolean, boolean][] = [
      [false, false, false],
      [true, false, true],
      [false, true, true],
      [true, true, true],
    ];
    for (const [a, b, urgent] of cases) {
      const state = snapshot(
        base('alpine', { pending: [pending('web', { urgent: a })] }),
        base('node', { pending: [pending('web', { urgent: b })] }),
      );
      expect(mergedPendingByImage(state).get('web')?.urgent).toBe(urgent);
    }
  });

  test('waiting only while every entry waits (for all their ancestors, until the later wait); ready when any is', () => {
    const waits = (waitFor: string[], waitUntil: string | null) => pending('web', { waitFor, waitUntil });
    const both = snapshot(
      base('alpine', { pending: [waits(['tool', 'base-a'], T(9))] }),
      base('node', { pending: [waits(['base-a', 'api'], T(10))] }),
    );
    expect(mergedPendingByImage(both).get('web')).toMatchObject({
      waitFor: ['api', 'base-a', 'tool'],
      waitUntil: T(10),
    });
    for (const [first, second] of [
      [waits(['api'], T(9)), waits([], null)],
      [waits([], null), waits(['api'], T(9))],
    ] as const) {
      const state = snapshot(base('alpine', { pending: [first] }), base('node', { pending: [second] }));
      expect(mergedPendingByImage(state).get('web')).toMatchObject({ waitFor: [], waitUntil: null });
    }
  });

  test('the result does not depend on the order the base files were read in', () => {
    const files = [
      base('alpine', { pending: [pending('web', { causes: [{ base: 'alpine', digest: D('3') }] })] }),
      base('node', { pending: [pending('api')] }),
    ];
    const forwards = [...mergedPendingByImage(snapshot(...files))];
    expect([...mergedPendingByImage(snapshot(...[...files].reverse()))]).toEqual(forwards);
    expect(forwards.map(([image]) => image)).toEqual(['web', 'api']);
  });
});

describe('the claims a base file holds', () => {
  test('a claimed history entry of an older file, with no answer after it, is a claim claimed at its time, one send', () => {
    const node = base('node', { history: [entry('web', 'claimed', T(8), { key: 'web-k1' })] });
    expect(claimsOf(node)).toStrictEqual([
      {
        image: 'web',
        key: 'web-k1',
        digest: D('2'),
        since: T(8),
        urgent: false,
        causes: [{ base: 'node', digest: D('2') }],
        claimedAt: T(8),
        sends: 1,
      },
    ]);
  });

  test('which history entries are claims still awaiting an answer', () => {
    const keys = (record: Partial<RebuildRecord>) =>
      claimsOf(base('node', record)).map((c) => `${c.key}@${c.claimedAt}`);
    // No key: nothing to answer it by.
    expect(keys({ history: [entry('web', 'claimed', T(8))] })).toEqual([]);
    // Answered later under its key.
    expect(
      keys({ history: [entry('web', 'claimed', T(8), { key: 'k1' }), entry('web', 'triggered', T(9), { key: 'k1' })] }),
    ).toEqual([]);
    // Another decision's answer does not answer it.
    expect(
      keys({ history: [entry('web', 'claimed', T(8), { key: 'k1' }), entry('web', 'triggered', T(9), { key: 'k2' })] }),
    ).toEqual(['k1@2026-11-08T00:00:00Z']);
    // Claimed twice with no answer (a later claim is no answer): one claim, claimed when first claimed.
    expect(
      keys({ history: [entry('web', 'claimed', T(7), { key: 'k1' }), entry('web', 'claimed', T(9), { key: 'k1' })] }),
    ).toEqual(['k1@2026-11-07T00:00:00Z']);
    // An answer before a later claim of the same key (a transient failure sent again) does not answer the later one.
    expect(
      keys({
        history: [
          entry('web', 'claimed', T(7), { key: 'k1' }),
          entry('web', 'transient', T(8), { key: 'k1' }),
          entry('web', 'claimed', T(9), { key: 'k1' }),
        ],
      }),
    ).toEqual(['k1@2026-11-09T00:00:00Z']);
  });

  test("a recorded claim is not counted twice; another of the image's decisions is its own claim", () => {
    const recorded = claim('web', 'web-k1', { sends: 2 });
    const same = base('node', { claims: [recorded], history: [entry('web', 'claimed', T(8), { key: 'web-k1' })] });
    expect(claimsOf(same)).toStrictEqual([recorded]);
    const other = base('node', { claims: [recorded], history: [entry('web', 'claimed', T(9), { key: 'web-k2' })] });
    expect(claimsOf(other).map((c) => c.key)).toEqual(['web-k1', 'web-k2']);
  });

  test('sorted by image, then key', () => {
    const node = base('node', {
      claims: [claim('web', 'web-b'), claim('api', 'api-z'), claim('web', 'web-a')],
      history: [entry('api', 'claimed', T(8), { key: 'api-a' })],
    });
    expect(claimsOf(node).map((c) => c.key)).toEqual(['api-a', 'api-z', 'web-a', 'web-b']);
  });
});

describe('claims in flight, one per key over the base files', () => {
  test('merged: earliest since and first claim, urgent if any, causes united, most sends', () => {
    const state = snapshot(
      base('alpine', {
        claims: [claim('web', 'k', { since: T(1), claimedAt: T(2), causes: [{ base: 'alpine', digest: D('3') }] })],
      }),
      base('node', {
        claims: [claim('web', 'k', { since: T(2), claimedAt: T(3), sends: 3, urgent: true })],
      }),
    );
    expect(claimsInFlight(state)).toStrictEqual([
      {
        image: 'web',
        key: 'k',
        since: T(1),
        urgent: true,
        causes: [
          { base: 'alpine', digest: D('3') },
          { base: 'node', digest: D('2') },
        ],
        claimedAt: T(2),
        lastClaimedAt: T(3),
        sends: 3,
      },
    ]);
  });

  test('urgent when any file says so', () => {
    const cases: [boolean, boolean, boolean][] = [
      [false, false, false],
      [true, false, true],
      [false, true, true],
    ];
    for (const [a, b, urgent] of cases) {
      const state = snapshot(
        base('alpine', { claims: [claim('web', 'k', { urgent: a })] }),
        base('node', { claims: [claim('web', 'k', { urgent: b })] }),
      );
      expect(claimsInFlight(state).map((c) => c.urgent)).toEqual([urgent]);
    }
    expect(claimsInFlight(snapshot(base('node', { claims: [claim('web', 'k')] })))[0]?.urgent).toBe(false);
  });

  test('last claimed: the latest re-send or claim in any file (the claim timeout counts from it)', () => {
    const cases: [Partial<RebuildClaim>, Partial<RebuildClaim>, string][] = [
      [{ claimedAt: T(2), resentAt: T(5) }, { claimedAt: T(3) }, T(5)],
      [{ claimedAt: T(2) }, { claimedAt: T(3), resentAt: T(6) }, T(6)],
      [{ claimedAt: T(4) }, { claimedAt: T(3) }, T(4)],
    ];
    for (const [a, b, last] of cases) {
      const state = snapshot(
        base('alpine', { claims: [claim('web', 'k', a)] }),
        base('node', { claims: [claim('web', 'k', b)] }),
      );
      expect(claimsInFlight(state).map((c) => c.lastClaimedAt)).toEqual([last]);
    }
    const resent = snapshot(base('node', { claims: [claim('web', 'k', { claimedAt: T(2), resentAt: T(7) })] }));
    expect(claimsInFlight(resent).map((c) => [c.claimedAt, c.lastClaimedAt])).toEqual([[T(2), T(7)]]);
  });

  test('the pins decided, whatever order the files were read in', () => {
    const files = [
      base('alpine', { claims: [claim('web', 'k', { pins: [{ base: 'alpine', digest: D('3') }] })] }),
      base('node', { claims: [claim('web', 'k', { pins: [{ base: 'node', digest: D('2') }] })] }),
    ];
    const forwards = claimsInFlight(snapshot(...files));
    expect(claimsInFlight(snapshot(...[...files].reverse()))).toStrictEqual(forwards);
    expect(forwards[0]?.pins).toEqual([{ base: 'alpine', digest: D('3') }]);
  });

  test('sorted by image, then key', () => {
    const state = snapshot(
      base('alpine', { claims: [claim('web', 'web-b'), claim('api', 'api-z')] }),
      base('node', { claims: [claim('web', 'web-a'), claim('api', 'api-a')] }),
    );
    expect(claimsInFlight(state).map((c) => c.key)).toEqual(['api-a', 'api-z', 'web-a', 'web-b']);
  });
});

test('the rebuilds owed, by image in name order: its pending rebuild and its own claims', () => {
  const state = snapshot(
    base('alpine', { pending: [pending('web')], claims: [claim('web', 'web-k'), claim('api', 'api-k')] }),
  );
  const owed = owedRebuilds(state);
  expect([...owed.keys()]).toEqual(['api', 'web']);
  expect(owed.get('api')?.pending).toBe(null);
  expect(owed.get('api')?.claims.map((c) => c.key)).toEqual(['api-k']);
  expect(owed.get('web')?.pending).toMatchObject({ image: 'web', due: T(8) });
  expect(owed.get('web')?.claims.map((c) => c.key)).toEqual(['web-k']);
});

const scan = (digest: string, scannedAt: string, fixable: [string, 'CRITICAL' | 'HIGH'][] = []): VulnerabilityScan => ({
  digest,
  scannedAt,
  trivyVersion: '0.58.0',
  dbUpdatedAt: null,
  summary: { criticalCount: fixable.length, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
  fixable: fixable.map(([id, severity]) => ({ id, severity, package: 'libssl3', installed: '1', fixed: '2' })),
  eosl: false,
});

test('a scan as a view shows it: its age as of now, none for a view that shows no age', () => {
  const s = scan(D('1'), '2026-11-18T12:00:00Z');
  expect(scanView(s, NOW)).toMatchObject({ ageDays: 1, ageSeconds: 36 * 3600 });
  expect(scanView(s, null)).toMatchObject({ ageDays: null, ageSeconds: null });
});

test("an external image's facts: its newest scan, even when an older scan's platform manifest has that digest", () => {
  const older = { ...scan(D('2'), T(4), [['CVE-1', 'CRITICAL']]), platformDigest: D('1') };
  const newest = scan(D('1'), T(5));
  const pg: ExternalImageState = {
    name: 'pg',
    kind: 'external',
    registry: 'docker.io',
    repository: 'library/postgres',
    repoURL: 'docker.io/library/postgres',
    allowTags: '^16$',
    vulnerabilities: { scans: [older, newest] },
  };
  expect(scanFacts(pg, NOW)).toStrictEqual({
    digest: D('1'),
    scan: scanView(newest, NOW),
    latest: null,
    fixedByLatest: [],
  });
});

describe('what the scans say (state/vulnerabilities.ts)', () => {
  test('the newest scan; of two alike in time and digest, the one the file lists first', () => {
    const first = scan(D('1'), T(5), [['CVE-1', 'CRITICAL']]);
    const second = scan(D('1'), T(5));
    expect(newestScan([scan(D('0'), T(4)), first, second])).toBe(first);
  });

  test("a scan's fixable CRITICAL ids: each once, sorted", () => {
    const s = scan(D('1'), T(5), [
      ['CVE-9', 'CRITICAL'],
      ['CVE-2', 'HIGH'],
      ['CVE-3', 'CRITICAL'],
      ['CVE-9', 'CRITICAL'],
    ]);
    expect(fixableCriticals(s)).toEqual(['CVE-3', 'CVE-9']);
  });

  test('the newest digest fixes nothing unless both the current and the newest digest are known', () => {
    const [older, withCve, newest] = [
      scan(D('0'), T(3)),
      scan(D('1'), T(4), [['CVE-1', 'CRITICAL']]),
      scan(D('2'), T(5)),
    ];
    const scans = [older, withCve, newest];
    const seen = (d: string) => ({ digest: d, released: T(1), seen: T(1) });
    const withRecord = (record: Partial<RebuildRecord>) => base('node', record, { vulnerabilities: { scans } });
    expect(criticalsFixedByLatest(withRecord({ current: seen(D('1')), latest: seen(D('2')) }))).toEqual(['CVE-1']);
    expect(criticalsFixedByLatest(withRecord({ current: seen(D('1')) }))).toEqual([]);
    expect(criticalsFixedByLatest(withRecord({ latest: seen(D('2')) }))).toEqual([]);
    // Whatever scan is listed first (here the one fixable CVE-1 is in, which the newest digest's scan does not list).
    expect(
      criticalsFixedByLatest(
        base('node', { latest: seen(D('2')) }, { vulnerabilities: { scans: [withCve, older, newest] } }),
      ),
    ).toEqual([]);
  });
});

describe('planStateUpdate', () => {
  const managed = (name: string) =>
    `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source: {provider: github, repo: acme/${name}, dockerfile: Dockerfile}\n`;
  const external = (name: string, registry = 'docker.io', repository = `library/${name}`) =>
    `  - name: ${name}\n    registry: ${registry}\n    repository: ${repository}\n    allowTags: '^16$'\n`;
  const enrol = (...entries: string[]) => loadEnrolment(`images:\n${entries.join('')}`);
  const use = (reference: string, extra: Partial<UnnamedBaseImageUse> = {}): UnnamedBaseImageUse => ({
    reference,
    kind: 'from',
    stage: null,
    finalStage: true,
    ...extra,
  });
  const analysis = (image: string, uses: UnnamedBaseImageUse[], extra: Partial<ImageAnalysis> = {}): ImageAnalysis => ({
    image,
    dockerfile: 'Dockerfile',
    uses,
    build: { tag: '1.0.0', digest: D('f') },
    ...extra,
  });
  const scans = { scans: [scan(D('1'), T(5))] };
  const code = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      if (error instanceof FactoryError) return `${error.code}: ${error.message}`;
      throw error;
    }
    return 'no error';
  };

  test('an external image keeps its recorded scans while it stays the same repository, and only then', () => {
    const recorded = (registry: string, repository: string): StateSnapshot => {
      const planned = planStateUpdate(EMPTY_STATE, enrol(external('pg', registry, repository)));
      const pg = planned.images.get('pg') as ExternalImageState;
      return { ...planned, images: new Map([['pg', { ...pg, vulnerabilities: scans }]]) };
    };
    const now = enrol(external('pg'));
    const expected: ExternalImageState = {
      name: 'pg',
      kind: 'external',
      registry: 'docker.io',
      repository: 'library/pg',
      repoURL: 'docker.io/library/pg',
      allowTags: '^16$',
    };
    expect(planStateUpdate(recorded('docker.io', 'library/pg'), now).images.get('pg')).toStrictEqual({
      ...expected,
      vulnerabilities: scans,
    });
    expect(planStateUpdate(recorded('quay.io', 'library/pg'), now).images.get('pg')).toStrictEqual(expected);
    expect(planStateUpdate(recorded('docker.io', 'library/postgres'), now).images.get('pg')).toStrictEqual(expected);
    expect(planStateUpdate(EMPTY_STATE, now).images.get('pg')).toStrictEqual(expected);
  });

  test('a base keeps its rebuild record and scans for the same reference; a new one has neither field', () => {
    const first = planStateUpdate(EMPTY_STATE, enrol(managed('web')), [
      analysis('web', [use('docker.io/library/node:22')]),
    ]);
    const node = first.baseImages.get('node-22');
    if (node === undefined) throw new Error('node-22 not planned');
    const expected: BaseImageState = {
      name: 'node-22',
      reference: 'docker.io/library/node:22',
      registry: 'docker.io',
      repository: 'library/node',
      tag: '22',
      digest: null,
      dependents: ['web'],
      repoURL: 'docker.io/library/node',
      allowTags: '^22$',
      imageSelectionStrategy: 'Digest',
      constraint: '22',
    };
    expect(node).toStrictEqual(expected);
    const rebuild: RebuildRecord = { pending: [], history: [entry('web', 'fresh', T(3))] };
    const recorded = { ...first, baseImages: new Map([['node-22', { ...node, rebuild, vulnerabilities: scans }]]) };
    expect(planStateUpdate(recorded, enrol(managed('web'))).baseImages.get('node-22')).toStrictEqual({
      ...expected,
      rebuild,
      vulnerabilities: scans,
    });
  });

  test('a managed image records its build (with the revision when known) and no build field before one', () => {
    const enrolment = enrol(managed('web'));
    const without = planStateUpdate(EMPTY_STATE, enrolment, [analysis('web', [use('docker.io/library/node:22')])]);
    expect(without.images.get('web')).toStrictEqual({
      name: 'web',
      kind: 'managed',
      registry: 'ghcr.io',
      repository: 'acme/web',
      source: { provider: 'github', repo: 'acme/web', branch: 'main', dockerfile: 'Dockerfile' },
      build: { tag: '1.0.0', digest: D('f'), dockerfile: 'Dockerfile' },
      baseImages: [
        { name: 'node-22', reference: 'docker.io/library/node:22', kind: 'from', stage: null, finalStage: true },
      ],
    });
    const withRevision = planStateUpdate(EMPTY_STATE, enrolment, [
      analysis('web', [use('docker.io/library/node:22')], { revision: 'abc123' }),
    ]);
    expect((withRevision.images.get('web') as ManagedImageState).build).toStrictEqual({
      tag: '1.0.0',
      digest: D('f'),
      dockerfile: 'Dockerfile',
      revision: 'abc123',
    });
    const enrolledOnly = planStateUpdate(EMPTY_STATE, enrolment).images.get('web');
    expect(enrolledOnly).toStrictEqual({
      name: 'web',
      kind: 'managed',
      registry: 'ghcr.io',
      repository: 'acme/web',
      source: { provider: 'github', repo: 'acme/web', branch: 'main', dockerfile: 'Dockerfile' },
      baseImages: [],
    });
  });

  test('the same uses and images in any order give the same state, files in the same order', () => {
    const uses = [
      use('docker.io/library/node:22', { stage: 'build', finalStage: false }),
      use('docker.io/library/node:22'),
      use('docker.io/library/node:22', { kind: 'copy-from' }),
      use('docker.io/library/alpine:3', { stage: 'test', finalStage: false }),
      use('docker.io/library/node:22', { stage: 'a-test', finalStage: false }),
      // Not from one analysis (it keeps one entry per reference, kind and stage), but a state file may hold it.
      use('docker.io/library/node:22', { finalStage: false }),
    ];
    const plan = (images: string[], order: UnnamedBaseImageUse[]) =>
      planStateUpdate(
        EMPTY_STATE,
        enrol(...images.map(managed)),
        images.map((i) => analysis(i, i === 'web' ? order : [use('docker.io/library/busybox:1')])),
      );
    const forwards = plan(['api', 'web'], uses);
    const backwards = plan(['web', 'api'], [...uses].reverse());
    expect([...backwards.baseImages]).toStrictEqual([...forwards.baseImages]);
    expect(backwards.images.get('web')).toStrictEqual(forwards.images.get('web'));
    expect(
      (forwards.images.get('web') as ManagedImageState).baseImages.map(
        (u) => `${u.reference} ${u.kind} ${u.stage} ${u.finalStage}`,
      ),
    ).toEqual([
      'docker.io/library/alpine:3 from test false',
      'docker.io/library/node:22 copy-from null true',
      'docker.io/library/node:22 from null true',
      'docker.io/library/node:22 from null false',
      'docker.io/library/node:22 from a-test false',
      'docker.io/library/node:22 from build false',
    ]);
  });

  test('refusals name what is wrong, with their documented codes', () => {
    expect(code(() => planStateUpdate(EMPTY_STATE, enrol(managed('web')), [analysis('api', [])]))).toBe(
      'invalid-enrolment: image api is not enrolled in images.yaml',
    );
    expect(code(() => planStateUpdate(EMPTY_STATE, enrol(external('pg')), [analysis('pg', [])]))).toMatch(
      /^invalid-enrolment: image pg is external in images\.yaml/,
    );
    // An analysis whose references are not in the normalised form the analysis writes: an internal error, no state.
    expect(code(() => planStateUpdate(EMPTY_STATE, enrol(managed('web')), [analysis('web', [use('node:22')])]))).toBe(
      'internal: no state name for base image node:22',
    );
    // A base image file recorded with an unreadable reference.
    const planned = planStateUpdate(EMPTY_STATE, enrol(managed('web')), [
      analysis('web', [use('docker.io/library/node:22')]),
    ]);
    const web = planned.images.get('web') as ManagedImageState;
    const broken: StateSnapshot = {
      ...planned,
      images: new Map([
        [
          'web',
          {
            ...web,
            baseImages: [
              {
                ...web.baseImages[0],
                name: 'node-22',
                reference: 'Node:22!',
              } as ManagedImageState['baseImages'][number],
            ],
          },
        ],
      ]),
    };
    expect(code(() => planStateUpdate(broken, enrol(managed('web'))))).toMatch(
      /^invalid-state: image web: recorded base image "Node:22!" is invalid: /,
    );
  });

  test('each base name that images.yaml now gives to an image is refused, one line each', () => {
    const first = planStateUpdate(EMPTY_STATE, enrol(managed('web')), [
      analysis('web', [
        use('docker.io/library/postgres:latest'),
        use('docker.io/library/redis:latest', { kind: 'copy-from' }),
      ]),
    ]);
    expect([...first.baseImages.keys()]).toEqual(['postgres-latest', 'redis-latest']);
    const message = code(() =>
      planStateUpdate(first, enrol(managed('web'), external('postgres-latest'), managed('redis-latest'))),
    );
    expect(message.split('\n')).toEqual([
      expect.stringMatching(
        /^invalid-enrolment: base image docker\.io\/library\/postgres:latest has had the state name postgres-latest .* the external image postgres-latest/,
      ),
      expect.stringMatching(
        /^base image docker\.io\/library\/redis:latest has had the state name redis-latest .* the managed image redis-latest/,
      ),
    ]);
  });
});
