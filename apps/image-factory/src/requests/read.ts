/**
 * The read side of image requests, pure: the requests of a repository as rows (`request list`), one request with
 * its history (`request status`), the audit log from an instant on (`request audit`). A request's file on the
 * target branch is the truth about it; a request known only from the audit log (rejected before it ever reached the
 * branch) is described by its newest line.
 */
import { compareCodeUnits } from '../util/compare.js';
import { compareInstants } from '../util/time.js';
import type { StoredRequest } from './provision.js';
import { type AuditEvent, type AuditLine, type RequestFile, type RequestStatus, requestBranch } from './schema.js';

/** One request as `request list` and `request status` show it. */
export interface RequestRow {
  readonly id: string;
  readonly status: RequestStatus;
  readonly reference: string;
  readonly name: string;
  readonly team: string;
  readonly environment: string;
  readonly tier: string;
  readonly requestedBy: string;
  /** The request file's `requestedAt`; for a request known only from the log, its first line's timestamp. */
  readonly requestedAt: string;
  readonly justification: string;
  /** From `provisioning:`; null before provisioning. */
  readonly pullString: string | null;
  readonly repositoryId: string | null;
  readonly provisionedAt: string | null;
  /** The request file on the target branch (repository-relative); null for a request not there. */
  readonly file: string | null;
  /** The branch proposing it, for a request only on its branch (its pull request open); else null. */
  readonly branch: string | null;
}

/** The status a request known only from the log has after its newest event. */
const STATUS_AFTER: Readonly<Record<AuditEvent, RequestStatus>> = {
  requested: 'pending',
  approved: 'approved',
  rejected: 'rejected',
  provisioned: 'provisioned',
  failed: 'failed',
};

function fromFile({ path, file }: StoredRequest): RequestRow {
  return {
    id: file.id,
    status: file.status,
    reference: file.reference,
    name: file.name,
    team: file.team,
    environment: file.environment,
    tier: file.tier,
    requestedBy: file.requestedBy,
    requestedAt: file.requestedAt,
    justification: file.justification,
    pullString: file.provisioning?.pullString ?? null,
    repositoryId: file.provisioning?.repositoryId ?? null,
    provisionedAt: file.provisioning?.at ?? null,
    file: path,
    branch: null,
  };
}

function fromLog(lines: readonly AuditLine[]): RequestRow | undefined {
  const first = lines[0];
  const last = lines.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const done = [...lines].reverse().find((l) => l.event === 'provisioned');
  return {
    id: last.requestId,
    status: STATUS_AFTER[last.event],
    reference: last.image,
    name: last.customName,
    team: last.team,
    environment: last.environment,
    tier: last.approvalTier,
    requestedBy: last.requester,
    requestedAt: (lines.find((l) => l.event === 'requested') ?? first).timestamp,
    justification: last.justification,
    pullString: null,
    repositoryId: done?.repositoryId ?? null,
    provisionedAt: done?.timestamp ?? null,
    file: null,
    branch: null,
  };
}

/**
 * Every request, oldest request first (then by id): the files on the target branch, those the log alone knows, and
 * those only proposed on their branch (`proposed`: pending, neither merged nor recorded rejected).
 */
export function requestRows(
  requests: readonly StoredRequest[],
  audit: readonly AuditLine[],
  proposed: readonly RequestFile[] = [],
): RequestRow[] {
  const rows = requests.map(fromFile);
  const onFile = new Set(rows.map((r) => r.id));
  const byId = new Map<string, AuditLine[]>();
  for (const line of audit) {
    if (onFile.has(line.requestId)) continue;
    const list = byId.get(line.requestId) ?? [];
    list.push(line);
    byId.set(line.requestId, list);
  }
  for (const lines of byId.values()) {
    const row = fromLog(lines);
    if (row !== undefined) rows.push(row);
  }
  const known = new Set(rows.map((r) => r.id));
  for (const file of proposed) {
    if (!known.has(file.id)) rows.push({ ...fromFile({ path: '', file }), file: null, branch: requestBranch(file.id) });
  }
  return rows.sort((a, b) => compareInstants(a.requestedAt, b.requestedAt) || compareCodeUnits(a.id, b.id));
}

/** `request list --status S --team T`: every filter given must hold. */
export function filterRows(
  rows: readonly RequestRow[],
  filter: { readonly status?: RequestStatus; readonly team?: string },
): RequestRow[] {
  return rows.filter(
    (r) =>
      (filter.status === undefined || r.status === filter.status) &&
      (filter.team === undefined || r.team === filter.team),
  );
}

/** `request status <id>`: the request and its audit lines in log order; undefined when neither knows it. */
export function requestHistory(
  id: string,
  rows: readonly RequestRow[],
  audit: readonly AuditLine[],
): { readonly request: RequestRow; readonly events: readonly AuditLine[] } | undefined {
  const request = rows.find((r) => r.id === id);
  if (request === undefined) return undefined;
  return { request, events: audit.filter((l) => l.requestId === id) };
}

/** `request audit --since T`: the lines at or after `since` (all when undefined), in log order. */
export function auditSince(audit: readonly AuditLine[], since: string | undefined): AuditLine[] {
  return since === undefined ? [...audit] : audit.filter((l) => compareInstants(l.timestamp, since) >= 0);
}
