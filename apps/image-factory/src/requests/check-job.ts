/**
 * `request check --pull-request N`, the effects: ask the forge for the pull request (its branch and target), clone
 * the GitOps repository's target branch, fetch the pull request's branch with the history down to where it branched
 * off, read images.yaml, state, the audit log and the request files on each side, check them (check.ts), then ask
 * the forge who approved and whether they count for each tier (forge.ts approversOf).
 */
import { posix } from 'node:path';
import { loadEnrolment } from '../enrolment/load.js';
import { FactoryError } from '../errors.js';
import { gitClient, gitStep } from '../git/index.js';
import { type StateJobOptions, withGitopsCheckout } from '../jobs/state-job.js';
import { redact } from '../log/redact.js';
import { StateFolder } from '../state/store.js';
import { type ChangeCheck, checkRequestChange, independentApprovers, missingApprovals } from './check.js';
import { approversOf, getPullRequest, type PullRequestRef, type RequestForge } from './forge.js';
import { requestPaths } from './target-branch.js';

/** One request of the pull request, with its approvals. */
export interface CheckedRequestResult {
  readonly path: string;
  readonly id: string | null;
  readonly tier: string | null;
  readonly approvals: { readonly required: number; readonly counted: readonly string[] } | null;
  readonly problems: readonly string[];
}

/** The documented `--json` of `request check`. */
export interface CheckResult {
  readonly pullRequest: {
    readonly number: number;
    readonly url: string | null;
    readonly head: string;
    readonly base: string;
  };
  readonly ok: boolean;
  readonly requests: readonly CheckedRequestResult[];
  readonly problems: readonly string[];
}

function transient(message: string): FactoryError {
  return new FactoryError('unavailable', `image-factory request check: ${message}`);
}

/** Run `request check` for pull request `number`. */
export async function runRequestCheck(number: number, job: StateJobOptions, forge: RequestForge): Promise<CheckResult> {
  const got = await getPullRequest(forge, number);
  if (!got.ok) {
    if (got.transient) throw transient(got.message);
    throw new FactoryError('invalid-config', `image-factory request check: ${got.message}`);
  }
  const pull: PullRequestRef = got.value;
  const check = await withGitopsCheckout(
    { ...job, gitBranch: pull.base },
    async ({ gitops, stateDir, stateRel, imagesRel, env }) => {
      const git = gitClient(gitops.dir, env, job.gitTimeoutMs, false);
      const headRef = 'refs/image-factory/pull-request-head';
      // The clone is shallow (one commit): the history down to where the branches meet is needed for the merge base.
      const shallow = (await git.raw(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
      await gitStep(
        `cannot fetch ${pull.head} and ${pull.base} from ${redact(gitops.url)}`,
        () =>
          git.raw([
            'fetch',
            '--no-tags',
            ...(shallow ? ['--unshallow'] : []),
            'origin',
            `+refs/heads/${pull.head}:${headRef}`,
            `+refs/heads/${pull.base}:refs/remotes/origin/${pull.base}`,
          ]),
        gitops.url,
      );
      const base = (
        await gitStep('cannot find where the pull request branched off', () => git.raw(['merge-base', 'HEAD', headRef]))
      ).trim();
      const show = async (rev: string, path: string): Promise<string | null> => {
        try {
          return await git.raw(['show', `${rev}:${path}`]);
        } catch {
          return null;
        }
      };
      const { requestsDir } = requestPaths(imagesRel, stateRel);
      const auditPath = posix.join(requestsDir, 'audit.jsonl');
      const changed = (
        await gitStep('cannot compare the pull request with its base', () =>
          git.raw(['diff', '--name-only', '--no-renames', '-z', base, headRef, '--', requestsDir]),
        )
      )
        .split('\0')
        .filter((p) => p.length > 0 && p !== auditPath);
      const requestFiles = [];
      for (const path of changed) requestFiles.push({ path, text: await show(headRef, path) });
      const imagesText = async (rev: string) => {
        const text = await show(rev, imagesRel);
        if (text === null) throw new FactoryError('invalid-enrolment', `${imagesRel} does not exist at ${rev}`);
        return loadEnrolment(
          text,
          `${imagesRel} (${rev === 'HEAD' ? pull.base : rev === headRef ? pull.head : 'base'})`,
        );
      };
      const result: ChangeCheck = checkRequestChange({
        target: { enrolment: await imagesText('HEAD'), state: (await StateFolder.read(stateDir, stateRel)).snapshot() },
        baseAudit: (await show(base, auditPath)) ?? '',
        headAudit: (await show(headRef, auditPath)) ?? '',
        baseEnrolment: await imagesText(base),
        headEnrolment: await imagesText(headRef),
        requestFiles,
        requestsDir,
        imagesPath: imagesRel,
      });
      return result;
    },
  );
  const requests: CheckedRequestResult[] = [];
  for (const checked of check.requests) {
    const problems = [...checked.problems];
    let approvals: CheckedRequestResult['approvals'] = null;
    if (checked.tier !== null) {
      const counted = await approversOf(forge, number, checked.tier);
      if (!counted.ok) {
        if (counted.transient) throw transient(counted.message);
        throw new FactoryError('invalid-config', `image-factory request check: ${counted.message}`);
      }
      const independent =
        checked.request === null ? counted.value : independentApprovers(counted.value, checked.request, pull.author);
      approvals = { required: checked.tier.autoApprove ? 0 : checked.tier.approvals, counted: independent };
      const missing = missingApprovals(checked.tier, independent, forge.provider);
      if (missing !== null) problems.push(`${checked.path}: ${missing}`);
    }
    requests.push({
      path: checked.path,
      id: checked.request?.id ?? null,
      tier: checked.tier?.name ?? null,
      approvals,
      problems,
    });
  }
  const ok = check.problems.length === 0 && requests.every((r) => r.problems.length === 0);
  return {
    pullRequest: { number: pull.number, url: pull.url, head: pull.head, base: pull.base },
    ok,
    requests,
    problems: check.problems,
  };
}
