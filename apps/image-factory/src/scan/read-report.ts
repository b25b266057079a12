/**
 * A report file, read at the edge by the one bounded JSON reader (util/json-file.ts): at most MAX_REPORT_BYTES,
 * UTF-8 JSON, a Trivy report with RepoDigests. Every refusal names the file and what.
 */
import { resolve } from 'node:path';
import { FactoryError } from '../errors.js';
import { readJsonFile } from '../util/json-file.js';
import { type RepoDigest, repoDigestsOf } from './match.js';
import { parseTrivyReport, type TrivyReport } from './trivy-report.js';

/**
 * The largest report read: a scan of a large image with every finding's description runs to a few MiB; an
 * operating system with tens of thousands of findings stays well under this.
 */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** A report read and checked, with the name it was given by. */
export interface ReportFile {
  readonly file: string;
  readonly report: TrivyReport;
  readonly repoDigests: readonly RepoDigest[];
}

/** Options of {@link readReportFile}. */
export interface ReadReportOptions {
  /** How messages name the file. @default `--report FILE` */
  readonly label?: string;
  /** Largest report read, in bytes. @default MAX_REPORT_BYTES */
  readonly maxBytes?: number;
}

/**
 * Read and check one report (`file` relative to `cwd`). A missing or unreadable file, or one larger than the bound,
 * is exit 2 (as every JSON file named); one not UTF-8 JSON, not SchemaVersion 2 or without RepoDigests is exit 1,
 * each said with the file's name.
 */
export async function readReportFile(cwd: string, file: string, options: ReadReportOptions = {}): Promise<ReportFile> {
  const label = options.label ?? `--report ${file}`;
  const maxBytes = options.maxBytes ?? MAX_REPORT_BYTES;
  const data = await readJsonFile(resolve(cwd, file), 'a Trivy JSON report', { label, maxBytes });
  const parsed = parseTrivyReport(data);
  if (!parsed.ok) throw new FactoryError('invalid-config', `${label}: ${parsed.error}`);
  const repoDigests = repoDigestsOf(parsed.value.Metadata.RepoDigests);
  if (!repoDigests.ok) throw new FactoryError('invalid-config', `${label}: ${repoDigests.error}`);
  return { file, report: parsed.value, repoDigests: repoDigests.value };
}
