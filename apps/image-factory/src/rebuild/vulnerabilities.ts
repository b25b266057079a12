/**
 * Trivy reports given by hand (`rebuild --vulnerability-report FILE`): read and checked as `scan record` reads its
 * reports (scan/read-report.ts), and summarised as a scan in state is (scan/summarise.ts), so that the one urgency
 * rule (urgency.ts, state/vulnerabilities.ts criticalsFixed) reads them exactly as it reads the recorded scans.
 * Never written to state. Pure.
 */
import { type ReportFile, summariseScan } from '../scan/index.js';
import type { VulnerabilityScan } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';

/** A report given by hand, summarised. */
export interface GivenReport {
  /** The file, as named on the command line. */
  readonly file: string;
  /** `Metadata.RepoDigests` as the report wrote them, sorted: said when the report describes neither digest. */
  readonly repoDigests: readonly string[];
  /** The digests it describes (from RepoDigests), sorted, each once. */
  readonly digests: readonly string[];
  /** Its summary as `scan record` would store it (under the first of `digests`). */
  readonly scan: VulnerabilityScan;
}

/**
 * Summarise a report read by readReportFile; `now` stands for the scan time of a report without `CreatedAt`. An
 * error is a sentence naming the field that is wrong (a `CreatedAt` that is no time).
 */
export function givenReport(
  read: ReportFile,
  now: string,
): { readonly ok: true; readonly value: GivenReport } | { readonly ok: false; readonly error: string } {
  const digests = [...new Set(read.repoDigests.map((r) => r.digest))].sort(compareCodeUnits);
  // Stryker disable next-line StringLiteral: equivalent, readReportFile refuses a report without RepoDigests
  const summary = summariseScan(read.report, { digest: digests[0] ?? '', now });
  if (!summary.ok) return summary;
  return {
    ok: true,
    value: {
      file: read.file,
      repoDigests: [...new Set(read.repoDigests.map((r) => r.text))].sort(compareCodeUnits),
      digests,
      scan: summary.value,
    },
  };
}
