/**
 * Scans in state, as issue 21 and the state contract say: one scan per digest (a rescan replaces it; an older scan
 * never replaces a newer one), newest first, at most MAX_VULNERABILITY_SCANS, the current and latest digests' scans
 * of a base always kept; the same scan twice changes nothing. And which image a report belongs to (RepoDigests,
 * normalised; a platform manifest under the index its image knows), with the registry's answers given.
 */
import { describe, expect, test } from 'vitest';
import {
  type ManifestLookup,
  matchReport,
  recordScans,
  repoDigestsOf,
  type ScanEntry,
  type ScanTarget,
} from '../src/scan/index.js';
import { MAX_VULNERABILITY_SCANS } from '../src/state/schema.js';
import type { BaseImageState, ExternalImageState, StateSnapshot, VulnerabilityScan } from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const BASE: ScanTarget = { kind: 'base', name: 'node-22' };
const EXTERNAL: ScanTarget = { kind: 'external', name: 'postgres' };

const seen = (digest: string) => ({ digest, released: null, seen: '2026-11-01T00:00:00Z' });

function base(extra: Partial<BaseImageState> = {}): BaseImageState {
  return {
    name: 'node-22',
    reference: 'docker.io/library/node:22',
    registry: 'docker.io',
    repository: 'library/node',
    tag: '22',
    digest: null,
    dependents: ['api'],
    ...extra,
  };
}

const external = (extra: Partial<ExternalImageState> = {}): ExternalImageState => ({
  name: 'postgres',
  kind: 'external',
  registry: 'docker.io',
  repository: 'library/postgres',
  repoURL: 'docker.io/library/postgres',
  allowTags: '^16$',
  ...extra,
});

const state = (b: BaseImageState = base(), e: ExternalImageState = external()): StateSnapshot => ({
  images: new Map([[e.name, e]]),
  baseImages: new Map([[b.name, b]]),
});

