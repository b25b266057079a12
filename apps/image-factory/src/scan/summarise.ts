/**
 * One Trivy report → one `vulnerabilities.scans[]` entry (DESIGN §12, issue 21): counts in the Trivy Operator shape
 * (one per finding, i.e. per `Results[].Vulnerabilities[]` entry, as the Operator's VulnerabilityReport counts),
 * the CRITICAL and HIGH findings with `Status: fixed`, EOSL, the Trivy version and database time, and when. Pure.
 */
import { MAX_FIXABLE_FINDINGS } from '../state/schema.js';
import type { VulnerabilityScan } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { formatInstant, parseTime } from '../util/time.js';
import type { TrivyFinding, TrivyReport } from './trivy-report.js';

/** The version written when the report does not carry one (Trivy writes `Trivy.Version` from v0.69.0 on). */
export const UNKNOWN_TRIVY_VERSION = 'unknown';

/** What the summary cannot take from the report itself. */
export interface ScanIdentity {
  /** The digest the image's Warehouse records (an index digest for a multi-platform image). */
  readonly digest: string;
  /** The platform manifest Trivy scanned, when it is not `digest`. */
  readonly platformDigest?: string;
  /** The clock, for a report without `CreatedAt` (state form, `YYYY-MM-DDTHH:MM:SSZ`). */
  readonly now: string;
}

/** Either the summary or a sentence naming the field that is wrong. */
export type Summarised =
  | { readonly ok: true; readonly value: VulnerabilityScan }
  | { readonly ok: false; readonly error: string };

type Fixable = VulnerabilityScan['fixable'][number];

/** Go's zero time, which Trivy marshals for a database time it does not know: no time at all, not a time. */
const GO_ZERO_TIME = /^0001-01-01T00:00:00(\.0+)?Z$/;

const compareFixable = (a: Fixable, b: Fixable) =>
  compareCodeUnits(a.id, b.id) ||
  compareCodeUnits(a.package, b.package) ||
  compareCodeUnits(a.installed, b.installed) ||
  compareCodeUnits(a.fixed, b.fixed) ||
  compareCodeUnits(a.severity, b.severity);

/** A finding in the `fixable` list when it is CRITICAL or HIGH and Trivy says a fix exists (`Status: fixed`). */
function fixableOf(finding: TrivyFinding): Fixable | null {
  if (finding.Status !== 'fixed') return null;
  if (finding.Severity !== 'CRITICAL' && finding.Severity !== 'HIGH') return null;
  return {
    id: finding.VulnerabilityID,
    severity: finding.Severity,
    package: finding.PkgName ?? '',
    installed: finding.InstalledVersion ?? '',
    fixed: finding.FixedVersion ?? '',
  };
}

/** A time of the report in the state form, or an error naming its field. */
function timeField(text: string, field: string): { ok: true; value: string } | { ok: false; error: string } {
  const parsed = parseTime(text);
  if (!parsed.ok) return { ok: false, error: `${field}: ${parsed.error}` };
  return { ok: true, value: formatInstant(parsed.ms) };
}

/**
 * Summarise a parsed report as the scan of `identity.digest`. `scannedAt` is the report's `CreatedAt` (the second
 * Trivy made it; written from v0.48.0 on), else `identity.now`; `dbUpdatedAt` is
 * `Trivy.Server.VulnerabilityDB.UpdatedAt` (written in client/server mode only, from v0.70.0 on), else null. `fixable` is sorted by id, then package, installed and fixed version, each
 * finding once, the first MAX_FIXABLE_FINDINGS kept (the counts still count them all).
 */
export function summariseScan(report: TrivyReport, identity: ScanIdentity): Summarised {
  const summary = { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 };
  const fixable = new Map<string, Fixable>();
  for (const result of report.Results) {
    for (const finding of result.Vulnerabilities) {
      switch (finding.Severity ?? 'UNKNOWN') {
        case 'CRITICAL':
          summary.criticalCount++;
          break;
        case 'HIGH':
          summary.highCount++;
          break;
        case 'MEDIUM':
          summary.mediumCount++;
          break;
        case 'LOW':
          summary.lowCount++;
          break;
        case 'UNKNOWN':
          summary.unknownCount++;
          break;
      }
      const entry = fixableOf(finding);
      if (entry !== null) fixable.set(JSON.stringify(entry), entry);
    }
  }
  let scannedAt = identity.now;
  if (report.CreatedAt !== undefined) {
    const created = timeField(report.CreatedAt, 'CreatedAt');
    if (!created.ok) return created;
    scannedAt = created.value;
  }
  let dbUpdatedAt: string | null = null;
  const updatedAt = report.Trivy?.Server?.VulnerabilityDB?.UpdatedAt;
  if (updatedAt !== undefined && !GO_ZERO_TIME.test(updatedAt)) {
    const parsed = timeField(updatedAt, 'Trivy.Server.VulnerabilityDB.UpdatedAt');
    if (!parsed.ok) return parsed;
    dbUpdatedAt = parsed.value;
  }
  const version = report.Trivy?.Version;
  return {
    ok: true,
    value: {
      digest: identity.digest,
      ...(identity.platformDigest === undefined || identity.platformDigest === identity.digest
        ? {}
        : { platformDigest: identity.platformDigest }),
      scannedAt,
      trivyVersion: version === undefined || version === '' ? UNKNOWN_TRIVY_VERSION : version,
      dbUpdatedAt,
      summary,
      fixable: [...fixable.values()].sort(compareFixable).slice(0, MAX_FIXABLE_FINDINGS),
      eosl: report.Metadata.OS?.EOSL === true,
    },
  };
}
