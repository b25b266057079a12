/**
 * Urgency from stored facts (issue 21, DESIGN §12): the rebuild rules read the scan summaries in git. When the newest
 * digest of a base fixes a CRITICAL that the current digest has (fixable — `Status: fixed` — in the current digest's
 * scan, absent from the newest digest's), the pending rebuilds are urgent: at update time, and also when a later
 * rescan of the current digest reveals a new CVE. The rebuild is then pinned to the fixing digest.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import type { ManagedImage } from '../src/enrolment/types.js';
import { planRun } from '../src/rebuild/plan-run.js';
import { claimsInFlight, recordBaseUpdate } from '../src/rebuild/record.js';
import { githubDispatch } from '../src/rebuild/triggers.js';
import { applyStoredUrgency } from '../src/rebuild/urgency.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { EMPTY_STATE, type StateSnapshot, type VulnerabilityScan } from '../src/state/types.js';
import { criticalsFixedByLatest } from '../src/state/vulnerabilities.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const T = (day: number, hour = 0) => new Date(Date.UTC(2026, 10, day, hour)).toISOString().replace('.000Z', 'Z');
const enrolment = loadEnrolment(
  'images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n      workflow: build.yaml\n    rebuildDelay: 7d\n',
  'images.yaml',
);
const old = new Map([['api', { created: '2026-10-01T00:00:00Z', baseDigests: [] }]]);

/** api on node:22; node's current digest `a` (Nov 1), newest `b` (Nov 3): api pending until Nov 8. */
function twoDigests(): StateSnapshot {
  let state = planStateUpdate(EMPTY_STATE, enrolment, [
    {
      image: 'api',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM node:22\n', 'Dockerfile', {}),
      build: { tag: '1', digest: D('f') },
    },
  ]);
  for (const [c, day] of [
    ['a', 1],
    ['b', 3],
  ] as const) {
    const r = recordBaseUpdate(
      state,
      enrolment,
      { base: 'node-22', digest: D(c), released: T(day), seen: T(day), urgent: false },
      old,
    );
    if (r.status !== 'recorded') throw new Error(r.status);
    state = r.state;
  }
  return state;
}

const finding = (id: string, severity: 'CRITICAL' | 'HIGH' = 'CRITICAL') => ({
  id,
  severity,
  package: 'libssl3',
  installed: '3.0.15-1',
  fixed: '3.0.15-2',
});
const scan = (digest: string, fixable: ReturnType<typeof finding>[], at = T(3)): VulnerabilityScan => ({
  digest,
  scannedAt: at,
  trivyVersion: '0.58.1',
  dbUpdatedAt: at,
  summary: { criticalCount: fixable.length, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
  fixable,
  eosl: false,
});
function withScans(state: StateSnapshot, scans: VulnerabilityScan[]): StateSnapshot {
  const base = state.baseImages.get('node-22');
  if (base === undefined) throw new Error('no base');
  return {
    images: state.images,
    baseImages: new Map(state.baseImages).set('node-22', { ...base, vulnerabilities: { scans } }),
  };
}
const requestFor = (image: ManagedImage, key: string) => {
  const target = {
    provider: 'github' as const,
    repo: image.source.repo,
    branch: 'main',
    workflow: 'build.yaml',
    inputs: { key },
  };
  return { request: githubDispatch('https://api.github.com', target), target };
};

describe('urgency from the scans in git', () => {
  test('the newest digest no longer lists a fixable CRITICAL of the current one: urgent, due now, pinned to it', () => {
    const state = withScans(twoDigests(), [scan(D('a'), [finding('CVE-2026-1')]), scan(D('b'), [])]);
    const base = state.baseImages.get('node-22');
    if (base === undefined) throw new Error('no base');
    expect(criticalsFixedByLatest(base)).toEqual(['CVE-2026-1']);
    const plan = planRun({ state, enrolment, updates: [], now: T(4), claimTimeoutSeconds: 7200, requestFor });
    expect(plan.urgent).toEqual([{ base: 'node-22', fixed: ['CVE-2026-1'], images: ['api'] }]);
    expect(plan.sends.map((s) => s.image)).toEqual(['api']);
    // Pinned to the fixing digest, though it is younger than api's 7 days.
    expect(claimsInFlight(plan.state)[0]?.pins).toEqual([{ base: 'node-22', digest: D('b') }]);
  });

  test('nothing fixed (the newest still lists it, or only a HIGH is fixed): not urgent', () => {
    const still = withScans(twoDigests(), [
      scan(D('a'), [finding('CVE-2026-1')]),
      scan(D('b'), [finding('CVE-2026-1')]),
    ]);
    expect(applyStoredUrgency(still, T(4)).urgent).toEqual([]);
    const high = withScans(twoDigests(), [scan(D('a'), [finding('CVE-2026-2', 'HIGH')]), scan(D('b'), [])]);
    expect(applyStoredUrgency(high, T(4)).urgent).toEqual([]);
  });

  test('a scan missing for either digest is not known to fix anything: not urgent', () => {
    expect(applyStoredUrgency(withScans(twoDigests(), [scan(D('a'), [finding('CVE-2026-1')])]), T(4)).urgent).toEqual(
      [],
    );
    expect(applyStoredUrgency(withScans(twoDigests(), [scan(D('b'), [])]), T(4)).urgent).toEqual([]);
  });

  test('a rescan that reveals a new CVE in the current digest makes the pending rebuilds urgent then', () => {
    const before = withScans(twoDigests(), [scan(D('a'), []), scan(D('b'), [])]);
    const quiet = planRun({ state: before, enrolment, updates: [], now: T(4), claimTimeoutSeconds: 7200, requestFor });
    expect(quiet.sends).toEqual([]);
    // The daily rescan of the current digest, on Nov 5: a CRITICAL published since, fixed in b.
    const rescanned = withScans(quiet.state, [scan(D('a'), [finding('CVE-2026-9')], T(5)), scan(D('b'), [])]);
    const plan = planRun({
      state: rescanned,
      enrolment,
      updates: [],
      now: T(5, 1),
      claimTimeoutSeconds: 7200,
      requestFor,
    });
    expect(plan.sends.map((s) => s.image)).toEqual(['api']);
  });

  test('already urgent and marked: nothing changes (no commit on every sweep)', () => {
    const state = withScans(twoDigests(), [scan(D('a'), [finding('CVE-2026-1')]), scan(D('b'), [])]);
    const once = applyStoredUrgency(state, T(4)).state;
    const twice = applyStoredUrgency(once, T(5));
    expect(twice.urgent).toEqual([]);
    expect(twice.state).toBe(once);
  });
});
