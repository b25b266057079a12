/**
 * `image-factory scan record`: Trivy reports (read and checked before anything is cloned) → summaries in the state
 * of the images they describe, one commit. Matching asks the registry once, on the head first cloned (a platform
 * manifest → its index); each attempt then records the summaries on the head it runs on (a job that loses the push
 * race records again on the new head, never merges text), and nothing is committed when state already holds them.
 */
import { posix } from 'node:path';
import { FactoryError } from '../errors.js';
import { jobPublishOptions, publishChange } from '../git/index.js';
import type { RegistryClient } from '../registry/index.js';
import {
  type ManifestLookup,
  matchReport,
  type RecordedScan,
  type ReportFile,
  type RescanTarget,
  recordScans,
  type ScanEntry,
  scanTargets,
  stateFileOf,
  summariseScan,
} from '../scan/index.js';
import { StateFolder } from '../state/store.js';
import type { StateSnapshot } from '../state/types.js';
import { type StateJobOptions, withGitopsCheckout } from './state-job.js';

export interface ScanJobOptions {
  readonly job: StateJobOptions;
  readonly registry: RegistryClient;
  /** The clock, for a report without `CreatedAt` (state form). */
  readonly now: string;
  readonly reports: readonly ReportFile[];
}

export interface ScanJobResult {
  readonly status: 'pushed' | 'unchanged' | 'dry-run';
  readonly commit?: string;
  readonly attempts: number;
  /** Every entry, in the order of the reports, with what became of it on the head that was committed to. */
  readonly entries: readonly RecordedScan[];
}

/** The registry client's answers, as the matching asks them. A digest or tag the registry does not have is undefined. */
export function registryLookup(registry: RegistryClient): ManifestLookup {
  const absent = (error: unknown) => error instanceof FactoryError && error.code === 'not-found';
  return {
    async platformDigests(ref, digest) {
      try {
        const { manifest } = await registry.manifest(ref, digest);
        return manifest.kind === 'index' ? manifest.index.manifests.map((m) => m.digest) : null;
      } catch (error) {
        if (absent(error)) return undefined;
        throw error;
      }
    },
    async tagDigest(ref, tag) {
      try {
        return (await registry.head(ref, tag)).digest;
      } catch (error) {
        if (absent(error)) return undefined;
        throw error;
      }
    },
  };
}

/** Each report's summary, for each image it matches; a report that matches none is an error naming its digests. */
async function entriesFor(state: StateSnapshot, options: ScanJobOptions): Promise<ScanEntry[]> {
  const lookup = registryLookup(options.registry);
  const entries: ScanEntry[] = [];
  for (const { file, report, repoDigests } of options.reports) {
    let matches: Awaited<ReturnType<typeof matchReport>>;
    try {
      matches = await matchReport(state, repoDigests, lookup);
    } catch (error) {
      if (error instanceof FactoryError && error.code === 'invalid-config')
        throw new FactoryError(error.code, `--report ${file}: ${error.message}`, { cause: error });
      throw error;
    }
    if (matches.length === 0) {
      throw new FactoryError(
        'invalid-config',
        `--report ${file}: matches no enrolled base image or external image: Metadata.RepoDigests ${repoDigests
          .map((d) => d.text)
          .join(', ')} (see image-factory status for what is enrolled)`,
      );
    }
    for (const match of matches) {
      const summary = summariseScan(report, {
        digest: match.digest,
        ...(match.platformDigest === undefined ? {} : { platformDigest: match.platformDigest }),
        now: options.now,
      });
      if (!summary.ok) throw new FactoryError('invalid-config', `--report ${file}: ${summary.error}`);
      entries.push({ report: file, target: match.target, scan: summary.value });
      options.job.log.info(
        'match',
        `${file}: ${stateFileOf(match.target)} ${match.digest}${match.platformDigest === undefined ? '' : ` (platform manifest ${match.platformDigest})`}`,
      );
    }
  }
  return entries;
}

function commitMessage(results: readonly RecordedScan[]): string {
  const recorded = results.filter((r) => r.outcome === 'recorded');
  const names = [...new Set(recorded.map((r) => r.target.name))];
  const lines = recorded.map(
    (r) =>
      `${stateFileOf(r.target)}: ${r.scan.digest} scanned ${r.scan.scannedAt}: ${r.scan.summary.criticalCount} critical, ${r.scan.summary.highCount} high, ${r.scan.fixable.length} fixable${r.scan.eosl ? ', EOSL' : ''}`,
  );
  return `image-factory: record vulnerability scans (${names.join(', ')})\n\n${lines.join('\n')}\n`;
}

/** Run `scan record` end to end: the remote is changed by one complete commit, or not at all. */
export async function runScanJob(options: ScanJobOptions): Promise<ScanJobResult> {
  const { job } = options;
  return withGitopsCheckout(job, async ({ gitops, stateDir, stateRel }) => {
    const folder = await StateFolder.read(stateDir, stateRel);
    let folderHead = await gitops.head();
    const entries = await entriesFor(folder.snapshot(), options);
    const prepare = async (fetched: string | null) => {
      if (fetched !== null && fetched !== folderHead) {
        const changed = await gitops.changedFiles(folderHead, fetched, stateRel);
        await folder.refresh(changed.map((path) => posix.relative(stateRel, path)));
        folderHead = fetched;
      }
      const { state, results } = recordScans(folder.snapshot(), entries);
      const { changes } = folder.changesTo(state);
      job.log.info('plan', `${results.filter((r) => r.outcome === 'recorded').length} scan(s) to record`);
      return {
        message: commitMessage(results),
        files: changes.map((c) => ({ path: posix.join(stateRel, c.path), content: c.content })),
        plan: results,
      };
    };
    if (job.dryRun) {
      const { plan } = await prepare(null);
      return { status: 'dry-run', attempts: 1, entries: plan };
    }
    const result = await publishChange(gitops, prepare, job.log, jobPublishOptions(job.author, job.retry));
    if (result.plan === undefined) throw new FactoryError('internal', 'the scans were never recorded');
    return {
      status: result.status,
      ...(result.status === 'pushed' ? { commit: result.commit } : {}),
      attempts: result.attempts,
      entries: result.plan,
    };
  });
}

/** The digests the daily rescan covers, read from a shallow clone of the GitOps repository (nothing is written). */
export async function scanTargetsOf(job: StateJobOptions): Promise<RescanTarget[]> {
  return withGitopsCheckout(job, async ({ stateDir, stateRel }) =>
    scanTargets((await StateFolder.read(stateDir, stateRel)).snapshot()),
  );
}
