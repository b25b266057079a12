/**
 * The audit log `image-factory/requests/audit.jsonl` (issue 23): one JSON object per line with the keys a compliance
 * audit asks for, always in the same order; read back with file:line errors; appended to, never rewritten; and the
 * rule `request check` applies to a pull request: the log only grows.
 */
import { describe, expect, it } from 'vitest';
import { type AuditLine, appendAudit, auditGrows, formatAuditLine, parseAuditLog } from '../src/requests/index.js';

const line = (event: AuditLine['event'], approver: string[] | null): AuditLine => ({
  // Keys deliberately out of order: the written order is the documented one, whatever the object's.
  repositoryId: null,
  provisioningResult: null,
  approvalTier: 'production',
  environment: 'production',
  team: 'data',
  justification: 'ETL "nightly"\njobs',
  customName: 'python',
  image: 'cgr.dev/acme/python:latest-dev',
  approver,
  requester: 'alice',
  requestId: 'req-0123456789ab',
  event,
  timestamp: '2026-12-01T08:30:00Z',
});

describe('the audit log', () => {
  it('writes one line per event, keys in the documented order, newlines in text escaped', () => {
    const text = formatAuditLine(line('approved', ['carol', 'erin']));
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1)).not.toContain('\n');
    expect(Object.keys(JSON.parse(text))).toEqual([
      'timestamp',
      'event',
      'requestId',
      'requester',
      'approver',
      'image',
      'customName',
      'justification',
      'team',
      'environment',
      'approvalTier',
      'provisioningResult',
      'repositoryId',
    ]);
  });

  it('appends: the old bytes unchanged, then the new lines; and reads them back', () => {
    const first = appendAudit('', [line('requested', null)]);
    const both = appendAudit(first, [line('approved', ['carol'])]);
    expect(both.startsWith(first)).toBe(true);
    expect(parseAuditLog(both, 'audit.jsonl').map((l) => l.event)).toEqual(['requested', 'approved']);
    expect(parseAuditLog('', 'audit.jsonl')).toEqual([]);
  });

  it('names the file and line of a line it cannot read', () => {
    const good = formatAuditLine(line('requested', null));
    expect(() => parseAuditLog(`${good}not json\n`, 'image-factory/requests/audit.jsonl')).toThrow(
      'image-factory/requests/audit.jsonl:2: is not a JSON object (one audit event per line)',
    );
    const wrong = good.replace('"requested"', '"merged"');
    expect(() => parseAuditLog(`${good}${wrong}`, 'audit.jsonl')).toThrow(/^audit\.jsonl:2: event /);
    expect(() => parseAuditLog(good.slice(0, -1), 'audit.jsonl')).toThrow(
      'audit.jsonl:1: the last line has no newline',
    );
  });

  it('a change only grows the log: appended lines pass; an edited, removed or partial line is named', () => {
    const a = formatAuditLine(line('requested', null));
    const b = formatAuditLine(line('approved', ['carol']));
    expect(auditGrows('', a)).toBeNull();
    expect(auditGrows(a, a + b)).toBeNull();
    expect(auditGrows(a + b, a)).toBe('line 2 was changed or removed: the audit log only grows');
    expect(auditGrows(a + b, a + b.replace('carol', 'mallory'))).toBe(
      'line 2 was changed or removed: the audit log only grows',
    );
    expect(auditGrows(a, a + b.slice(0, -1))).toBe('its last line has no newline');
  });
});
