/** `image-factory request list | status | audit`: the image requests and their audit log, read (issue 23). */
import { resolve } from 'node:path';
import { FactoryError, messageOf } from '../../errors.js';
import { withGitopsCheckout } from '../../jobs/state-job.js';
import {
  type AuditLine,
  auditSince,
  filterRows,
  proposedRequest,
  REQUEST_STATUSES,
  type RequestFile,
  type RequestRow,
  type RequestStatus,
  type RequestsSnapshot,
  readRequestsSnapshot,
  requestBranch,
  requestBranchIds,
  requestHistory,
  requestRows,
} from '../../requests/index.js';
import { formatInstant, parseTime } from '../../util/time.js';
import { formatTable } from '../format-table.js';
import { GIT_OPTIONS, stateJobOptions } from '../git-options.js';
import { type CommandIO, EXIT_INVALID, EXIT_OK, type OptionSpecs, type OptionValues, writeJson } from '../usage.js';

/** The options of the read subcommands (request.ts spreads them into the command's options). */
export const READ_OPTIONS = {
  status: {
    type: 'string',
    value: 'STATUS',
    help: `request list: only requests with this status (${REQUEST_STATUSES.join(', ')})`,
  },
  team: { type: 'string', value: 'TEAM', help: 'request list: only requests of this team' },
  since: { type: 'string', value: 'RFC3339', help: 'request audit: only events at or after this instant' },
  root: {
    type: 'string',
    value: 'DIR',
    help: 'read a GitOps checkout instead of cloning --git-repo (default: --git-repo when given, else .)',
  },
  ...GIT_OPTIONS,
} as const satisfies OptionSpecs;

export type ReadValues = OptionValues<typeof READ_OPTIONS>;

const isStatus = (text: string): text is RequestStatus => (REQUEST_STATUSES as readonly string[]).includes(text);

/** What the read commands read: the target branch's requests and log, and (from a clone) the proposed ones. */
interface Read extends RequestsSnapshot {
  readonly proposed: readonly RequestFile[];
}

/**
 * The requests and audit log of `--root` (a checkout) or of a shallow clone of `--git-repo`; from a clone also the
 * requests proposed on branches `image-factory/request/<id>` (pending) that the target branch does not know. A
 * branch that cannot be read is said on stderr and skipped.
 */
async function readRequests(command: string, values: ReadValues, io: CommandIO): Promise<Read> {
  if (values.root !== undefined && values['git-repo'] !== undefined)
    throw new FactoryError('usage', `image-factory ${command}: give --root or --git-repo, not both`);
  if (values['git-repo'] === undefined)
    return { ...(await readRequestsSnapshot(resolve(io.cwd, values.root ?? '.'))), proposed: [] };
  const job = await stateJobOptions(command, values, io, 'requests');
  return withGitopsCheckout(job, async ({ gitops, env }) => {
    const snapshot = await readRequestsSnapshot(gitops.dir);
    const known = new Set([...snapshot.requests.map((r) => r.file.id), ...snapshot.audit.map((l) => l.requestId)]);
    const clone = { dir: gitops.dir, url: gitops.url, env, timeoutMs: job.gitTimeoutMs };
    const proposed: RequestFile[] = [];
    for (const id of await requestBranchIds(clone)) {
      if (known.has(id)) continue;
      try {
        const file = await proposedRequest(clone, id);
        if (file !== null) proposed.push(file);
      } catch (error) {
        io.stderr(`image-factory ${command}: ${requestBranch(id)} skipped: ${messageOf(error)}\n`);
      }
    }
    return { ...snapshot, proposed };
  });
}

function listText(rows: readonly RequestRow[]): string {
  const table = formatTable(
    ['ID', 'STATUS', 'TIER', 'TEAM', 'ENVIRONMENT', 'NAME', 'REFERENCE', 'REQUESTED'],
    rows.map((r) => [r.id, r.status, r.tier, r.team, r.environment, r.name, r.reference, r.requestedAt]),
  );
  return `${table}\n`;
}

