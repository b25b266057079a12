/**
 * `request add`, the effects: one HEAD to the image's registry ("not found in the catalogue" when it has no such
 * tag), a shallow clone of the GitOps repository, the plan (plan-add.ts) on its head, then either one commit pushed
 * to `image-factory/request/<id>` and the pull request / merge request opened with the tier's reviewers, labels or
 * approval rule, or — for an auto-approve tier — one commit pushed straight to the target branch (planned again on
 * the new head when another push won the race, so concurrent requests all land).
 */
import { FactoryError } from '../errors.js';
import { jobPublishOptions, publishChange } from '../git/index.js';
import type { StateJobOptions } from '../jobs/state-job.js';
import { withGitopsCheckout } from '../jobs/state-job.js';
import type { NormalisedReference } from '../reference/normalise.js';
import type { RegistryClient } from '../registry/client.js';
import { findPullRequest, openPullRequest, type PullRequestRef, type RequestForge } from './forge.js';
import { type AddPlan, type AddRequestInput, planRequestAdd } from './plan-add.js';
import { pushNewBranch } from './push-branch.js';
import { requestBranch } from './schema.js';
import { readTargetBranch, requestPaths } from './target-branch.js';

/** How `request add` runs. */
export interface AddJobOptions {
  readonly job: StateJobOptions;
  readonly registry: Pick<RegistryClient, 'head'>;
  /** The forge the pull request is opened on; null when none is configured (refused unless the tier auto-approves). */
  readonly forge: RequestForge | null;
  /** Why `forge` is null, for the refusal. */
  readonly noForge?: string;
}

/** The documented `--json` of `request add`, plus what the text output says. */
export interface AddResult {
  readonly id: string | null;
  readonly tier: string | null;
  readonly status: 'pending' | 'approved' | 'already-provided';
  readonly pullRequest: { readonly number: number; readonly url: string | null } | null;
  readonly reference: string;
  readonly name: string;
  /** Where the commit went: the request branch, the target branch, or nowhere (dry run, already provided). */
  readonly branch: string | null;
  readonly commit: string | null;
  readonly files: readonly string[];
  readonly dryRun: boolean;
}

/** The registry has the tag (one HEAD); "not found in the catalogue" otherwise. */
async function checkCatalogue(registry: Pick<RegistryClient, 'head'>, ref: NormalisedReference): Promise<void> {
  try {
    await registry.head({ registry: ref.registry, repository: ref.repository }, ref.tag ?? ref.digest ?? 'latest');
  } catch (error) {
    if (error instanceof FactoryError && error.code === 'not-found') {
      throw new FactoryError(
        'not-found',
        `image-factory request add: ${ref.reference} not found in the catalogue (${ref.registry} has no such repository or tag)`,
        { cause: error },
      );
    }
    throw error;
  }
}

function commitMessage(plan: Extract<AddPlan, { kind: 'request' }>): string {
  const r = plan.request;
  return `image-factory: request ${r.reference} as ${r.name} (${r.id}, tier ${r.tier})\n\nteam ${r.team}, environment ${r.environment}, requested by ${r.requestedBy} at ${r.requestedAt}\n`;
}

/** The pull request's description: the request, and what approves it. */
function pullRequestBody(plan: Extract<AddPlan, { kind: 'request' }>, provider: 'github' | 'gitlab'): string {
  const r = plan.request;
  const t = plan.tier;
  const who =
    provider === 'github'
      ? [...t.approvers.github.users.map((u) => `@${u}`), ...t.approvers.github.teams.map((team) => `@${team}`)]
      : [...t.approvers.gitlab.users.map((u) => `@${u}`), ...t.approvers.gitlab.groups.map((g) => `@${g}`)];
  return [
    `Image request \`${r.id}\` (image-factory request add).`,
    '',
    '| | |',
    '|---|---|',
    `| Image | \`${r.reference}\` |`,
    `| Name in images.yaml | \`${r.name}\` |`,
    `| Team | ${r.team} |`,
    `| Environment | ${r.environment} |`,
    `| Requested by | ${r.requestedBy} |`,
    `| Requested at | ${r.requestedAt} |`,
    `| Tier | ${r.tier}: ${t.approvals} approval(s) from ${who.join(', ') || '(nobody named)'} |`,
    '',
    '**Justification**',
    '',
    r.justification === '' ? '(none)' : r.justification.replace(/^/gm, '> '),
    '',
    `Merging this approves the request; \`image-factory request check --pull-request N\` verifies the approvals.`,
    '',
  ].join('\n');
}

