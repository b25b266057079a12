/**
 * `request provision`, the effects around the rules of provision.ts: clone the GitOps repository, read the request
 * files and the audit log of the target branch, ask the forge who approved each due request (once: the `approved`
 * line records it), run the provider once per request (none: enrolment only; chainguard: the registry API), then
 * record everything in one commit — planned again on the new head when another job pushed first, so nothing is
 * recorded twice — and only after the push comment on each request's pull request with the pull string (a failed
 * comment is logged, never fatal).
 */
import type { Enrolment } from '../enrolment/types.js';
import { FactoryError, messageOf } from '../errors.js';
import { jobPublishOptions, publishChange } from '../git/index.js';
import { enrolmentLoader, type StateJobOptions, withGitopsCheckout } from '../jobs/state-job.js';
import { normaliseReference } from '../reference/index.js';
import { formatInstant } from '../util/time.js';
import { appendAudit } from './audit.js';
import { type ChainguardEffects, provisionRepository, repositoryNameOf } from './chainguard.js';
import { approversOf, comment, findPullRequest, type RequestForge } from './forge.js';
import {
  AUTO_APPROVER,
  type Decision,
  dueRequests,
  lastEvent,
  type ProviderResult,
  planProvision,
  type StoredRequest,
} from './provision.js';
import { type CloneAccess, proposedRequest, requestBranchIds } from './request-branches.js';
import { renderRequestFile } from './request-file.js';
import {
  AUDIT_FILE,
  type AuditLine,
  type ProvisionPolicy,
  type RequestFile,
  type RequestsPolicy,
  requestBranch,
} from './schema.js';
import { type RequestsSnapshot, readRequestsSnapshot } from './store.js';

/** How the provider and the forge are reached. */
export interface ProvisionJobOptions {
  readonly job: StateJobOptions;
  /** The clock: audit timestamps and `provisioning.at`. */
  readonly now: () => Date;
  /** The forge holding the requests' pull requests; null: none configured (only auto-approved requests can go). */
  readonly forge: RequestForge | null;
  /** Why there is no forge (said for each request whose approvers cannot be read). */
  readonly noForge?: string;
  /** The Chainguard token and transport; null: none configured (a chainguard policy then defers every request). */
  readonly chainguard: { readonly token: string; readonly effects: ChainguardEffects } | null;
  /** Overrides `requests.provision.chainguard.api` (a port-forward, a test stub). */
  readonly chainguardApi?: string;
}

/** What became of one due request. */
export interface ProvisionEntry {
  readonly id: string;
  readonly path: string;
  readonly reference: string;
  readonly name: string;
  readonly tier: string;
  /** provisioned / already-provided / failed as recorded, deferred when nothing but the approval was recorded. */
  readonly outcome: 'provisioned' | 'already-provided' | 'failed' | 'deferred';
  readonly transient: boolean;
  readonly pullString: string | null;
  readonly repositoryId: string | null;
  readonly message: string | null;
  readonly approvers: readonly string[] | null;
  readonly pullRequest: number | null;
  /** The comment on the pull request: posted, failed (logged), or none (no pull request, a dry run, not recorded). */
  readonly comment: 'posted' | 'failed' | 'none';
}

export interface ProvisionJobResult {
  readonly status: 'pushed' | 'unchanged' | 'dry-run';
  readonly commit: string | null;
  readonly attempts: number;
  readonly entries: readonly ProvisionEntry[];
  /** Requests whose pull request was closed unmerged, recorded `rejected` by this run. */
  readonly rejected: readonly { readonly id: string; readonly reference: string; readonly name: string }[];
  /** Closed pull requests could not all be looked at (the forge or git failed): run again to notice them. */
  readonly rejectionsUnread: string | null;
}

/** The `requests:` policy, or why there is nothing to provision with. */
function policyOf(enrolment: Enrolment, images: string): RequestsPolicy {
  if (enrolment.requests === undefined) {
    throw new FactoryError(
      'invalid-enrolment',
      `${images} has no requests: block: no tiers and no provider to provision requests with (see docs/requests.md)`,
    );
  }
  return enrolment.requests;
}

