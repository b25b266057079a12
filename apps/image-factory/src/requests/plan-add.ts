/**
 * `request add`, the rules (pure): on the target branch as read (images.yaml, state, the audit log), is the image
 * already provided, may this team ask for it for this environment, which tier routes it, is the justification
 * enough — and if so, the files of the one commit that makes the request: the request file, images.yaml with the
 * new external entry pointing at the request id, and for an auto-approve tier the audit lines `requested` and
 * `approved` (approver "auto"). A refusal is a FactoryError naming the flag or the images.yaml field.
 */
import { posix } from 'node:path';
import { addImageEntry } from '../enrolment/edit.js';
import { loadEnrolment } from '../enrolment/load.js';
import { DNS_LABEL } from '../enrolment/patterns.js';
import type { Enrolment } from '../enrolment/types.js';
import { FactoryError } from '../errors.js';
import type { FileChange } from '../git/workspace.js';
import { fitDnsLabel, toDnsLabelChars } from '../naming/names.js';
import type { NormalisedReference } from '../reference/normalise.js';
import type { StateSnapshot } from '../state/types.js';
import { appendAudit } from './audit.js';
import { requestId } from './id.js';
import { renderRequestFile } from './request-file.js';
import type { AuditLine, RequestFile, RequestTier } from './schema.js';
import { requestKind, tierFor } from './tier.js';

/** What the requester asked for. */
export interface AddRequestInput {
  readonly reference: NormalisedReference;
  readonly team: string;
  readonly environment: string;
  readonly justification: string;
  readonly requestedBy: string;
  /** The images.yaml name; when unspecified, the repository's last path segment. */
  readonly name?: string;
  /** The instant of the request (`YYYY-MM-DDTHH:MM:SSZ`). */
  readonly requestedAt: string;
}

/** The target branch as read. */
export interface TargetBranch {
  readonly imagesText: string;
  readonly enrolment: Enrolment;
  readonly state: StateSnapshot;
  /** The audit log's text; empty when the file does not exist yet. */
  readonly auditText: string;
}

/** Where things are, repository-relative. */
export interface RequestPaths {
  readonly images: string;
  /** `image-factory/requests`. */
  readonly requestsDir: string;
}

/** What `request add` does. */
export type AddPlan =
  | { readonly kind: 'already-provided'; readonly name: string; readonly reference: string }
  | {
      readonly kind: 'request';
      readonly request: RequestFile;
      readonly tier: RequestTier;
      /** The request file and images.yaml, plus audit.jsonl for an auto-approve tier. */
      readonly files: readonly FileChange[];
      readonly requestFile: string;
    };

const refuse = (message: string) => new FactoryError('invalid-config', `image-factory request add: ${message}`);

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The images.yaml entry of a requested image: its tag followed by digest (a tag like latest-dev moves). */
function entryFor(name: string, ref: NormalisedReference, id: string, tag: string): Record<string, unknown> {
  return {
    name,
    registry: ref.registry,
    repository: ref.repository,
    allowTags: `^${escapeRegex(tag)}$`,
    imageSelectionStrategy: 'Digest',
    constraint: tag,
    request: id,
  };
}

/** The audit line of `event` for `request`. */
export function auditLineFor(
  request: RequestFile,
  event: AuditLine['event'],
  timestamp: string,
  approver: readonly string[] | null,
): AuditLine {
  return {
    timestamp,
    event,
    requestId: request.id,
    requester: request.requestedBy,
    approver,
    image: request.reference,
    customName: request.name,
    justification: request.justification,
    team: request.team,
    environment: request.environment,
    approvalTier: request.tier,
    provisioningResult: null,
    repositoryId: null,
  };
}

/** Plan `request add` on `target`. */
export function planRequestAdd(input: AddRequestInput, target: TargetBranch, paths: RequestPaths): AddPlan {
  const ref = input.reference;
  const enrolled = target.enrolment.images.find((i) => i.registry === ref.registry && i.repository === ref.repository);
  if (enrolled !== undefined) return { kind: 'already-provided', name: enrolled.name, reference: ref.reference };
  const policy = target.enrolment.requests;
  if (policy === undefined) {
    throw refuse(`${paths.images} has no requests: policy (environments, teams, tiers): nothing to route a request to`);
  }
  if (ref.tag === null) throw refuse(`request a tag (${ref.registry}/${ref.repository}:TAG), not only a digest`);
  if (!policy.teams.includes(input.team)) {
    throw refuse(`--team "${input.team}" is not one of requests.teams in ${paths.images}: ${policy.teams.join(', ')}`);
  }
  if (!policy.environments.includes(input.environment)) {
    throw refuse(
      `--environment "${input.environment}" is not one of requests.environments in ${paths.images}: ${policy.environments.join(', ')}`,
    );
  }
  const kind = requestKind(target.state, ref.registry, ref.repository);
  const tier = tierFor(policy, { ...ref, team: input.team, environment: input.environment, kind });
  if (tier === null) {
    throw refuse(
      `no tier of requests.tiers in ${paths.images} matches team ${input.team}, environment ${input.environment}, kind ${kind}, ${ref.registry}/${ref.repository} (end the list with a tier without when)`,
    );
  }
  const justification = input.justification.trim();
  if (tier.justification.required && justification.length < tier.justification.minLength) {
    throw refuse(
      `tier ${tier.name} requires a justification of at least ${tier.justification.minLength} character(s) (--justification)`,
    );
  }
  const name = input.name ?? fitDnsLabel(toDnsLabelChars(ref.repository.split('/').pop() ?? ''), ref.reference);
  if (!new RegExp(DNS_LABEL).test(name)) {
    throw new FactoryError(
      'usage',
      `image-factory request add: --name "${name}" must be a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters`,
    );
  }
  const taken = target.enrolment.images.find((i) => i.name === name);
  if (taken !== undefined) {
    throw refuse(
      `the name ${name} is already enrolled for ${taken.registry}/${taken.repository} in ${paths.images}: give another with --name`,
    );
  }
  const id = requestId(ref.reference, input.team, input.environment, input.requestedAt);
  const request: RequestFile = {
    id,
    reference: ref.reference,
    name,
    team: input.team,
    environment: input.environment,
    justification,
    requestedBy: input.requestedBy,
    tier: tier.name,
    requestedAt: input.requestedAt,
    status: tier.autoApprove ? 'approved' : 'pending',
  };
  const imagesText = addImageEntry(target.imagesText, entryFor(name, ref, id, ref.tag), paths.images);
  // The new images.yaml must load: a refusal here names the field, and nothing is committed.
  loadEnrolment(imagesText, paths.images);
  const requestFile = posix.join(paths.requestsDir, tier.name, `${id}.yaml`);
  const files: FileChange[] = [
    { path: requestFile, content: renderRequestFile(request) },
    { path: paths.images, content: imagesText },
  ];
  if (tier.autoApprove) {
    files.push({
      path: posix.join(paths.requestsDir, 'audit.jsonl'),
      content: appendAudit(target.auditText, [
        auditLineFor(request, 'requested', input.requestedAt, null),
        auditLineFor(request, 'approved', input.requestedAt, ['auto']),
      ]),
    });
  }
  return { kind: 'request', request, tier, files, requestFile };
}
