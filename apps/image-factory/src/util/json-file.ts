/**
 * Reading a JSON input the user names (a Trivy report, a pod list, a Docker config.json, the release cache): read,
 * bounded, parsed, and every failure a FactoryError in one message form naming the file and what it should be.
 * What the parsed value must look like is the caller's schema's business.
 */
import { open } from 'node:fs/promises';
import { FactoryError, messageOf } from '../errors.js';

/**
 * The default bound: a little under the longest string V8 can hold (2^29 − 24 characters), so a larger file is
 * refused by name instead of failing inside JSON.parse with "Invalid string length".
 */
export const MAX_JSON_FILE_BYTES = 500 * 1024 * 1024;

/** Options of {@link readJsonFile}. */
export interface ReadJsonOptions {
  /** How messages name the file. @default the path */
  readonly label?: string;
  /** Largest file read, in bytes; a larger one is an `io` error. @default MAX_JSON_FILE_BYTES */
  readonly maxBytes?: number;
  /** An absent file reads as `undefined` instead of failing. @default false */
  readonly absentIsUndefined?: boolean;
  /** Said after the not-JSON message, e.g. "delete it to start afresh". */
  readonly advice?: string;
}

const isAbsent = (error: unknown): boolean => error instanceof Error && 'code' in error && error.code === 'ENOENT';

const MIB = 1024 * 1024;
/** A bound as people say it: 4 MiB, 1.5 MiB, 2048 bytes. */
const sizeText = (bytes: number): string =>
  bytes < MIB ? `${bytes} bytes` : `${Math.round((bytes / MIB) * 10) / 10} MiB`;

/**
 * Why JSON.parse refused a text, without the text: V8 quotes the input around an unexpected token
 * (`Unexpected token 'b', ..."Jk", "x": bad}" is not valid JSON`), and the input may be a config.json holding
 * credentials. The position it names is kept.
 */
function parseFailure(error: unknown): string {
  const message = messageOf(error);
  return /^Unexpected token/.test(message) ? 'an unexpected character' : message.replace(/, (\.\.\.)?".*$/s, '');
}

/**
 * `text` parsed as JSON; otherwise a FactoryError `invalid-config`: "<label>: not <what>: not JSON (<reason>)",
 * the reason never quoting the text. For JSON that did not come from a file (stdin).
 */
export function parseJsonText(text: string, label: string, what: string, advice?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FactoryError(
      'invalid-config',
      `${label}: not ${what}: not JSON (${parseFailure(error)})${advice === undefined ? '' : ` (${advice})`}`,
    );
  }
}

/**
 * The JSON value in the file at `path` (`what` it should be: "a Trivy JSON report (SchemaVersion 2)"), the one bounded
 * reader of every JSON file a user names. A file that cannot be read or is larger than the bound is an `io` error
 * (exit 2): "<label>: cannot read: <reason>", "<label>: larger than N MiB"; one that is not UTF-8 JSON an
 * `invalid-config` error (exit 1): "<label>: not <what>: not JSON (<reason>)" (see {@link parseJsonText}).
 */
export async function readJsonFile(path: string, what: string, options: ReadJsonOptions = {}): Promise<unknown> {
  const label = options.label ?? path;
  let bytes: Buffer;
  try {
    bytes = await readBounded(path, label, options.maxBytes ?? MAX_JSON_FILE_BYTES);
  } catch (error) {
    if (error instanceof FactoryError) throw error;
    if (options.absentIsUndefined === true && isAbsent(error)) return undefined;
    throw new FactoryError('io', `${label}: cannot read: ${messageOf(error)}`, { cause: error });
  }
  let text: string;
  try {
    // JSON is UTF-8 (RFC 8259): bytes that are not are refused, not read as replacement characters.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FactoryError('invalid-config', `${label}: not ${what}: not JSON (not UTF-8)`);
  }
  return parseJsonText(text, label, what, options.advice);
}

/** Bytes read at once from a file whose size is not known (a pipe) or has grown. */
const CHUNK_BYTES = 64 * 1024;

/**
 * The bytes of `path`, never more than `maxBytes + 1` read whatever the file claims or grows to (a pipe has no size):
 * a file larger than the bound is refused by its size before anything is read, or as soon as the bound is passed.
 */
async function readBounded(path: string, label: string, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new FactoryError('io', `${label}: larger than ${sizeText(maxBytes)}`);
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(maxBytes + 1 - total, Math.max(size + 1 - total, CHUNK_BYTES)));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge();
    }
  } finally {
    await handle.close();
  }
}
