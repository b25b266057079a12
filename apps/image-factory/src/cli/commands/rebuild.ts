import { parseDelay } from '../../enrolment/duration.js';
import { EXIT, FactoryError } from '../../errors.js';
import { type RebuildJobResult, type RebuildMode, runRebuildJob } from '../../jobs/rebuild-job.js';
import { baseUrlHelp, GITHUB_API_URL, type GivenReport, givenReport } from '../../rebuild/index.js';
import { NODE_EFFECTS } from '../../registry/http.js';
import { readReportFile } from '../../scan/index.js';
import { formatInstant, parseTime } from '../../util/time.js';
import { baseUrlOption, GIT_OPTIONS, GIT_SECTIONS, stateJobOptions } from '../git-options.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { FORGE_TOKEN_OPTIONS, readToken } from '../token-file.js';
import { readTrustRootOption, trustRootOption } from '../trust-root-option.js';
import { type CommandIO, defineCommand, EXIT_OK, type OptionSpecs, renderHelp, writeJson } from '../usage.js';

const REBUILD_OPTIONS = {
  base: { type: 'string', value: 'NAME', help: 'the base image (its state name under state/base-images/) that moved' },
  reference: {
    type: 'string',
    value: 'REPO:TAG',
    help: 'instead of --base: the reference that moved, as a Kargo Stage knows it (a tag no image\nis built on is nothing to do)',
  },
  digest: { type: 'string', value: 'DIGEST', help: 'the digest it points to now (sha256:…)' },
  released: {
    type: 'string',
    value: 'RFC3339',
    help: "DIGEST's release time when you know it (an offline what-if run): the registry is not asked",
  },
  due: { type: 'boolean', default: false, help: 'instead: trigger every recorded rebuild whose time has come' },
  now: {
    type: 'string',
    value: 'RFC3339',
    help: 'the clock (what-if runs, tests); nothing in state then comes from the real one',
  },
  'vulnerability-report': {
    type: 'string',
    multiple: true,
    value: 'FILE',
    help: 'a Trivy JSON report (repeatable), read and summarised as scan record does, matched to the\ncurrent and new digests by Metadata.RepoDigests; it stands for the scan state records of that\ndigest. One rule for both: a new digest that no longer lists a fixable CRITICAL (Status: fixed)\nof the current one makes the rebuilds due at once',
  },
  'claim-timeout': {
    type: 'string',
    default: '2h',
    value: 'DURATION',
    help: 'a claim with no recorded answer after this is sent again with the same key, after looking\nfor a run already started with it (as rebuildDelay: 30m, 2h, 1d; default 2h, two hourly\nsweep periods)',
  },
  // The key is GITHUB_API_URL.flag (test/forge-urls.test.ts holds them together); the help comes from it.
  'github-api-url': {
    type: 'string',
    value: 'URL',
    help: baseUrlHelp(
      GITHUB_API_URL,
      'GitHub API the workflow_dispatch triggers go to (GitHub Enterprise: https://HOST/api/v3)',
    ),
  },
  ...trustRootOption('', ' the signature gate verifies\nkeyless signatures and logged entries against'),
  ...FORGE_TOKEN_OPTIONS,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: [
    'rebuild --base NAME --digest DIGEST --git-repo URL [options]',
    'rebuild --reference REPO:TAG --digest DIGEST --git-repo URL [options]',
    'rebuild --due --git-repo URL [options]',
  ],
  description: `A base image now points to DIGEST: ask its registry when DIGEST was released, decide for every image built
on it (directly and further down) when to rebuild (rebuildDelay from the release, never restarted by later
updates; at once when DIGEST no longer has a fixable CRITICAL of the current digest, by the scans in state or
the --vulnerability-report files; not at all when already built on it), commit the decisions and claim the
rebuilds due now, then trigger them in GitHub Actions or GitLab CI, once each, and commit the answers. --due
does the sweep only. --dry-run prints each decision and the request it would send.`,
  sections: [['Rebuild', REBUILD_OPTIONS], ['Registry', REGISTRY_OPTIONS], ...GIT_SECTIONS],
  exit: '0 decisions recorded (a trigger that failed is recorded with its reason), 1 invalid input (images.yaml,\nstate, a --vulnerability-report that is not a Trivy JSON report) or a cycle in the graph, 2 usage error (a bad\nflag: an impossible --now/--released date, a base URL that is not https) or an unreadable file, 3 transient\nfailure (registry, git) before anything was recorded, or a digest whose signatures could not be checked\n(not used): safe to run again.',
  examples: [
    'image-factory rebuild --base node-22-bookworm-slim --digest sha256:… --git-repo https://github.com/acme/gitops.git',
    'image-factory rebuild --due --git-repo https://github.com/acme/gitops.git',
    'image-factory rebuild --due --now 2026-12-01T00:00:00Z --dry-run --git-repo ./gitops',
  ],
});

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A time flag (`--now`, `--released`) as an instant in the state form; a usage error naming the flag otherwise. */
function timeFlag(flag: string, text: string): string {
  const parsed = parseTime(text);
  if (!parsed.ok) throw new FactoryError('usage', `image-factory rebuild: --${flag} ${parsed.error}`);
  return formatInstant(parsed.ms);
}

