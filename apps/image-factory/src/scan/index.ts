/**
 * Vulnerability scans in state (DESIGN §12, issue 21), the only door into this folder. A Trivy JSON report
 * (SchemaVersion 2, `trivy image --format json`) is read bounded and checked (read-report.ts, trivy-report.ts),
 * matched to the base image or external image it describes by `Metadata.RepoDigests` — mapping a platform manifest
 * to the index digest the image's Warehouse records through the registry (match.ts) — summarised as one
 * `vulnerabilities.scans[]` entry: Trivy Operator counts, fixable CRITICAL/HIGH findings, EOSL, Trivy version and
 * database time (summarise.ts), and recorded in that image's state file: one scan per digest, newest first, bounded,
 * the current and latest digests' scans kept (record.ts). Pure but for the file read and the injected registry
 * lookups. The `scan record` job (jobs/scan-job.ts) joins them to git.
 */
export {
  candidatesFor,
  type ManifestLookup,
  matchReport,
  type RepoDigest,
  type ReportMatch,
  repoDigestsOf,
} from './match.js';
export { MAX_REPORT_BYTES, type ReadReportOptions, type ReportFile, readReportFile } from './read-report.js';
export {
  boundedScans,
  type RecordedScan,
  recordScans,
  type ScanEntry,
  type ScanOutcome,
  type ScanTarget,
  stateFileOf,
} from './record.js';
export { type ScanIdentity, type Summarised, summariseScan, UNKNOWN_TRIVY_VERSION } from './summarise.js';
export { type RescanTarget, scanTargets } from './targets.js';
export { parseTrivyReport, SEVERITIES, type Severity, type TrivyReport } from './trivy-report.js';
