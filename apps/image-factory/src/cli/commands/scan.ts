/** `image-factory scan record`: Trivy JSON reports summarised into the state of the images they describe. */
import { FactoryError } from '../../errors.js';
import { runScanJob, type ScanJobResult, scanTargetsOf } from '../../jobs/scan-job.js';
import { MAX_REPORT_BYTES, type ReportFile, readReportFile, stateFileOf } from '../../scan/index.js';
import { formatInstant, parseTime } from '../../util/time.js';
import { GIT_OPTIONS, GIT_SECTIONS, stateJobOptions } from '../git-options.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { defineCommand, EXIT_OK, type OptionSpecs, renderHelp, writeJson } from '../usage.js';

const SCAN_OPTIONS = {
  report: {
    type: 'string',
    multiple: true,
    value: 'FILE',
    help: `a Trivy JSON report (trivy image --format json, SchemaVersion 2; repeatable; at most\n${MAX_REPORT_BYTES / 1024 / 1024} MiB), matched to a base or external image by Metadata.RepoDigests`,
  },
  now: {
    type: 'string',
    value: 'RFC3339',
    help: "the time recorded for a report without CreatedAt (default: the clock); a report's own\nCreatedAt always wins",
  },
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: [
    'scan record --report FILE [--report FILE …] --git-repo URL [options]',
    'scan targets --git-repo URL [--json] [git options]',
  ],
  description: `Summarise Trivy reports into the GitOps repository's state: each report goes to the base image
(state/base-images/<name>.yaml) or external image (state/images/<name>.yaml) of the repository its
Metadata.RepoDigests names, under vulnerabilities.scans: one entry per digest (digest, platformDigest,
scannedAt, trivyVersion, dbUpdatedAt, Trivy Operator counts, fixable CRITICAL/HIGH findings, eosl), newest
first, the current and latest digests' scans and the newest others kept (five in all).

A digest Trivy reports for the platform manifest it scanned is recorded under the index digest the image's
Warehouse records (asked of the registry). A rescan of a digest replaces its entry; the same report twice
commits nothing. Every report is read and checked before anything is written.

scan targets prints what the daily rescan scans (the vulnerability database changes while digests do not):
for every base image something is built on, its current and latest digests; for every external image, the
digests its recorded scans name; one registry/repository@digest per line (ready for a shell loop over
trivy image), or --json: [{"image", "kind": "base" | "external", "digest", "reference"}]. It writes nothing.`,
  sections: [['Scan', SCAN_OPTIONS], ['Registry', REGISTRY_OPTIONS], ...GIT_SECTIONS],
  exit: '0 recorded or nothing to record, 1 a report that is not a Trivy JSON report (SchemaVersion 2), is too\nlarge, or matches no enrolled image (state untouched), 2 usage error or an unreadable file, 3 transient\nfailure (registry, git) after retries: safe to run again.',
  examples: [
    'image-factory scan targets --git-repo https://github.com/acme/gitops.git > /scan/targets',
    'image-factory scan record --report /reports/scan.json --git-repo https://github.com/acme/gitops.git\n    (after: trivy image --format json --output /reports/scan.json docker.io/library/node@sha256:…)',
    'image-factory scan record --report a.json --report b.json --git-repo ./gitops --dry-run --json',
  ],
});

/** The documented `--json` shape: the run, and every entry with the file it went to and what became of it. */
function resultJson(result: ScanJobResult): object {
  return {
    status: result.status,
    commit: result.commit ?? null,
    attempts: result.attempts,
    entries: result.entries.map((e) => ({
      report: e.report,
      kind: e.target.kind,
      name: e.target.name,
      file: stateFileOf(e.target),
      outcome: e.outcome,
      scan: e.scan,
    })),
  };
}

function formatResult(result: ScanJobResult): string {
  const lines = result.entries.map((e) => {
    const s = e.scan.summary;
    const counts = `${s.criticalCount} critical, ${s.highCount} high, ${s.mediumCount} medium, ${s.lowCount} low, ${s.unknownCount} unknown`;
    return `${e.report}: ${stateFileOf(e.target)} ${e.scan.digest}: ${e.outcome} (${counts}; ${e.scan.fixable.length} fixable${e.scan.eosl ? '; EOSL' : ''})`;
  });
  lines.push(
    result.status === 'pushed'
      ? `pushed ${result.commit ?? ''} after ${result.attempts} attempt(s)`
      : result.status === 'unchanged'
        ? 'state already up to date: nothing committed'
        : 'dry run: nothing written, committed or pushed',
  );
  return `${lines.join('\n')}\n`;
}

/** The command's name before a report's own errors (`--report FILE: …`), as every command's errors begin. */
async function named<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof FactoryError && error.message.startsWith('--report '))
      throw new FactoryError(error.code, `image-factory scan record: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The `scan` command: `record` (reports into state) and `targets` (what the daily rescan scans). */
export const scanCommand = defineCommand({
  name: 'scan',
  summary: 'record Trivy reports in the state of the images they describe; list what the rescan scans',
  help: HELP,
  options: { ...SCAN_OPTIONS, ...REGISTRY_OPTIONS, ...GIT_OPTIONS },
  positionals: true,
  logs: true,
  async run(values, positionals, io) {
    const [sub, ...extra] = positionals;
    if ((sub !== 'record' && sub !== 'targets') || extra.length > 0) {
      throw new FactoryError(
        'usage',
        'image-factory scan: the subcommands are "scan record" and "scan targets" (see --help)',
      );
    }
    if (sub === 'targets') {
      if (values.report !== undefined)
        throw new FactoryError('usage', 'image-factory scan targets: takes no --report (see --help)');
      const targets = await scanTargetsOf(await stateJobOptions('scan targets', values, io, '*'));
      if (values.json) writeJson(io, targets);
      else io.stdout(targets.map((t) => `${t.reference}\n`).join(''));
      return EXIT_OK;
    }
    const files = values.report ?? [];
    if (files.length === 0)
      throw new FactoryError('usage', 'image-factory scan record: --report FILE required (see --help)');
    let now = formatInstant(io.now?.() ?? new Date());
    if (values.now !== undefined) {
      const parsed = parseTime(values.now);
      if (!parsed.ok) throw new FactoryError('usage', `image-factory scan record: --now ${parsed.error}`);
      now = formatInstant(parsed.ms);
    }
    const job = await stateJobOptions('scan record', values, io, '*');
    // Every report is read and checked before anything is cloned: a bad one leaves state untouched.
    const reports: ReportFile[] = [];
    for (const file of files) reports.push(await named(readReportFile(io.cwd, file)));
    const registry = await registryClientFrom('scan record', values, io);
    const result = await named(runScanJob({ job, registry, now, reports }));
    if (values.json) writeJson(io, resultJson(result));
    else io.stdout(formatResult(result));
    return EXIT_OK;
  },
});
