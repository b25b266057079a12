/**
 * The pure rules of `request provision` (requests/provision.ts), from issue 23 items 4–5: which requests are due (on
 * the target branch, pending or approved, no provisioning), and what one commit records on a given head — planned
 * again on every head a push race brings, so nothing is recorded twice: an `approved` line only when the log has
 * none, a result only for a request still due there, a `rejected` line only once and never for a merged request.
 */
import { describe, expect, test } from 'vitest';
import {
  type Decision,
  dueRequests,
  planProvision,
  provisioningResultOf,
  type StoredRequest,
} from '../src/requests/provision.js';
import type { AuditLine, RequestFile } from '../src/requests/schema.js';

const NOW = '2026-12-04T10:00:00Z';

function stored(name: string, overrides: Partial<RequestFile> = {}): StoredRequest {
  const file: RequestFile = {
    id: `req-${name.padEnd(12, '0').slice(0, 12)}`,
    reference: `cgr.dev/acme/${name}:latest`,
    name,
    team: 'data',
    environment: 'production',
    justification: 'needed',
    requestedBy: 'bob',
    tier: 'production',
    requestedAt: '2026-12-01T09:00:00Z',
    status: 'pending',
    ...overrides,
  };
  return { path: `image-factory/requests/${file.tier}/${file.id}.yaml`, file };
}

const done = (status: 'provisioned' | 'already-provided' | 'failed' = 'provisioned', message: string | null = null) =>
  ({
    kind: 'done',
    provider: 'chainguard',
    status,
    pullString: 'cgr.dev/acme/x:latest',
    repositoryId: status === 'failed' ? null : 'org/0123456789abcdef',
    message,
  }) as const;

describe('due requests', () => {
  test('pending and approved without provisioning, in path order; provisioned, failed and rejected are not', () => {
    const a = stored('aaa', { status: 'approved' });
    const b = stored('bbb');
    const provisioned = stored('ccc', {
      status: 'approved',
      provisioning: {
        provider: 'none',
        status: 'provisioned',
        pullString: 'x',
        repositoryId: null,
        at: NOW,
        message: null,
      },
    });
    const failed = stored('ddd', { status: 'failed' });
    const rejected = stored('eee', { status: 'rejected' });
    expect(dueRequests([b, provisioned, failed, rejected, a]).map((r) => r.file.id)).toEqual([a.file.id, b.file.id]);
  });
});

