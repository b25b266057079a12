/**
 * One urgency rule for every scan (issue 21 item 3, issue 20 "one rule in one place"; docs/rebuilds.md "Urgency"):
 * a Trivy report given by hand to `rebuild --vulnerability-report` is read and summarised as `scan record` reads and
 * summarises its reports, and stands for the scan state records of the digest it describes. The update to the new
 * digest is urgent when a CRITICAL fixable in the current digest (`Status: fixed`) is no longer listed as fixable in
 * the new digest's scan. Unknown — no scan of either digest, or the current digest not known at all — is not urgent.
 */
import { describe, expect, test } from 'vitest';
import { type GivenReport, givenReport, urgencyOf } from '../src/rebuild/index.js';
import { parseTrivyReport, repoDigestsOf, summariseScan } from '../src/scan/index.js';
import type { VulnerabilityScan } from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = '2026-11-20T00:00:00Z';
const CURRENT = D('0');
const NEXT = D('1');

interface Finding {
  readonly id: string;
  readonly severity?: string;
  readonly status?: string;
}

/** A Trivy JSON report (SchemaVersion 2) of `repo@digest`, its findings in libssl3, as `trivy image` writes one. */
function trivy(repoDigest: string, findings: readonly Finding[]): unknown {
  return {
    SchemaVersion: 2,
    CreatedAt: '2026-11-19T08:00:00.000000000Z',
    ArtifactName: repoDigest,
    ArtifactType: 'container_image',
    Metadata: { RepoDigests: [repoDigest] },
    Results: [
      {
        Target: 'node (debian 12.8)',
        Class: 'os-pkgs',
        Type: 'debian',
        Vulnerabilities: findings.map((f) => ({
          VulnerabilityID: f.id,
          PkgName: 'libssl3',
          InstalledVersion: '3.0.15-1',
          ...((f.status ?? 'fixed') === 'fixed' ? { FixedVersion: '3.0.15-2' } : {}),
          Status: f.status ?? 'fixed',
          Severity: f.severity ?? 'CRITICAL',
        })),
      },
    ],
  };
}

/** A report given by hand, read as readReportFile reads one (its file name is the digest's first characters). */
function given(repoDigest: string, findings: readonly Finding[]): GivenReport {
  const parsed = parseTrivyReport(trivy(repoDigest, findings));
  if (!parsed.ok) throw new Error(parsed.error);
  const repoDigests = repoDigestsOf(parsed.value.Metadata.RepoDigests);
  if (!repoDigests.ok) throw new Error(repoDigests.error);
  const file = `${repoDigest.slice(repoDigest.indexOf('@') + 8, repoDigest.indexOf('@') + 12)}.json`;
  const summary = givenReport({ file, report: parsed.value, repoDigests: repoDigests.value }, NOW);
  if (!summary.ok) throw new Error(summary.error);
  return summary.value;
}

/** The scan `scan record` stores for the same report. */
function stored(digest: string, findings: readonly Finding[]): VulnerabilityScan {
  const parsed = parseTrivyReport(trivy(`node@${digest}`, findings));
  if (!parsed.ok) throw new Error(parsed.error);
  const summary = summariseScan(parsed.value, { digest, now: NOW });
  if (!summary.ok) throw new Error(summary.error);
  return summary.value;
}

const NO_SCANS = {};

