/**
 * `request check`, the rules (pure): what a request pull request changes must be a request — each request file it
 * adds agrees with its images.yaml entry (the entry's `request` names it, the same registry/repository and name),
 * sits in the folder of the tier the target branch's policy computes for it, carries the id its fields give, names
 * a team and environment the policy allows with the justification its tier asks; every images.yaml entry the pull
 * request adds with a `request` has its file; the audit log only grows; and the approvals given count enough.
 */
import { posix } from 'node:path';
import type { Enrolment } from '../enrolment/types.js';
import { messageOf } from '../errors.js';
import { normaliseReference } from '../reference/normalise.js';
import type { StateSnapshot } from '../state/types.js';
import { auditGrows } from './audit.js';
import { requestId } from './id.js';
import { parseRequestFile } from './request-file.js';
import type { RequestFile, RequestTier } from './schema.js';
import { requestKind, tierFor } from './tier.js';

/** What the pull request is checked against, and what it proposes. */
export interface RequestChange {
  /** The target branch's images.yaml (its requests: policy decides: a pull request cannot loosen its own tier). */
  readonly target: { readonly enrolment: Enrolment; readonly state: StateSnapshot };
  /** The audit log where the pull request branched off (empty when absent) and on its head. */
  readonly baseAudit: string;
  readonly headAudit: string;
  /** images.yaml where it branched off, and on its head. */
  readonly baseEnrolment: Enrolment;
  readonly headEnrolment: Enrolment;
  /** Request files the pull request adds or changes (repository-relative), with their text on its head (null: deleted). */
  readonly requestFiles: readonly { readonly path: string; readonly text: string | null }[];
  readonly requestsDir: string;
  readonly imagesPath: string;
}

/** One request of the pull request, checked. */
export interface CheckedRequest {
  readonly path: string;
  readonly request: RequestFile | null;
  /** The tier the policy computes (null when it could not be computed). */
  readonly tier: RequestTier | null;
  readonly problems: readonly string[];
}

/** The result of the checks that need no forge. */
export interface ChangeCheck {
  readonly requests: readonly CheckedRequest[];
  /** Problems not tied to one request file (an entry without its file, the audit log rewritten). */
  readonly problems: readonly string[];
}

function checkOne(change: RequestChange, path: string, text: string | null): CheckedRequest {
  const problems: string[] = [];
  if (text === null)
    return { path, request: null, tier: null, problems: [`${path} is deleted: a request file is never removed`] };
  let request: RequestFile;
  try {
    request = parseRequestFile(text, path);
  } catch (error) {
    return { path, request: null, tier: null, problems: [messageOf(error)] };
  }
  const expectedPath = posix.join(change.requestsDir, request.tier, `${request.id}.yaml`);
  if (path !== expectedPath)
    problems.push(`${path}: id ${request.id} and tier ${request.tier} belong in ${expectedPath}`);
  const policy = change.target.enrolment.requests;
  const ref = normaliseReference(request.reference);
  if (!ref.ok || ref.value.reference !== request.reference) {
    problems.push(`${path}: reference ${request.reference} is not a normalised image reference`);
    return { path, request, tier: null, problems };
  }
  const id = requestId(request.reference, request.team, request.environment, request.requestedAt);
  if (id !== request.id) problems.push(`${path}: id ${request.id} does not match its fields (they give ${id})`);
  if (request.status !== 'pending' && request.status !== 'approved') {
    problems.push(`${path}: status ${request.status}: a request is proposed pending`);
  }
  if (policy === undefined) {
    problems.push(`the target branch's ${change.imagesPath} has no requests: policy`);
    return { path, request, tier: null, problems };
  }
  if (!policy.teams.includes(request.team)) problems.push(`${path}: team ${request.team} is not one of requests.teams`);
  if (!policy.environments.includes(request.environment))
    problems.push(`${path}: environment ${request.environment} is not one of requests.environments`);
  const kind = requestKind(change.target.state, ref.value.registry, ref.value.repository);
  const tier = tierFor(policy, { ...ref.value, team: request.team, environment: request.environment, kind });
  if (tier === null) {
    problems.push(`${path}: no tier of the target branch's requests.tiers matches it`);
    return { path, request, tier: null, problems };
  }
  if (tier.name !== request.tier) {
    problems.push(`${path}: tier ${request.tier}, but the policy computes tier ${tier.name} (kind ${kind})`);
  }
  if (tier.justification.required && request.justification.trim().length < tier.justification.minLength) {
    problems.push(
      `${path}: tier ${tier.name} requires a justification of at least ${tier.justification.minLength} character(s)`,
    );
  }
  const entry = change.headEnrolment.images.find((i) => i.kind === 'external' && i.request === request.id);
  if (entry === undefined) {
    problems.push(`${change.imagesPath} has no entry with request: ${request.id}`);
  } else {
    if (entry.name !== request.name)
      problems.push(
        `${change.imagesPath}: the entry of ${request.id} is named ${entry.name}, the request says ${request.name}`,
      );
    if (entry.registry !== ref.value.registry || entry.repository !== ref.value.repository)
      problems.push(
        `${change.imagesPath}: the entry of ${request.id} is ${entry.registry}/${entry.repository}, the request says ${ref.value.registry}/${ref.value.repository}`,
      );
  }
  return { path, request, tier, problems };
}