/** The approval of one request: what to record, and the pull request to comment on. */
type Approval =
  | { readonly ok: true; readonly approval: Decision['approval']; readonly pullRequest: number | null }
  | { readonly ok: false; readonly transient: boolean; readonly message: string };

async function approvalOf(
  stored: StoredRequest,
  audit: readonly AuditLine[],
  policy: RequestsPolicy,
  forge: RequestForge | null,
  noForge: string,
): Promise<Approval> {
  const { file } = stored;
  const recorded = lastEvent(audit, file.id, 'approved');
  const auto = recorded?.approver?.length === 1 && recorded.approver[0] === AUTO_APPROVER;
  const tier = policy.tiers.find((t) => t.name === file.tier);
  if (recorded === undefined && tier?.autoApprove === true)
    return { ok: true, approval: { approvers: [AUTO_APPROVER] }, pullRequest: null };
  if (auto) return { ok: true, approval: null, pullRequest: null };
  if (forge === null) {
    return recorded === undefined
      ? {
          ok: false,
          transient: false,
          message: `cannot read who approved ${file.id}: ${noForge}`,
        }
      : { ok: true, approval: null, pullRequest: null };
  }
  const found = await findPullRequest(forge, requestBranch(file.id));
  if (!found.ok) {
    // The approval is recorded already: the pull request is only wanted for the comment.
    if (recorded !== undefined) return { ok: true, approval: null, pullRequest: null };
    return { ok: false, transient: found.transient, message: found.message };
  }
  const pull = found.value;
  if (recorded !== undefined) return { ok: true, approval: null, pullRequest: pull?.number ?? null };
  if (pull === null || pull.state !== 'merged') {
    // On the target branch without a merged pull request (pushed past it): nobody is known to have approved it.
    return { ok: true, approval: { approvers: null }, pullRequest: pull?.number ?? null };
  }
  if (tier === undefined) {
    return {
      ok: false,
      transient: false,
      message: `tier ${file.tier} of ${file.id} is not in requests.tiers: cannot tell whose approval counts`,
    };
  }
  const approvers = await approversOf(forge, pull.number, tier);
  if (!approvers.ok) return { ok: false, transient: approvers.transient, message: approvers.message };
  return { ok: true, approval: { approvers: approvers.value }, pullRequest: pull.number };
}

/** Run the provider for one request (once per run: its result is then recorded on whatever head wins). */
async function provide(
  file: RequestFile,
  provision: ProvisionPolicy,
  options: ProvisionJobOptions,
): Promise<ProviderResult> {
  if (provision.provider === 'none') {
    return {
      kind: 'done',
      provider: 'none',
      status: 'provisioned',
      pullString: file.reference,
      repositoryId: null,
      message: null,
    };
  }
  if (options.chainguard === null) {
    return {
      kind: 'deferred',
      transient: false,
      message: 'no Chainguard token ($CHAINGUARD_TOKEN or --token-file): requests.provision.provider is chainguard',
    };
  }
  const parsed = normaliseReference(file.reference);
  if (!parsed.ok) {
    return {
      kind: 'done',
      provider: 'chainguard',
      status: 'failed',
      pullString: file.reference,
      repositoryId: null,
      message: `reference ${file.reference}: ${parsed.error}`,
    };
  }
  const target = { api: options.chainguardApi ?? provision.chainguard.api, parent: provision.chainguard.parent };
  const name = repositoryNameOf(parsed.value.repository);
  const outcome = await provisionRepository(target, name, options.chainguard.token, options.chainguard.effects);
  const base = { kind: 'done', provider: 'chainguard', pullString: file.reference } as const;
  switch (outcome.kind) {
    case 'provisioned':
      return { ...base, status: 'provisioned', repositoryId: outcome.repositoryId, message: null };
    case 'already-provided':
      return { ...base, status: 'already-provided', repositoryId: outcome.repositoryId, message: null };
    case 'failed':
      return { ...base, status: 'failed', repositoryId: null, message: outcome.message };
    case 'refused':
      return { kind: 'deferred', transient: false, message: outcome.message };
    case 'transient':
      return { kind: 'deferred', transient: true, message: outcome.message };
  }
}

