/**
 * The audit log `image-factory/requests/audit.jsonl`: one JSON object per line, keys always in the order of
 * AUDIT_KEYS (so the same event is the same bytes on every machine), appended to and never rewritten: a new version
 * of the log is the old bytes followed by new lines, and `auditGrows` is how a pull request is checked for that.
 */
import { Value } from '@sinclair/typebox/value';
import { FactoryError } from '../errors.js';
import { AUDIT_KEYS, type AuditLine, AuditLineSchema } from './schema.js';

/** One line of the log, with its newline. */
export function formatAuditLine(line: AuditLine): string {
  const ordered: Record<string, unknown> = {};
  for (const key of AUDIT_KEYS) ordered[key] = line[key];
  return `${JSON.stringify(ordered)}\n`;
}

/** The lines of a log, checked; an unreadable line throws naming `file:line` and what is wrong. Blank lines are refused. */
export function parseAuditLog(text: string, file: string): AuditLine[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) {
    const last = text.split('\n').length;
    throw new FactoryError(
      'invalid-state',
      `${file}:${last}: the last line has no newline (the log only grows by whole lines)`,
    );
  }
  const lines: AuditLine[] = [];
  text
    .slice(0, -1)
    .split('\n')
    .forEach((raw, index) => {
      const at = `${file}:${index + 1}`;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new FactoryError('invalid-state', `${at}: is not a JSON object (one audit event per line)`);
      }
      if (!Value.Check(AuditLineSchema, value)) {
        const first = [...Value.Errors(AuditLineSchema, value)][0];
        const field = first === undefined ? '' : first.path.replace(/^\//, '').replace(/\//g, '.');
        throw new FactoryError(
          'invalid-state',
          `${at}: ${field === '' ? 'the line' : field} ${first?.message.toLowerCase() ?? 'is invalid'} (an audit line has ${AUDIT_KEYS.join(', ')})`,
        );
      }
      lines.push(value);
    });
  return lines;
}

/** The log with `lines` appended: the old bytes unchanged, then one line per event. */
export function appendAudit(old: string, lines: readonly AuditLine[]): string {
  if (old !== '' && !old.endsWith('\n')) {
    throw new FactoryError(
      'invalid-state',
      'the audit log does not end with a newline: it was not written by image-factory',
    );
  }
  return old + lines.map(formatAuditLine).join('');
}

/**
 * Does `after` only add lines to `before`? null when it does, else what changed (a line edited or removed, a
 * partial line).
 */
export function auditGrows(before: string, after: string): string | null {
  if (!after.startsWith(before)) {
    const old = before.split('\n');
    const now = after.split('\n');
    const line = old.findIndex((text, index) => now[index] !== text) + 1;
    return `line ${line} was changed or removed: the audit log only grows`;
  }
  if (after !== '' && !after.endsWith('\n')) return 'its last line has no newline';
  return null;
}