describe('the change one commit records', () => {
  test('approval read and provisioned: requested (at its time, the log lacking it), approved, then the file with provisioning and the provisioned line', () => {
    const r = stored('python');
    const change = planProvision([r], [], [{ id: r.file.id, approval: { approvers: ['alice'] }, result: done() }], NOW);
    expect(change.lines.map((l) => [l.timestamp, l.event, l.approver, l.provisioningResult, l.repositoryId])).toEqual([
      ['2026-12-01T09:00:00Z', 'requested', null, null, null],
      [NOW, 'approved', ['alice'], null, null],
      [NOW, 'provisioned', ['alice'], 'provisioned', 'org/0123456789abcdef'],
    ]);
    expect(change.files).toEqual([
      {
        path: r.path,
        file: {
          ...r.file,
          status: 'provisioned',
          provisioning: {
            provider: 'chainguard',
            status: 'provisioned',
            pullString: 'cgr.dev/acme/x:latest',
            repositoryId: 'org/0123456789abcdef',
            at: NOW,
            message: null,
          },
        },
      },
    ]);
    expect(change.recorded).toEqual([r.file.id]);
    // The log has its requested line already (an auto-approved request, or an earlier run): not written again.
    const again = planProvision(
      [r],
      change.lines.slice(0, 1),
      [{ id: r.file.id, approval: { approvers: ['alice'] }, result: done() }],
      NOW,
    );
    expect(again.lines.map((l) => l.event)).toEqual(['approved', 'provisioned']);
  });

  test('a request without a pull request is approved by nobody known (approver null), not skipped', () => {
    const r = stored('python');
    const change = planProvision([r], [], [{ id: r.file.id, approval: { approvers: null }, result: done() }], NOW);
    expect(change.lines.map((l) => [l.event, l.approver])).toEqual([
      ['requested', null],
      ['approved', null],
      ['provisioned', null],
    ]);
  });

  test('the log has the approval already: no second approved line; its approvers go on the result line', () => {
    const r = stored('python', { status: 'approved' });
    const approved: AuditLine = {
      timestamp: '2026-12-01T09:00:00Z',
      event: 'approved',
      requestId: r.file.id,
      requester: 'bob',
      approver: ['auto'],
      image: r.file.reference,
      customName: r.file.name,
      justification: r.file.justification,
      team: r.file.team,
      environment: r.file.environment,
      approvalTier: r.file.tier,
      provisioningResult: null,
      repositoryId: null,
    };
    const change = planProvision(
      [r],
      [approved],
      [{ id: r.file.id, approval: { approvers: ['someone'] }, result: done('already-provided') }],
      NOW,
    );
    expect(change.lines.map((l) => [l.event, l.approver, l.provisioningResult])).toEqual([
      ['provisioned', ['auto'], 'already-provided'],
    ]);
    expect(change.files[0]?.file.status).toBe('provisioned');
  });

  test("a failure: status failed, the provider's words after failed: in the line", () => {
    const r = stored('python');
    const decision: Decision = {
      id: r.file.id,
      approval: { approvers: ['alice'] },
      result: done('failed', "the organisation's entitlement limit is reached"),
    };
    const change = planProvision([r], [], [decision], NOW);
    expect(change.files[0]?.file.status).toBe('failed');
    expect(change.lines.at(-1)).toMatchObject({
      event: 'failed',
      provisioningResult: "failed: the organisation's entitlement limit is reached",
      repositoryId: null,
    });
    expect(provisioningResultOf('already-provided', null)).toBe('already-provided');
  });

  test('a deferred result records only the approval: a pending request becomes approved, nothing else', () => {
    const r = stored('python');
    const deferred: Decision = {
      id: r.file.id,
      approval: { approvers: ['alice'] },
      result: { kind: 'deferred', transient: true, message: 'HTTP 503' },
    };
    const change = planProvision([r], [], [deferred], NOW);
    expect(change.files).toEqual([{ path: r.path, file: { ...r.file, status: 'approved' } }]);
    expect(change.lines.map((l) => l.event)).toEqual(['requested', 'approved']);
    expect(change.recorded).toEqual([]);
    // Without an approval read (the forge could not be asked) nothing at all.
    expect(planProvision([r], [], [{ ...deferred, approval: null }], NOW)).toEqual({
      files: [],
      lines: [],
      recorded: [],
      rejected: [],
    });
  });

  test('on a head where another run provisioned the request: nothing recorded for it', () => {
    const r = stored('python');
    const there = stored('python', {
      status: 'provisioned',
      provisioning: {
        provider: 'none',
        status: 'provisioned',
        pullString: 'x',
        repositoryId: null,
        at: NOW,
        message: null,
      },
    });
    const change = planProvision([there], [], [{ id: r.file.id, approval: { approvers: ['a'] }, result: done() }], NOW);
    expect(change).toEqual({ files: [], lines: [], recorded: [], rejected: [] });
  });

  test('rejected: requested (when the log lacks it) and rejected with no approver; not when the log has it or the head has the file', () => {
    const closed = stored('go').file;
    const change = planProvision([], [], [], NOW, [closed]);
    expect(change.lines.map((l) => [l.timestamp, l.event])).toEqual([
      ['2026-12-01T09:00:00Z', 'requested'],
      [NOW, 'rejected'],
    ]);
    expect(change.lines[1]).toEqual({
      timestamp: NOW,
      event: 'rejected',
      requestId: closed.id,
      requester: 'bob',
      approver: null,
      image: closed.reference,
      customName: 'go',
      justification: 'needed',
      team: 'data',
      environment: 'production',
      approvalTier: 'production',
      provisioningResult: null,
      repositoryId: null,
    });
    expect(change.rejected).toEqual([closed.id]);
    expect(planProvision([], change.lines, [], NOW, [closed]).lines).toEqual([]);
    expect(planProvision([stored('go')], [], [], NOW, [closed]).lines).toEqual([]);
  });
});
