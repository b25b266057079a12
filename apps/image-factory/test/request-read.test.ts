/**
 * `request list [--status S] [--team T]`, `request status <id>` and `request audit [--since T]` (issue 23 item 5):
 * they read the request files and the audit log of a GitOps checkout (`--root`) or of a clone of `--git-repo`,
 * with `--json`. A request known only from the log (its pull request closed unmerged, so its file never reached the
 * branch) is listed with the status of its newest event.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { appendAudit } from '../src/requests/audit.js';
import { requestId } from '../src/requests/id.js';
import { renderRequestFile } from '../src/requests/request-file.js';
import {
  AUDIT_FILE,
  type AuditLine,
  type RequestFile,
  requestBranch,
  requestFilePath,
} from '../src/requests/schema.js';
import { cli } from './helpers.js';
import { commitFiles, createRemote, tempDir } from './support/git-repos.js';

function request(name: string, team: string, requestedAt: string, overrides: Partial<RequestFile> = {}): RequestFile {
  const reference = `cgr.dev/acme/${name}:latest`;
  return {
    id: requestId(reference, team, 'production', requestedAt),
    reference,
    name,
    team,
    environment: 'production',
    justification: `${name} please`,
    requestedBy: 'bob',
    tier: 'production',
    requestedAt,
    status: 'pending',
    ...overrides,
  };
}

function line(
  file: RequestFile,
  event: AuditLine['event'],
  timestamp: string,
  extra: Partial<AuditLine> = {},
): AuditLine {
  return {
    timestamp,
    event,
    requestId: file.id,
    requester: file.requestedBy,
    approver: null,
    image: file.reference,
    customName: file.name,
    justification: file.justification,
    team: file.team,
    environment: file.environment,
    approvalTier: file.tier,
    provisioningResult: null,
    repositoryId: null,
    ...extra,
  };
}

const python = request('python', 'data', '2026-12-01T09:00:00Z', {
  status: 'provisioned',
  provisioning: {
    provider: 'chainguard',
    status: 'provisioned',
    pullString: 'cgr.dev/acme/python:latest',
    repositoryId: `${'a'.repeat(40)}/0123456789abcdef`,
    at: '2026-12-02T10:00:00Z',
    message: null,
  },
});
const node = request('node', 'web', '2026-12-03T09:00:00Z', { status: 'approved' });
/** Rejected: its file is only on its branch; the target branch knows it from the `rejected` line. */
const go = request('go', 'data', '2026-12-02T09:00:00Z');

const AUDIT: AuditLine[] = [
  line(python, 'requested', '2026-12-01T09:00:00Z'),
  line(python, 'approved', '2026-12-01T12:00:00Z', { approver: ['alice'] }),
  line(python, 'provisioned', '2026-12-02T10:00:00Z', {
    approver: ['alice'],
    provisioningResult: 'provisioned',
    repositoryId: `${'a'.repeat(40)}/0123456789abcdef`,
  }),
  line(go, 'rejected', '2026-12-02T15:00:00Z'),
  line(node, 'requested', '2026-12-03T09:00:00Z'),
  line(node, 'approved', '2026-12-03T09:00:00Z', { approver: ['auto'] }),
];

const FILES: Record<string, string> = {
  'images.yaml': 'images: []\n',
  [AUDIT_FILE]: appendAudit('', AUDIT),
  [requestFilePath(python.tier, python.id)]: renderRequestFile(python),
  [requestFilePath(node.tier, node.id)]: renderRequestFile(node),
};