function scan(digest: string, scannedAt: string, criticalCount = 0): VulnerabilityScan {
  return {
    digest,
    scannedAt,
    trivyVersion: '0.70.0',
    dbUpdatedAt: null,
    summary: { criticalCount, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
    fixable: [],
    eosl: false,
  };
}

const entry = (target: ScanTarget, s: VulnerabilityScan): ScanEntry => ({ report: 'r.json', target, scan: s });
const scansOf = (s: StateSnapshot) => s.baseImages.get('node-22')?.vulnerabilities?.scans ?? [];

describe('recordScans', () => {
  test('a first scan is recorded in the base image file; the same scan again changes nothing', () => {
    const first = recordScans(state(), [entry(BASE, scan(D('a'), '2026-12-01T00:00:00Z'))]);
    expect(first.results.map((r) => r.outcome)).toEqual(['recorded']);
    expect(scansOf(first.state)).toEqual([scan(D('a'), '2026-12-01T00:00:00Z')]);
    const again = recordScans(first.state, [entry(BASE, scan(D('a'), '2026-12-01T00:00:00Z'))]);
    expect(again.results.map((r) => r.outcome)).toEqual(['unchanged']);
    expect(again.state).toBe(first.state);
  });

  test('a rescan of a digest replaces its scan; an older scan of it does not', () => {
    const s0 = recordScans(state(), [entry(BASE, scan(D('a'), '2026-12-01T00:00:00Z'))]).state;
    const rescan = recordScans(s0, [entry(BASE, scan(D('a'), '2026-12-02T00:00:00Z', 1))]);
    expect(rescan.results[0]?.outcome).toBe('recorded');
    expect(scansOf(rescan.state)).toEqual([scan(D('a'), '2026-12-02T00:00:00Z', 1)]);
    const older = recordScans(rescan.state, [entry(BASE, scan(D('a'), '2026-11-30T00:00:00Z', 7))]);
    expect(older.results[0]?.outcome).toBe('superseded');
    expect(older.state).toBe(rescan.state);
  });

  test('newest first (ties by digest), one per digest, whatever order they come in', () => {
    const entries = [
      entry(BASE, scan(D('b'), '2026-12-01T00:00:00Z')),
      entry(BASE, scan(D('c'), '2026-12-03T00:00:00Z')),
      entry(BASE, scan(D('a'), '2026-12-01T00:00:00Z')),
    ];
    const forward = scansOf(recordScans(state(), entries).state);
    expect(forward.map((s) => s.digest)).toEqual([D('c'), D('a'), D('b')]);
    expect(scansOf(recordScans(state(), [...entries].reverse()).state)).toEqual(forward);
  });

  test(`bounded to ${MAX_VULNERABILITY_SCANS}: the newest kept, and a base's current and latest digests' scans however old`, () => {
    const rebuild = { current: seen(D('0')), latest: seen(D('1')), pending: [], history: [] };
    const entries = [
      entry(BASE, scan(D('0'), '2026-01-01T00:00:00Z')),
      entry(BASE, scan(D('1'), '2026-01-02T00:00:00Z')),
      ...['a', 'b', 'c', 'd', 'e'].map((c, i) => entry(BASE, scan(D(c), `2026-12-0${i + 1}T00:00:00Z`))),
    ];
    const { state: after } = recordScans(state(base({ rebuild })), entries);
    expect(scansOf(after).map((s) => s.digest)).toEqual([D('e'), D('d'), D('c'), D('1'), D('0')]);
    // Without a rebuild record nothing is protected: the five newest.
    const { state: plain } = recordScans(state(), entries);
    expect(scansOf(plain).map((s) => s.digest)).toEqual([D('e'), D('d'), D('c'), D('b'), D('a')]);
    // A scan older than the five kept is not recorded, and said so.
    const late = recordScans(plain, [entry(BASE, scan(D('f'), '2025-01-01T00:00:00Z'))]);
    expect(late.results[0]?.outcome).toBe('superseded');
    expect(late.state).toBe(plain);
  });

  test('an external image keeps its scans in its own file; an image no longer in state is "gone"', () => {
    const result = recordScans(state(), [
      entry(EXTERNAL, scan(D('a'), '2026-12-01T00:00:00Z')),
      entry({ kind: 'external', name: 'mysql' }, scan(D('b'), '2026-12-01T00:00:00Z')),
      entry({ kind: 'base', name: 'node-20' }, scan(D('b'), '2026-12-01T00:00:00Z')),
    ]);
    expect(result.results.map((r) => r.outcome)).toEqual(['recorded', 'gone', 'gone']);
    const postgres = result.state.images.get('postgres');
    expect(postgres?.kind === 'external' && postgres.vulnerabilities?.scans).toEqual([
      scan(D('a'), '2026-12-01T00:00:00Z'),
    ]);
    expect(scansOf(result.state)).toEqual([]);
  });
});

describe('matchReport', () => {
  /** A registry that answers from a table and counts what it was asked. */
  function registry(indexes: Record<string, string[]>, tags: Record<string, string>) {
    const asked: string[] = [];
    const lookup: ManifestLookup = {
      async platformDigests(_ref, digest) {
        asked.push(`GET ${digest}`);
        return indexes[digest] ?? null;
      },
      async tagDigest(_ref, tag) {
        asked.push(`HEAD ${tag}`);
        return tags[tag];
      },
    };
    return { lookup, asked };
  }
  const digests = (...texts: string[]) => {
    const parsed = repoDigestsOf(texts);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  };

  test("Trivy's familiar names are normalised: node@… is docker.io/library/node; a known digest asks no registry", async () => {
    const r = registry({}, {});
    const s = state(base({ rebuild: { current: seen(D('a')), pending: [], history: [] } }));
    for (const text of [
      `node@${D('a')}`,
      `docker.io/library/node@${D('a')}`,
      `index.docker.io/library/node@${D('a')}`,
    ]) {
      expect(await matchReport(s, digests(text), r.lookup)).toEqual([{ target: BASE, digest: D('a') }]);
    }
    expect(r.asked).toEqual([]);
  });

  test('a platform manifest of an index the base knows is recorded under the index', async () => {
    const r = registry({ [D('9')]: [D('1'), D('2')] }, {});
    const s = state(base({ rebuild: { current: seen(D('9')), pending: [], history: [] } }));
    expect(await matchReport(s, digests(`node@${D('2')}`), r.lookup)).toEqual([
      { target: BASE, digest: D('9'), platformDigest: D('2') },
    ]);
  });

  test('a digest state does not know: the base whose tag points to it, or to an index listing it', async () => {
    const direct = registry({}, { '22': D('7') });
    expect(await matchReport(state(), digests(`node@${D('7')}`), direct.lookup)).toEqual([
      { target: BASE, digest: D('7') },
    ]);
    const viaIndex = registry({ [D('9')]: [D('1'), D('2')] }, { '22': D('9') });
    expect(await matchReport(state(), digests(`node@${D('1')}`), viaIndex.lookup)).toEqual([
      { target: BASE, digest: D('9'), platformDigest: D('1') },
    ]);
  });

  test('a digest of an external repository is accepted as reported; a rescan of its platform manifest finds the index', async () => {
    const r = registry({}, {});
    expect(await matchReport(state(), digests(`postgres@${D('8')}`), r.lookup)).toEqual([
      { target: EXTERNAL, digest: D('8') },
    ]);
    const scanned = external({
      vulnerabilities: { scans: [{ ...scan(D('9'), '2026-12-01T00:00:00Z'), platformDigest: D('8') }] },
    });
    expect(await matchReport(state(base(), scanned), digests(`postgres@${D('8')}`), r.lookup)).toEqual([
      { target: EXTERNAL, digest: D('9'), platformDigest: D('8') },
    ]);
  });

  test('nothing enrolled for the repository: no match; two bases and nothing to tell them apart: an error', async () => {
    const r = registry({}, {});
    expect(await matchReport(state(), digests(`redis@${D('6')}`), r.lookup)).toEqual([]);
    const node20 = { ...base(), name: 'node-20', tag: '20', reference: 'docker.io/library/node:20' };
    const two: StateSnapshot = {
      images: new Map(),
      baseImages: new Map([
        ['node-20', node20],
        ['node-22', base()],
      ]),
    };
    await expect(matchReport(two, digests(`node@${D('5')}`), r.lookup)).rejects.toThrow(
      /node@sha256:5+ is none of the digests state knows for the base images of docker.io\/library\/node \(node-20, node-22\)/,
    );
  });

  test('a RepoDigests entry that is not repository@digest is refused, named', () => {
    expect(repoDigestsOf(['node:22'])).toEqual({
      ok: false,
      error: expect.stringContaining('"node:22" is not repository@digest'),
    });
  });
});