function eventText(line: AuditLine): string {
  const approver = line.approver === null ? '' : ` approver ${line.approver.join(', ') || '(none known)'}`;
  const result = line.provisioningResult === null ? '' : ` result ${line.provisioningResult}`;
  const repository = line.repositoryId === null ? '' : ` repository ${line.repositoryId}`;
  return `${line.timestamp} ${line.event.padEnd(11)} ${line.requestId} ${line.image} (${line.customName}) team ${line.team} environment ${line.environment} tier ${line.approvalTier} by ${line.requester}${approver}${result}${repository}`;
}

function statusText(request: RequestRow, events: readonly AuditLine[]): string {
  const fields: [string, string][] = [
    ['id', request.id],
    ['status', request.status],
    ['reference', request.reference],
    ['name', request.name],
    ['team', request.team],
    ['environment', request.environment],
    ['tier', request.tier],
    ['requested by', request.requestedBy],
    ['requested at', request.requestedAt],
    ['justification', request.justification],
    ['pull string', request.pullString ?? '-'],
    ['repository id', request.repositoryId ?? '-'],
    [
      'file',
      request.file ??
        (request.branch === null ? '- (known from the audit log only)' : `- (proposed on ${request.branch})`),
    ],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  const lines = fields.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`);
  lines.push('', 'events:', ...(events.length === 0 ? ['  (none)'] : events.map((e) => `  ${eventText(e)}`)));
  return `${lines.join('\n')}\n`;
}

/** Run `request list`, `request status <id>` or `request audit`; returns the exit code. */
export async function runRequestRead(
  sub: 'list' | 'status' | 'audit',
  values: ReadValues,
  positionals: readonly string[],
  io: CommandIO,
): Promise<number> {
  const command = `request ${sub}`;
  const refuse = (flag: string) => {
    throw new FactoryError('usage', `image-factory ${command}: takes no --${flag} (see --help)`);
  };
  if (sub !== 'list' && values.status !== undefined) refuse('status');
  if (sub !== 'list' && values.team !== undefined) refuse('team');
  if (sub !== 'audit' && values.since !== undefined) refuse('since');
  const expected = sub === 'status' ? 1 : 0;
  if (positionals.length !== expected) {
    throw new FactoryError(
      'usage',
      sub === 'status'
        ? `image-factory ${command}: one request id required (request status req-…)`
        : `image-factory ${command}: takes no arguments (see --help)`,
    );
  }
  const status = values.status;
  if (status !== undefined && !isStatus(status)) {
    throw new FactoryError(
      'usage',
      `image-factory ${command}: --status must be one of ${REQUEST_STATUSES.join(', ')}, not "${status}"`,
    );
  }
  let since: string | undefined;
  if (values.since !== undefined) {
    const parsed = parseTime(values.since);
    if (!parsed.ok) throw new FactoryError('usage', `image-factory ${command}: --since ${parsed.error}`);
    since = formatInstant(parsed.ms);
  }
  const { requests, audit, proposed } = await readRequests(command, values, io);
  if (sub === 'audit') {
    const lines = auditSince(audit, since);
    if (values.json) writeJson(io, lines);
    else io.stdout(lines.map((l) => `${eventText(l)}\n`).join(''));
    return EXIT_OK;
  }
  const rows = requestRows(requests, audit, proposed);
  if (sub === 'list') {
    const shown = filterRows(rows, {
      ...(status === undefined ? {} : { status }),
      ...(values.team === undefined ? {} : { team: values.team }),
    });
    if (values.json) writeJson(io, shown);
    else io.stdout(listText(shown));
    return EXIT_OK;
  }
  const id = positionals[0] ?? '';
  const history = requestHistory(id, rows, audit);
  if (history === undefined) {
    io.stderr(`image-factory ${command}: no request ${id} in the request files or the audit log\n`);
    return EXIT_INVALID;
  }
  if (values.json) writeJson(io, history);
  else io.stdout(statusText(history.request, history.events));
  return EXIT_OK;
}