/** A checkout holding FILES. */
function checkout(): string {
  const root = tempDir('if-requests-');
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

describe('request list', () => {
  test('every request, oldest first: the files, and the rejected one the log alone knows', async () => {
    const out = await cli(['request', 'list', '--root', checkout(), '--json']);
    expect(out.status).toBe(0);
    const rows = json<{ id: string; status: string; file: string | null }[]>(out.stdout);
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      [python.id, 'provisioned'],
      [go.id, 'rejected'],
      [node.id, 'approved'],
    ]);
    expect(rows[0]).toEqual({
      id: python.id,
      status: 'provisioned',
      reference: python.reference,
      name: 'python',
      team: 'data',
      environment: 'production',
      tier: 'production',
      requestedBy: 'bob',
      requestedAt: '2026-12-01T09:00:00Z',
      justification: 'python please',
      pullString: 'cgr.dev/acme/python:latest',
      repositoryId: `${'a'.repeat(40)}/0123456789abcdef`,
      provisionedAt: '2026-12-02T10:00:00Z',
      file: requestFilePath('production', python.id),
      branch: null,
    });
    expect(rows[1]?.file).toBeNull();
  });

  test('--status and --team filter; both must hold', async () => {
    const root = checkout();
    const byStatus = await cli(['request', 'list', '--root', root, '--status', 'rejected', '--json']);
    expect(json<{ id: string }[]>(byStatus.stdout).map((r) => r.id)).toEqual([go.id]);
    const byTeam = await cli(['request', 'list', '--root', root, '--team', 'data', '--json']);
    expect(json<{ id: string }[]>(byTeam.stdout).map((r) => r.id)).toEqual([python.id, go.id]);
    const both = await cli(['request', 'list', '--root', root, '--team', 'web', '--status', 'provisioned', '--json']);
    expect(json<unknown[]>(both.stdout)).toEqual([]);
  });

  test('the text table names id, status, tier, team, environment, name, reference and time', async () => {
    const out = await cli(['request', 'list', '--root', checkout(), '--team', 'web']);
    expect(out.stdout.split('\n')[0]?.trim().split(/\s+/)).toEqual([
      'ID',
      'STATUS',
      'TIER',
      'TEAM',
      'ENVIRONMENT',
      'NAME',
      'REFERENCE',
      'REQUESTED',
    ]);
    expect(out.stdout).toContain(`${node.id}  approved`);
  });

  test('an unknown --status is a usage error (exit 2) naming the statuses', async () => {
    const out = await cli(['request', 'list', '--root', checkout(), '--status', 'done']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('--status must be one of pending, approved, provisioned, failed, rejected');
  });

  test('from a clone of --git-repo, the same rows, and the requests only proposed on their branch (pending)', async () => {
    const remote = createRemote(FILES);
    // ruby is proposed on its branch, its pull request open: the target branch knows nothing of it yet.
    const ruby = request('ruby', 'web', '2026-12-04T08:00:00Z');
    execFileSync('git', ['branch', requestBranch(ruby.id), 'main'], { cwd: remote });
    commitFiles(
      remote,
      { [requestFilePath(ruby.tier, ruby.id)]: renderRequestFile(ruby) },
      'propose',
      requestBranch(ruby.id),
    );
    const out = await cli(['request', 'list', '--git-repo', remote, '--json']);
    expect(out.status, out.stderr).toBe(0);
    const rows = json<{ id: string; status: string; file: string | null; branch: string | null }[]>(out.stdout);
    expect(rows.map((r) => r.id)).toEqual([python.id, go.id, node.id, ruby.id]);
    expect(rows[3]).toMatchObject({ status: 'pending', file: null, branch: requestBranch(ruby.id) });
    const status = await cli(['request', 'status', ruby.id, '--git-repo', remote]);
    expect(status.stdout).toContain(`(proposed on ${requestBranch(ruby.id)})`);
  });
});

describe('request status', () => {
  test('the request and its events in log order', async () => {
    const out = await cli(['request', 'status', python.id, '--root', checkout(), '--json']);
    expect(out.status).toBe(0);
    const shown = json<{ request: { id: string; status: string }; events: AuditLine[] }>(out.stdout);
    expect(shown.request).toMatchObject({ id: python.id, status: 'provisioned' });
    expect(shown.events).toEqual(AUDIT.slice(0, 3));
  });

  test('text: the fields, then the events with approver, result and repository', async () => {
    const out = await cli(['request', 'status', python.id, '--root', checkout()]);
    expect(out.stdout).toMatch(/^pull string: +cgr\.dev\/acme\/python:latest$/m);
    expect(out.stdout).toContain('approver alice result provisioned repository');
  });

  test('an id nobody knows exits 1; no id is a usage error', async () => {
    const root = checkout();
    const unknown = await cli(['request', 'status', 'req-000000000000', '--root', root]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no request req-000000000000');
    const none = await cli(['request', 'status', '--root', root]);
    expect(none.status).toBe(2);
  });
});

describe('request audit', () => {
  test('--since keeps the events at or after the instant, in log order; --json gives the lines as written', async () => {
    const out = await cli(['request', 'audit', '--root', checkout(), '--since', '2026-12-02T10:00:00Z', '--json']);
    expect(out.status).toBe(0);
    expect(json<AuditLine[]>(out.stdout)).toEqual(AUDIT.slice(2));
  });

  test('--since reads RFC 3339 with an offset as the instant it is', async () => {
    const out = await cli(['request', 'audit', '--root', checkout(), '--since', '2026-12-02T16:00:00+01:00', '--json']);
    expect(json<AuditLine[]>(out.stdout).map((l) => l.event)).toEqual(['rejected', 'requested', 'approved']);
  });

  test('text: one line per event; an unreadable --since is a usage error', async () => {
    const root = checkout();
    const out = await cli(['request', 'audit', '--root', root]);
    expect(out.stdout.trim().split('\n')).toHaveLength(AUDIT.length);
    expect(out.stdout).toContain(`2026-12-02T15:00:00Z rejected    ${go.id} cgr.dev/acme/go:latest (go)`);
    const bad = await cli(['request', 'audit', '--root', root, '--since', 'yesterday']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--since');
  });

  test('a malformed audit line is an error naming file:line (exit 1)', async () => {
    const root = checkout();
    writeFileSync(join(root, AUDIT_FILE), `${appendAudit('', AUDIT.slice(0, 1))}{"timestamp":"x"}\n`);
    const out = await cli(['request', 'audit', '--root', root]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`${AUDIT_FILE}:2:`);
  });
});