describe('reports given by hand are read by the urgency rule of the stored scans', () => {
  test('a CRITICAL fixable in the current digest and gone from the new one: urgent, the id named', () => {
    const reports = [given(`node@${CURRENT}`, [{ id: 'CVE-1' }]), given(`node@${NEXT}`, [])];
    expect(urgencyOf(NO_SCANS, reports, [CURRENT], NEXT)).toEqual({ fixed: ['CVE-1'], unmatched: [] });
  });

  test('a CRITICAL the current digest has with no fix (affected, will_not_fix) is nothing a new digest fixes', () => {
    for (const status of ['affected', 'will_not_fix', 'fix_deferred']) {
      const reports = [given(`node@${CURRENT}`, [{ id: 'CVE-1', status }]), given(`node@${NEXT}`, [])];
      expect(urgencyOf(NO_SCANS, reports, [CURRENT], NEXT).fixed, status).toEqual([]);
    }
  });

  test('a HIGH fixed is not urgent; a CRITICAL still fixable in the new digest is not fixed by it', () => {
    const high = [given(`node@${CURRENT}`, [{ id: 'CVE-2', severity: 'HIGH' }]), given(`node@${NEXT}`, [])];
    expect(urgencyOf(NO_SCANS, high, [CURRENT], NEXT).fixed).toEqual([]);
    const still = [given(`node@${CURRENT}`, [{ id: 'CVE-1' }]), given(`node@${NEXT}`, [{ id: 'CVE-1' }])];
    expect(urgencyOf(NO_SCANS, still, [CURRENT], NEXT).fixed).toEqual([]);
  });

  test('a report given for the new digest and the scan state records for the current one: one rule over both', () => {
    const base = { vulnerabilities: { scans: [stored(CURRENT, [{ id: 'CVE-1' }, { id: 'CVE-3' }])] } };
    const reports = [given(`node@${NEXT}`, [{ id: 'CVE-3' }])];
    expect(urgencyOf(base, reports, [CURRENT], NEXT)).toEqual({ fixed: ['CVE-1'], unmatched: [] });
    // And the other way round: a report of the current digest, the new digest's scan in state.
    const latest = { vulnerabilities: { scans: [stored(NEXT, [])] } };
    expect(urgencyOf(latest, [given(`node@${CURRENT}`, [{ id: 'CVE-4' }])], [CURRENT], NEXT).fixed).toEqual(['CVE-4']);
  });

  test('a report given for a digest stands for the scan state records of it', () => {
    const base = { vulnerabilities: { scans: [stored(CURRENT, [{ id: 'CVE-OLD' }]), stored(NEXT, [])] } };
    const reports = [given(`node@${CURRENT}`, [{ id: 'CVE-NEW' }])];
    expect(urgencyOf(base, reports, [CURRENT], NEXT).fixed).toEqual(['CVE-NEW']);
  });

  test('the dependents built on two digests (no current recorded): what the new digest fixes of either, each once', () => {
    const other = D('2');
    const reports = [
      given(`node@${CURRENT}`, [{ id: 'CVE-9' }, { id: 'CVE-2' }]),
      given(`node@${other}`, [{ id: 'CVE-2' }, { id: 'CVE-5' }]),
      given(`node@${NEXT}`, [{ id: 'CVE-5' }]),
    ];
    expect(urgencyOf(NO_SCANS, reports, [CURRENT, other], NEXT).fixed).toEqual(['CVE-2', 'CVE-9']);
  });

  test('the current digest unknown: not urgent; a report of another digest stands for nothing and is named', () => {
    const reports = [given(`node@${D('8')}`, [{ id: 'CVE-1' }]), given(`node@${NEXT}`, [])];
    expect(urgencyOf(NO_SCANS, reports, [], NEXT)).toEqual({
      fixed: [],
      unmatched: [
        `8888.json: the vulnerability report for node@${D('8')} describes neither the current nor the new digest: not used`,
      ],
    });
  });

  test('no scan of the new digest, given or stored: unknown is not urgent', () => {
    const base = { vulnerabilities: { scans: [stored(CURRENT, [{ id: 'CVE-1' }])] } };
    expect(urgencyOf(base, [given(`node@${CURRENT}`, [{ id: 'CVE-1' }])], [CURRENT], NEXT).fixed).toEqual([]);
  });

  test('a report is summarised as scan record stores it: counts per finding, fixable CRITICAL/HIGH, its time', () => {
    const report = given(`node@${CURRENT}`, [{ id: 'CVE-1' }, { id: 'CVE-2', severity: 'HIGH', status: 'affected' }]);
    expect(report.scan).toEqual(
      stored(CURRENT, [{ id: 'CVE-1' }, { id: 'CVE-2', severity: 'HIGH', status: 'affected' }]),
    );
    expect(report).toMatchObject({ digests: [CURRENT], repoDigests: [`node@${CURRENT}`] });
  });
});