function commitMessage(snapshot: RequestsSnapshot, change: ReturnType<typeof planProvision>): string {
  const byId = new Map(snapshot.requests.map((r) => [r.file.id, r.file]));
  const lines = change.files.map(({ file }) => {
    const p = file.provisioning;
    return p === undefined
      ? `${file.id} ${file.reference}: approved`
      : `${file.id} ${file.reference}: ${p.status}${p.status === 'failed' ? ` (${p.message ?? ''})` : `, pull ${p.pullString}`}`;
  });
  for (const id of change.rejected) lines.push(`${id}: rejected (pull request closed without merging)`);
  const count = change.recorded.length;
  const subject =
    count > 0
      ? `image-factory: provision ${count} image request(s) (${change.recorded.map((id) => byId.get(id)?.name ?? id).join(', ')})`
      : change.files.length > 0
        ? 'image-factory: record approved image requests'
        : `image-factory: record ${change.rejected.length} rejected image request(s)`;
  return `${subject}\n\n${lines.join('\n')}\n`;
}

/** The comment a request's pull request gets once its result is pushed. */
export function commentBody(file: RequestFile): string {
  const p = file.provisioning;
  if (p === undefined) return '';
  if (p.status === 'failed')
    return `image-factory: provisioning request ${file.id} failed: ${p.message ?? 'no message'}\n`;
  return `image-factory: request ${file.id} is ${p.status === 'provisioned' ? 'provisioned' : 'already provided'} (${file.name} in images.yaml). Pull it with:\n\n\`\`\`\ndocker pull ${p.pullString}\n\`\`\`\n`;
}

/**
 * The requests proposed on a branch whose pull request was closed without merging, not yet recorded as rejected:
 * read from their branches. A failure to look is logged and said (`unread`), never fatal: the next run looks again.
 */
async function closedUnmerged(
  clone: CloneAccess,
  snapshot: RequestsSnapshot,
  forge: RequestForge,
  log: StateJobOptions['log'],
): Promise<{ rejections: RequestFile[]; unread: string | null }> {
  const onBranch = new Set(snapshot.requests.map((r) => r.file.id));
  const rejections: RequestFile[] = [];
  let unread: string | null = null;
  let ids: string[];
  try {
    ids = await requestBranchIds(clone);
  } catch (error) {
    log.warn('rejected', `cannot list the request branches: ${messageOf(error)}`);
    return { rejections, unread: messageOf(error) };
  }
  for (const id of ids) {
    if (onBranch.has(id) || lastEvent(snapshot.audit, id, 'rejected') !== undefined) continue;
    const found = await findPullRequest(forge, requestBranch(id));
    if (!found.ok) {
      unread = `${requestBranch(id)}: ${found.message}`;
      log.warn('rejected', unread);
      continue;
    }
    if (found.value?.state !== 'closed') continue;
    try {
      const file = await proposedRequest(clone, id);
      if (file === null || file.id !== id) {
        log.warn('rejected', `${requestBranch(id)} holds no request file ${id}.yaml: nothing to record`);
        continue;
      }
      log.info('rejected', `${id}: pull request ${found.value.number} was closed without merging`);
      rejections.push(file);
    } catch (error) {
      unread = `${requestBranch(id)}: ${messageOf(error)}`;
      log.warn('rejected', unread);
    }
  }
  return { rejections, unread };
}