/** `--claim-timeout` in seconds: the duration syntax of rebuildDelay, more than 0. */
function claimTimeoutSeconds(text: string): number {
  const seconds = parseDelay(text);
  if (seconds === null || seconds <= 0) {
    throw new FactoryError(
      'usage',
      `image-factory rebuild: --claim-timeout "${text}" must be a duration more than 0, as rebuildDelay writes it (30m, 2h, 1d)`,
    );
  }
  return seconds;
}

/**
 * The Trivy reports named on the command line, read as `scan record` reads its reports and summarised as it
 * summarises them. A file that cannot be read or is too large is exit 2; one that is not a Trivy JSON report exit 1.
 */
async function reports(io: CommandIO, files: readonly string[], now: string): Promise<GivenReport[]> {
  const given: GivenReport[] = [];
  for (const file of files) {
    const label = `image-factory rebuild: --vulnerability-report ${file}`;
    const summary = givenReport(await readReportFile(io.cwd, file, { label }), now);
    if (!summary.ok) throw new FactoryError('invalid-config', `${label}: ${summary.error}`);
    given.push(summary.value);
  }
  return given;
}

/** The text form of a run. A dry run speaks in the conditional: it claimed nothing and sent nothing. */
function formatResult(result: RebuildJobResult): string {
  const dryRun = result.status === 'dry-run';
  const lines = result.decisions.map(
    (d) =>
      `${d.image}: ${d.action}${d.action === 'rebuild' ? ` due ${d.due}${d.urgent ? ' (urgent)' : ''}${d.waitFor.length > 0 ? `, waits for ${d.waitFor.join(', ')} until ${d.waitUntil}` : ''}` : d.action === 'fresh' ? ` (${d.reason})` : ''}`,
  );
  for (const t of result.triggers) {
    const outcome =
      t.outcome === null
        ? dryRun
          ? 'would claim and send'
          : 'not sent'
        : t.outcome.status === 'triggered'
          ? `triggered (HTTP ${t.outcome.httpStatus})`
          : `${t.outcome.status}: ${t.outcome.message}`;
    lines.push(
      `${t.image}: ${t.request.method} ${t.request.url}${t.request.body === null ? '' : ` ${t.request.body}`} → ${outcome} [key ${t.key}]`,
    );
  }
  for (const s of result.skipped)
    lines.push(`${s.image}: due, ${dryRun ? 'would not be' : 'not'} triggered: ${s.reason}`);
  for (const h of result.healed) lines.push(`${h.base}: now ${h.digest}, which no Stage reported: recorded`);
  for (const u of result.unreachable) lines.push(`${u.base}: not checked: ${u.reason}`);
  const gate = result.gate ?? { blocked: [], warnings: [], unverifiable: [], held: [] };
  for (const b of gate.blocked) lines.push(`${b.base}: ${b.digest} blocked by its signature policy: ${b.reason}`);
  for (const w of gate.warnings) lines.push(`${w.base}: ${w.digest} signature warning (used): ${w.reason}`);
  for (const u of gate.unverifiable) lines.push(`${u.base}: ${u.digest} not used: ${u.reason}`);
  for (const h of gate.held) lines.push(`${h.image}: due, held back: ${h.reason}`);
  lines.push(
    dryRun
      ? 'dry run: nothing committed, nothing sent'
      : `${result.status}${result.commits.length > 0 ? ` (${result.commits.map((c) => c.slice(0, 12)).join(', ')})` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

export const rebuildCommand = defineCommand({
  name: 'rebuild',
  summary: 'decide, record and trigger rebuilds when a base image moves (or --due: the sweep)',
  help: HELP,
  options: { ...REBUILD_OPTIONS, ...REGISTRY_OPTIONS, ...GIT_OPTIONS },
  logs: true,
  async run(values, _positionals, io) {
    let mode: RebuildMode;
    const targets = [values.base, values.reference].filter((v) => v !== undefined).length;
    if (values.due) {
      if (targets > 0 || values.digest !== undefined) {
        throw new FactoryError(
          'usage',
          'image-factory rebuild: --due takes no --base, --reference or --digest (see --help)',
        );
      }
      mode = { kind: 'due' };
    } else {
      if (targets !== 1 || values.digest === undefined) {
        throw new FactoryError(
          'usage',
          'image-factory rebuild: give --base NAME or --reference REPO:TAG, with --digest DIGEST; or --due (see --help)',
        );
      }
      if (!DIGEST.test(values.digest)) {
        throw new FactoryError('usage', `image-factory rebuild: --digest "${values.digest}" is not sha256:<64 hex>`);
      }
      mode =
        values.reference !== undefined
          ? { kind: 'update', base: values.reference, digest: values.digest, byReference: true }
          : { kind: 'update', base: values.base ?? '', digest: values.digest };
    }
    if (values.released !== undefined && mode.kind === 'due') {
      throw new FactoryError('usage', 'image-factory rebuild: --released goes with --base or --reference, not --due');
    }
    const now = values.now === undefined ? formatInstant(io.now?.() ?? new Date()) : timeFlag('now', values.now);
    const released = values.released === undefined ? undefined : timeFlag('released', values.released);
    // Read once, before anything is cloned or decided: a root that cannot be read (2) or is not one (1) stops here.
    const trustRoot = await readTrustRootOption('rebuild', values['trust-root'], io);
    const job = await stateJobOptions('rebuild', values, io, mode.kind === 'update' ? mode.base : '*');
    const result = await runRebuildJob(mode, {
      job,
      registry: await registryClientFrom('rebuild', values, io),
      now,
      reports: await reports(io, values['vulnerability-report'] ?? [], now),
      ...(released === undefined ? {} : { released }),
      claimTimeoutSeconds: claimTimeoutSeconds(values['claim-timeout'] ?? '2h'),
      ...(trustRoot === undefined ? {} : { trustRoot }),
      forge: {
        githubApiUrl: baseUrlOption('rebuild', GITHUB_API_URL, values['github-api-url'], io),
        // One GitLab host for clones and pipelines: the one rule stateJobOptions resolved.
        gitlabUrl: job.forges.gitlab,
        githubToken: await readToken('rebuild', io, values['github-token-file'], 'GITHUB_TOKEN'),
        gitlabToken: await readToken('rebuild', io, values['gitlab-token-file'], 'GITLAB_TOKEN'),
        effects: NODE_EFFECTS,
      },
    });
    if (values.json) writeJson(io, result);
    else io.stdout(formatResult(result));
    // The sweep did what it could and recorded it; a base it could not ask about is a check not made: fail, so the
    // CronJob shows it, and the next sweep (safe to run again) looks again.
    if (result.unreachable.length > 0) {
      io.stderr(
        `image-factory rebuild: ${result.unreachable.length} base image(s) could not be checked in their registry (${result.unreachable.map((u) => u.base).join(', ')}): the rest of the sweep is recorded; run again\n`,
      );
      return EXIT.transient;
    }
    // A digest whose signatures could not be checked was not used (fail closed) and nothing wrong was recorded about
    // it: a check not made, like an unreachable base.
    const unverified = result.gate?.unverifiable ?? [];
    if (unverified.length > 0) {
      io.stderr(
        `image-factory rebuild: the signatures of ${unverified.length} digest(s) could not be checked (${unverified.map((u) => `${u.base}@${u.digest}`).join(', ')}): not used; run again\n`,
      );
      return EXIT.transient;
    }
    return EXIT_OK;
  },
});