/** Check a request pull request's content. */
export function checkRequestChange(change: RequestChange): ChangeCheck {
  const requests = change.requestFiles
    .filter((f) => f.path.endsWith('.yaml'))
    .map((f) => checkOne(change, f.path, f.text));
  const problems: string[] = [];
  const grows = auditGrows(change.baseAudit, change.headAudit);
  if (grows !== null) problems.push(`${posix.join(change.requestsDir, 'audit.jsonl')}: ${grows}`);
  const before = new Set(
    change.baseEnrolment.images.flatMap((i) => (i.kind === 'external' && i.request !== undefined ? [i.request] : [])),
  );
  const proposed = new Set(requests.flatMap((r) => (r.request === null ? [] : [r.request.id])));
  for (const image of change.headEnrolment.images) {
    if (image.kind !== 'external' || image.request === undefined || before.has(image.request)) continue;
    if (!proposed.has(image.request))
      problems.push(
        `${change.imagesPath}: ${image.name} names request ${image.request}, which this pull request does not add`,
      );
  }
  if (requests.length === 0 && problems.length === 0) {
    problems.push(`no request file under ${change.requestsDir}/ is added: not a request pull request`);
  }
  return { requests, problems };
}

/**
 * The approvers that count for a request: never its requester or the pull request's author (separation of duties:
 * GitLab lets an author approve, and a request may be opened by a bot on someone's behalf). Case-insensitive, as
 * the forges' logins are.
 */
export function independentApprovers(
  approvers: readonly string[],
  request: RequestFile,
  author: string | null,
): readonly string[] {
  const excluded = new Set([request.requestedBy.toLowerCase(), ...(author === null ? [] : [author.toLowerCase()])]);
  return approvers.filter((a) => !excluded.has(a.toLowerCase()));
}

/** What is missing for `tier` given `approvers` (those who count), or null when they suffice. */
export function missingApprovals(
  tier: RequestTier,
  approvers: readonly string[],
  provider: 'github' | 'gitlab',
): string | null {
  if (tier.autoApprove || approvers.length >= tier.approvals) return null;
  const who =
    provider === 'github'
      ? [...tier.approvers.github.users, ...tier.approvers.github.teams.map((t) => `team ${t}`)]
      : [...tier.approvers.gitlab.users, ...tier.approvers.gitlab.groups.map((g) => `group ${g}`)];
  return `tier ${tier.name} needs ${tier.approvals} approval(s) from ${who.join(', ') || `(no ${provider} approvers named)`}; ${approvers.length === 0 ? 'none given' : `has ${approvers.length} (${approvers.join(', ')})`}`;
}