/** Run `request provision` end to end. */
export async function runProvisionJob(options: ProvisionJobOptions): Promise<ProvisionJobResult> {
  const { job } = options;
  const { log } = job;
  return withGitopsCheckout(job, async ({ gitops, imagesRel, env }) => {
    const policy = policyOf(await enrolmentLoader(gitops.dir, imagesRel)(), imagesRel);
    const first = await readRequestsSnapshot(gitops.dir);
    const due = dueRequests(first.requests);
    log.info('plan', `${due.length} approved request(s) not provisioned yet`);
    const decisions: Decision[] = [];
    const pulls = new Map<string, number | null>();
    const deferred = new Map<string, { transient: boolean; message: string }>();
    for (const stored of due) {
      const { id } = stored.file;
      const approval = await approvalOf(
        stored,
        first.audit,
        policy,
        options.forge,
        options.noForge ?? 'no forge configured (--forge, --forge-repo and a token)',
      );
      if (!approval.ok) {
        deferred.set(id, { transient: approval.transient, message: approval.message });
        log.warn('approval', `${id}: ${approval.message}`);
        continue;
      }
      pulls.set(id, approval.pullRequest);
      const result: ProviderResult = job.dryRun
        ? { kind: 'deferred', transient: false, message: `dry run: provider ${policy.provision.provider} not asked` }
        : await provide(stored.file, policy.provision, options);
      if (result.kind === 'deferred') {
        if (!job.dryRun) deferred.set(id, { transient: result.transient, message: result.message });
        log.warn('provision', `${id}: ${result.message}`);
      } else {
        log.info('provision', `${id}: ${result.status}${result.message === null ? '' : `: ${result.message}`}`);
      }
      decisions.push({ id, approval: approval.approval, result });
    }

    const { rejections, unread } =
      options.forge === null
        ? { rejections: [], unread: null }
        : await closedUnmerged(
            { dir: gitops.dir, url: gitops.url, env, timeoutMs: job.gitTimeoutMs },
            first,
            options.forge,
            log,
          );

    let snapshot: RequestsSnapshot = first;
    let head = await gitops.head();
    const stamp = formatInstant(options.now());
    const prepare = async (fetched: string | null) => {
      if (fetched !== null && fetched !== head) {
        snapshot = await readRequestsSnapshot(gitops.dir);
        head = fetched;
      }
      const change = planProvision(snapshot.requests, snapshot.audit, decisions, stamp, rejections);
      const files = change.files.map(({ path, file }) => ({ path, content: renderRequestFile(file) }));
      if (change.lines.length > 0)
        files.push({ path: AUDIT_FILE, content: appendAudit(snapshot.auditText, change.lines) });
      return { message: commitMessage(snapshot, change), files, plan: change };
    };
    const published = job.dryRun
      ? { status: 'dry-run' as const, attempts: 1, plan: (await prepare(null)).plan }
      : await publishChange(gitops, prepare, log, jobPublishOptions(job.author, job.retry));
    const plan = published.plan;
    if (plan === undefined) throw new FactoryError('internal', 'the provisioning was never planned');
    const written = new Map(plan.files.map(({ file }) => [file.id, file]));
    const recorded = new Set(plan.recorded);
    const entries: ProvisionEntry[] = [];
    for (const stored of due) {
      const { file } = stored;
      const decision = decisions.find((d) => d.id === file.id);
      const after = written.get(file.id);
      const p = recorded.has(file.id) ? after?.provisioning : undefined;
      const pullRequest = pulls.get(file.id) ?? null;
      let commented: ProvisionEntry['comment'] = 'none';
      if (
        p !== undefined &&
        after !== undefined &&
        pullRequest !== null &&
        options.forge !== null &&
        published.status === 'pushed'
      ) {
        const sent = await comment(options.forge, pullRequest, commentBody(after));
        commented = sent.ok ? 'posted' : 'failed';
        if (!sent.ok) log.warn('comment', `${file.id}: pull request ${pullRequest}: ${sent.message}`);
      }
      const why = deferred.get(file.id);
      const result = decision?.result;
      entries.push({
        id: file.id,
        path: stored.path,
        reference: file.reference,
        name: file.name,
        tier: file.tier,
        outcome: p === undefined ? 'deferred' : p.status,
        transient: why?.transient ?? false,
        pullString: p?.pullString ?? null,
        repositoryId: p?.repositoryId ?? null,
        message: p?.message ?? why?.message ?? (result?.kind === 'deferred' ? result.message : null),
        approvers: decision?.approval?.approvers ?? lastEvent(snapshot.audit, file.id, 'approved')?.approver ?? null,
        pullRequest,
        comment: commented,
      });
    }
    return {
      status: published.status,
      commit: published.status === 'pushed' ? published.commit : null,
      attempts: published.attempts,
      entries,
      rejected: rejections
        .filter((r) => plan.rejected.includes(r.id))
        .map((r) => ({ id: r.id, reference: r.reference, name: r.name })),
      rejectionsUnread: unread,
    };
  });
}
