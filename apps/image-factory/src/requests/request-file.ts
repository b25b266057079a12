/**
 * A request file `image-factory/requests/<tier>/<id>.yaml`: written with its keys in one order (the same request is
 * the same bytes on every machine), read back through its schema with file:line:column errors.
 */
import { Value } from '@sinclair/typebox/value';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { fieldPath, positionOf } from '../enrolment/yaml-position.js';
import { FactoryError } from '../errors.js';
import { type RequestFile, RequestFileSchema } from './schema.js';

const HEADER = '# An image request (image-factory request add). Reviewed in its pull request; see docs/requests.md.\n';
const KEYS = [
  'id',
  'reference',
  'name',
  'team',
  'environment',
  'justification',
  'requestedBy',
  'tier',
  'requestedAt',
  'status',
  'provisioning',
] as const satisfies readonly (keyof RequestFile)[];
const PROVISIONING_KEYS = ['provider', 'status', 'pullString', 'repositoryId', 'at', 'message'] as const;

/** The file's text. */
export function renderRequestFile(request: RequestFile): string {
  const ordered: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = request[key];
    if (value === undefined) continue;
    if (key === 'provisioning' && request.provisioning !== undefined) {
      const p: Record<string, unknown> = {};
      for (const k of PROVISIONING_KEYS) p[k] = request.provisioning[k];
      ordered[key] = p;
    } else ordered[key] = value;
  }
  return HEADER + stringify(ordered, { lineWidth: 0 });
}

/** The request in `text`, or a FactoryError (`invalid-state`) naming `file:line:column` and the field. */
export function parseRequestFile(text: string, file: string): RequestFile {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const { line, col } = counter.linePos(syntax.pos[0]);
    throw new FactoryError('invalid-state', `${file}:${line}:${col}: not valid YAML: ${syntax.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS();
  if (Value.Check(RequestFileSchema, data)) return data;
  const first = [...Value.Errors(RequestFileSchema, data)][0];
  const path = (first?.path ?? '')
    .split('/')
    .filter((part) => part !== '')
    .map((part) => (/^[0-9]+$/.test(part) ? Number(part) : part));
  const { line, column } = positionOf(doc, counter, path);
  throw new FactoryError(
    'invalid-state',
    `${file}:${line}:${column}: ${fieldPath(path)} ${first?.message.toLowerCase() ?? 'is invalid'}`,
  );
}
