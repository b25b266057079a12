/**
 * The rules of `request provision`, pure: which requests are due (on the target branch, status pending or approved,
 * no `provisioning:` yet), and — given what the forge said about their approval and what the provider did — the
 * request files and audit lines one commit writes on a given head. Planned again on every head a push race
 * brings: a request another run provisioned meanwhile is left alone, an event already in the log is not written
 * twice, so a second run (or a lost race) provisions and records nothing twice.
 */
import { compareCodeUnits } from '../util/compare.js';
import { auditLineFor } from './plan-add.js';
import type { AuditEvent, AuditLine, Provisioning, RequestFile } from './schema.js';

/** A request file as read from the repository (path repository-relative). */
export interface StoredRequest {
  readonly path: string;
  readonly file: RequestFile;
}

/** The approver recorded for a request its tier auto-approved. */
export const AUTO_APPROVER = 'auto';

/** Requests on the target branch that are approved and not provisioned yet, in path order. */
export function dueRequests(requests: readonly StoredRequest[]): StoredRequest[] {
  return requests
    .filter((r) => (r.file.status === 'pending' || r.file.status === 'approved') && r.file.provisioning === undefined)
    .sort((a, b) => compareCodeUnits(a.path, b.path));
}

/** The newest line of `event` for request `id`, if any. */
export function lastEvent(audit: readonly AuditLine[], id: string, event: AuditEvent): AuditLine | undefined {
  for (let i = audit.length - 1; i >= 0; i--) {
    const line = audit[i];
    if (line !== undefined && line.requestId === id && line.event === event) return line;
  }
  return undefined;
}

/** What the provider did for one request: a result to record, or nothing recorded (`deferred`) and why. */
export type ProviderResult =
  | {
      readonly kind: 'done';
      readonly provider: Provisioning['provider'];
      readonly status: Provisioning['status'];
      readonly pullString: string;
      readonly repositoryId: string | null;
      readonly message: string | null;
    }
  | {
      readonly kind: 'deferred';
      /** True: worth running again as is (exit 3); false: the configuration must change first (exit 1). */
      readonly transient: boolean;
      readonly message: string;
    };

/** One due request with what this run learnt about it. */
export interface Decision {
  readonly id: string;
  /**
   * The approval this run read of the forge (the log has no `approved` line yet): the approvers who count for the
   * tier, or null when the request reached the branch without a pull request (then nobody is known to have approved
   * it). Null: nothing read (the line is there, or the forge could not be asked).
   */
  readonly approval: { readonly approvers: readonly string[] | null } | null;
  readonly result: ProviderResult;
}

/** The changes of one attempt: the files to write and the audit lines to append, in order. */
export interface ProvisionChange {
  readonly files: readonly { readonly path: string; readonly file: RequestFile }[];
  readonly lines: readonly AuditLine[];
  /** The ids whose result this attempt records (a request provisioned on this head by another run is not one). */
  readonly recorded: readonly string[];
  /** The ids this attempt records as rejected. */
  readonly rejected: readonly string[];
}

/**
 * The `requested` line of a request the log lacks it for, at the time it was requested: `request add` writes it
 * only for an auto-approved request (on the target branch); a request proposed by pull request gets it when its
 * outcome is recorded — every pull request appending to the log would make each merge conflict with the last.
 */
function requestedLine(audit: readonly AuditLine[], file: RequestFile): AuditLine[] {
  return lastEvent(audit, file.id, 'requested') === undefined
    ? [auditLineFor(file, 'requested', file.requestedAt, null)]
    : [];
}

/** `provisioningResult` of an audit line: the status, and for a failure the provider's words. */
export function provisioningResultOf(status: Provisioning['status'], message: string | null): string {
  return status === 'failed' && message !== null ? `failed: ${message}` : status;
}

/**
 * The request files and audit lines this run writes on a head holding `requests` and `audit`: for each decision
 * whose request is still due there, an `approved` line when this run read the approvers (after the `requested` line
 * if the log lacks it), then the provider's result in the file (`provisioning:`, status provisioned or failed) and
 * a `provisioned` or `failed` line; a deferred result only moves a pending request to approved (with its lines). Then a `rejected` line for
 * each request whose pull request was closed unmerged (`rejections`, read from its branch), unless the head has its
 * file (it was merged after all) or the line already.
 */
export function planProvision(
  requests: readonly StoredRequest[],
  audit: readonly AuditLine[],
  decisions: readonly Decision[],
  now: string,
  rejections: readonly RequestFile[] = [],
): ProvisionChange {
  const due = new Map(dueRequests(requests).map((r) => [r.file.id, r]));
  const files: { path: string; file: RequestFile }[] = [];
  const lines: AuditLine[] = [];
  const recorded: string[] = [];
  for (const decision of decisions) {
    const stored = due.get(decision.id);
    if (stored === undefined) continue;
    const { file } = stored;
    const approvedLine = lastEvent(audit, file.id, 'approved');
    let approvers = approvedLine?.approver ?? null;
    let approved = approvedLine !== undefined;
    if (!approved && decision.approval !== null) {
      approvers = decision.approval.approvers;
      approved = true;
      lines.push(...requestedLine(audit, file), auditLineFor(file, 'approved', now, approvers));
    }
    const { result } = decision;
    if (result.kind === 'deferred') {
      if (file.status === 'pending' && approved)
        files.push({ path: stored.path, file: { ...file, status: 'approved' } });
      continue;
    }
    const provisioning: Provisioning = {
      provider: result.provider,
      status: result.status,
      pullString: result.pullString,
      repositoryId: result.repositoryId,
      at: now,
      message: result.message,
    };
    files.push({
      path: stored.path,
      file: { ...file, status: result.status === 'failed' ? 'failed' : 'provisioned', provisioning },
    });
    lines.push({
      ...auditLineFor(file, result.status === 'failed' ? 'failed' : 'provisioned', now, approvers),
      provisioningResult: provisioningResultOf(result.status, result.message),
      repositoryId: result.repositoryId,
    });
    recorded.push(file.id);
  }
  const onBranch = new Set(requests.map((r) => r.file.id));
  const rejected: string[] = [];
  for (const file of rejections) {
    if (onBranch.has(file.id) || lastEvent(audit, file.id, 'rejected') !== undefined) continue;
    lines.push(...requestedLine(audit, file), auditLineFor(file, 'rejected', now, null));
    rejected.push(file.id);
  }
  return { files, lines, recorded, rejected };
}
