/**
 * Urgency (docs/rebuilds.md "Urgency", "The current digest"; DESIGN §10, §12), pinned where the mutation run found it
 * unpinned (docs/mutation.md). One rule for every scan: an update is urgent when a CRITICAL fixable in the current
 * digest is no longer listed as fixable in the new digest's scan; a report given by hand (`--vulnerability-report`)
 * stands for the scan of the digests its `Metadata.RepoDigests` names, and one that describes neither digest is a
 * warning naming its file and RepoDigests. The rule is applied to the scans in git on every run: the pending
 * rebuilds of a base whose newest digest fixes a CRITICAL become due at once, and that digest is marked as the one to
 * pin; nothing newly urgent leaves the state as it is.
 */
import { describe, expect, test } from 'vitest';
import { applyStoredUrgency, urgencyOf } from '../src/rebuild/urgency.js';
import { type GivenReport, givenReport } from '../src/rebuild/vulnerabilities.js';
import { parseTrivyReport, repoDigestsOf } from '../src/scan/index.js';
import type {
  BaseImageState,
  PendingRebuildState,
  RebuildRecord,
  SeenDigest,
  StateSnapshot,
  VulnerabilityScan,
} from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
/** 2026-11-<day>. */
const T = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00Z`;

/** A Trivy JSON report (SchemaVersion 2) naming `repoDigests`, with fixable CRITICALs `ids` in libssl3. */
function trivy(repoDigests: readonly string[], ids: readonly string[], createdAt = '2026-11-19T08:00:00Z'): unknown {
  return {
    SchemaVersion: 2,
    CreatedAt: createdAt,
    ArtifactName: repoDigests[0],
    ArtifactType: 'container_image',
    Metadata: { RepoDigests: repoDigests },
    Results: [
      {
        Target: 'node (debian 12.8)',
        Class: 'os-pkgs',
        Type: 'debian',
        Vulnerabilities: ids.map((id) => ({
          VulnerabilityID: id,
          PkgName: 'libssl3',
          InstalledVersion: '3.0.15-1',
          FixedVersion: '3.0.15-2',
          Status: 'fixed',
          Severity: 'CRITICAL',
        })),
      },
    ],
  };
}

/** The report read as readReportFile reads one, then given to the rule. */
function read(file: string, repoDigests: readonly string[], ids: readonly string[], createdAt?: string) {
  const parsed = parseTrivyReport(trivy(repoDigests, ids, createdAt));
  if (!parsed.ok) throw new Error(parsed.error);
  const digests = repoDigestsOf(parsed.value.Metadata.RepoDigests);
  if (!digests.ok) throw new Error(digests.error);
  return givenReport({ file, report: parsed.value, repoDigests: digests.value }, T(20));
}
function given(file: string, repoDigests: readonly string[], ids: readonly string[]): GivenReport {
  const result = read(file, repoDigests, ids);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('a report given by hand', () => {
  test('describes the digests its RepoDigests name, sorted, each once; its scan is under the first of them', () => {
    const report = given('node.json', [`node@${D('2')}`, `mirror.example/node@${D('1')}`, `node@${D('2')}`], []);
    expect(report.digests).toEqual([D('1'), D('2')]);
    expect(report.repoDigests).toEqual([`mirror.example/node@${D('1')}`, `node@${D('2')}`]);
    expect(report.scan.digest).toBe(D('1'));
    expect(report.file).toBe('node.json');
  });

  test('a CreatedAt that is no time is an error naming the field, not a scan', () => {
    const result = read('node.json', [`node@${D('1')}`], ['CVE-1'], 'yesterday');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toMatch(/^CreatedAt: /);
  });
});

describe('the urgency of one update (update time)', () => {
  const CURRENT = D('0');
  const NEXT = D('1');
  const NO_SCANS = {};

  test('what the new digest fixes of the digests the dependents are built on: sorted, each once', () => {
    const other = D('2');
    const reports = [
      given('a.json', [`node@${CURRENT}`], ['CVE-B', 'CVE-X']),
      given('b.json', [`node@${other}`], ['CVE-A', 'CVE-X']),
      given('c.json', [`node@${NEXT}`], []),
    ];
    expect(urgencyOf(NO_SCANS, reports, [CURRENT, other], NEXT)).toEqual({
      fixed: ['CVE-A', 'CVE-B', 'CVE-X'],
      unmatched: [],
    });
  });

  test('a report naming the new digest among others (a mirror) describes it: used, no warning', () => {
    const reports = [
      given('current.json', [`node@${CURRENT}`], ['CVE-1']),
      given('next.json', [`node@${NEXT}`, `mirror.example/node@${D('7')}`], []),
    ];
    expect(urgencyOf(NO_SCANS, reports, [CURRENT], NEXT)).toEqual({ fixed: ['CVE-1'], unmatched: [] });
  });

  test('a report describing neither digest is named with its file and every RepoDigest', () => {
    const stray = given('stray.json', [`node@${D('8')}`, `mirror.example/node@${D('9')}`], ['CVE-1']);
    expect(urgencyOf(NO_SCANS, [stray], [CURRENT], NEXT).unmatched).toEqual([
      `stray.json: the vulnerability report for mirror.example/node@${D('9')}, node@${D('8')} describes neither the current nor the new digest: not used`,
    ]);
  });
});

describe('urgency from the scans in git (every run)', () => {
  const scan = (digest: string, ids: readonly string[]): VulnerabilityScan => ({
    digest,
    scannedAt: T(3),
    trivyVersion: '0.58.1',
    dbUpdatedAt: T(3),
    summary: { criticalCount: ids.length, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
    fixable: ids.map((id) => ({
      id,
      severity: 'CRITICAL',
      package: 'libssl3',
      installed: '3.0.15-1',
      fixed: '3.0.15-2',
    })),
    eosl: false,
  });
  const seen = (c: string, day: number, urgent = false): SeenDigest => ({
    digest: D(c),
    released: T(day),
    seen: T(day),
    ...(urgent ? { urgent: true as const } : {}),
  });
  const pending = (image: string, due: number, urgent = false): PendingRebuildState => ({
    image,
    since: T(1),
    due: T(due),
    urgent,
    causes: [],
    waitFor: [],
    waitUntil: null,
  });
  const base = (name: string, rebuild: RebuildRecord, scans: VulnerabilityScan[]): BaseImageState => ({
    name,
    reference: `${name}:1`,
    registry: 'docker.io',
    repository: `library/${name}`,
    tag: '1',
    digest: null,
    dependents: ['api', 'web'],
    rebuild,
    vulnerabilities: { scans },
  });
  const stateOf = (...bases: BaseImageState[]): StateSnapshot => ({
    images: new Map(),
    baseImages: new Map(bases.map((b) => [b.name, b])),
  });
  /** node: current a (CVE-1 fixable), newest b (fixes it); the given pending entries. */
  const node = (entries: PendingRebuildState[], extra: Partial<RebuildRecord> = {}, name = 'node') =>
    base(
      name,
      {
        current: seen('a', 1),
        latest: seen('b', 3),
        seen: [seen('a', 1), seen('b', 3)],
        pending: entries,
        history: [],
        ...extra,
      },
      [scan(D('a'), ['CVE-1']), scan(D('b'), [])],
    );
  const rebuildOf = (state: StateSnapshot, name = 'node') => state.baseImages.get(name)?.rebuild;

  test('the pending rebuilds become urgent, due now at the latest; only the newest digest is marked as the fix', () => {
    const result = applyStoredUrgency(stateOf(node([pending('api', 8), pending('web', 2)])), T(4));
    expect(result.urgent).toEqual([{ base: 'node', fixed: ['CVE-1'], images: ['api', 'web'] }]);
    const rebuild = rebuildOf(result.state);
    expect(rebuild?.pending.map((p) => [p.image, p.urgent, p.due])).toEqual([
      ['api', true, T(4)],
      ['web', true, T(2)],
    ]);
    expect(rebuild?.latest).toEqual(seen('b', 3, true));
    expect(rebuild?.seen).toEqual([seen('a', 1), seen('b', 3, true)]);
    expect(rebuild?.current).toEqual(seen('a', 1));
  });

  test('bases are listed by name, whatever the order of the state', () => {
    const result = applyStoredUrgency(
      stateOf(node([pending('api', 8)], {}, 'zlib'), node([pending('api', 8)], {}, 'alpine')),
      T(4),
    );
    expect(result.urgent.map((u) => u.base)).toEqual(['alpine', 'zlib']);
  });

  test('no pending rebuild: nothing newly urgent, the state unchanged', () => {
    const state = stateOf(node([]));
    const result = applyStoredUrgency(state, T(4));
    expect(result).toEqual({ state, urgent: [] });
    expect(result.state).toBe(state);
  });

  test('the newest digest marked already, a new pending rebuild on the base: made urgent too', () => {
    const marked = { latest: seen('b', 3, true), seen: [seen('a', 1), seen('b', 3, true)] };
    const result = applyStoredUrgency(stateOf(node([pending('api', 8, true), pending('web', 9)], marked)), T(4));
    expect(result.urgent).toEqual([{ base: 'node', fixed: ['CVE-1'], images: ['web'] }]);
    expect(rebuildOf(result.state)?.pending.map((p) => [p.image, p.urgent, p.due])).toEqual([
      ['api', true, T(8)],
      ['web', true, T(4)],
    ]);
  });

  test('every pending rebuild urgent already, a newer digest that fixes it too: marked (pinned to), no base listed', () => {
    // b fixed CVE-1 and made api urgent; c, newer, fixes it too: the urgent rebuild takes the newest fix.
    const record: RebuildRecord = {
      current: seen('a', 1),
      latest: seen('c', 5),
      seen: [seen('a', 1), seen('b', 3, true), seen('c', 5)],
      pending: [pending('api', 3, true)],
      history: [],
    };
    const state = stateOf(base('node', record, [scan(D('a'), ['CVE-1']), scan(D('c'), [])]));
    const result = applyStoredUrgency(state, T(6));
    expect(result.urgent).toEqual([]);
    expect(rebuildOf(result.state)?.seen).toEqual([seen('a', 1), seen('b', 3, true), seen('c', 5, true)]);
    expect(rebuildOf(result.state)?.latest).toEqual(seen('c', 5, true));
    expect(rebuildOf(result.state)?.pending).toEqual([pending('api', 3, true)]);
  });

  test('a file written before `seen` was kept: made urgent, the mark on latest; marked already, left as it is', () => {
    const old = (entries: PendingRebuildState[], urgentLatest: boolean) =>
      base('node', { current: seen('a', 1), latest: seen('b', 3, urgentLatest), pending: entries, history: [] }, [
        scan(D('a'), ['CVE-1']),
        scan(D('b'), []),
      ]);
    const result = applyStoredUrgency(stateOf(old([pending('api', 8)], false)), T(4));
    expect(result.urgent).toEqual([{ base: 'node', fixed: ['CVE-1'], images: ['api'] }]);
    expect(rebuildOf(result.state)?.latest).toEqual(seen('b', 3, true));
    expect(rebuildOf(result.state)).not.toHaveProperty('seen');
    // The next run: every pending rebuild urgent, the newest digest marked on latest: nothing to do.
    const again = stateOf(old([pending('api', 4, true)], true));
    expect(applyStoredUrgency(again, T(5))).toEqual({ state: again, urgent: [] });
    expect(applyStoredUrgency(again, T(5)).state).toBe(again);
  });
});