/** The result when images.yaml already enrols the image's repository: nothing requested, nothing written. */
function alreadyProvided(plan: Extract<AddPlan, { kind: 'already-provided' }>, dryRun: boolean): AddResult {
  return {
    id: null,
    tier: null,
    status: 'already-provided',
    pullRequest: null,
    reference: plan.reference,
    name: plan.name,
    branch: null,
    commit: null,
    files: [],
    dryRun,
  };
}

function resultOf(
  plan: Extract<AddPlan, { kind: 'request' }>,
  rest: Pick<AddResult, 'pullRequest' | 'branch' | 'commit' | 'dryRun'>,
): AddResult {
  return {
    id: plan.request.id,
    tier: plan.request.tier,
    status: plan.request.status === 'approved' ? 'approved' : 'pending',
    reference: plan.request.reference,
    name: plan.request.name,
    files: plan.files.map((f) => f.path),
    ...rest,
  };
}

/** Open (or find, when an earlier run pushed the branch) the pull request of a pending request. */
async function proposeOnForge(
  forge: RequestForge,
  plan: Extract<AddPlan, { kind: 'request' }>,
  branch: string,
  target: string,
  pushed: 'pushed' | 'exists',
): Promise<PullRequestRef> {
  if (pushed === 'exists') {
    const found = await findPullRequest(forge, branch);
    if (found.ok && found.value !== null) return found.value;
  }
  const opened = await openPullRequest(forge, {
    branch,
    base: target,
    title: `Image request: ${plan.request.reference} for ${plan.request.team} (${plan.request.environment})`,
    body: pullRequestBody(plan, forge.provider),
    tier: plan.tier,
  });
  if (opened.ok) return opened.value;
  throw new FactoryError(
    opened.transient ? 'unavailable' : 'invalid-config',
    `image-factory request add: the request is pushed to ${branch} but the ${forge.provider === 'github' ? 'pull' : 'merge'} request could not be opened: ${opened.message}`,
  );
}

/** Run `request add`. */
export async function runRequestAdd(input: AddRequestInput, options: AddJobOptions): Promise<AddResult> {
  const { job } = options;
  await checkCatalogue(options.registry, input.reference);
  return withGitopsCheckout(job, async ({ gitops, stateDir, stateRel, imagesRel }) => {
    const paths = requestPaths(imagesRel, stateRel);
    const plan = async () =>
      planRequestAdd(input, await readTargetBranch(gitops.dir, stateDir, stateRel, paths), paths);
    const first = await plan();
    if (first.kind === 'already-provided') return alreadyProvided(first, job.dryRun);
    if (!first.tier.autoApprove && options.forge === null && !job.dryRun) {
      throw new FactoryError(
        'usage',
        `image-factory request add: tier ${first.tier.name} needs a pull request and ${options.noForge ?? 'no forge is configured'}`,
      );
    }
    if (job.dryRun) return resultOf(first, { pullRequest: null, branch: null, commit: null, dryRun: true });
    if (first.tier.autoApprove) {
      const published = await publishChange<AddPlan>(
        gitops,
        async (head) => {
          // On a retry the new head is read again: another request may have enrolled the same image meanwhile.
          const now = head === null ? first : await plan();
          if (now.kind === 'already-provided') return { message: '', files: [], plan: now };
          return { message: commitMessage(now), files: now.files, plan: now };
        },
        job.log,
        jobPublishOptions(job.author, job.retry),
      );
      const landed = published.plan ?? first;
      if (landed.kind === 'already-provided') return alreadyProvided(landed, false);
      return resultOf(landed, {
        pullRequest: null,
        branch: job.gitBranch,
        commit: published.status === 'pushed' ? published.commit : null,
        dryRun: false,
      });
    }
    const forge = options.forge;
    if (forge === null) throw new FactoryError('internal', 'no forge for a pending request');
    const branch = requestBranch(first.request.id);
    const commit = await gitops.commitFiles(first.files, commitMessage(first), job.author, new Date());
    const pushed = await pushNewBranch(gitops, branch);
    job.log.info('push', `${pushed === 'pushed' ? 'pushed' : 'found'} ${branch} (${commit.slice(0, 12)})`);
    const pull = await proposeOnForge(forge, first, branch, job.gitBranch, pushed);
    return resultOf(first, {
      pullRequest: { number: pull.number, url: pull.url },
      branch,
      commit,
      dryRun: false,
    });
  });
}
