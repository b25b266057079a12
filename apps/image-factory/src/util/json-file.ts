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
 * The JSON value in the file at `path` (`what` it should be: "a Trivy JSON report (SchemaVersion 2)"). A file that
 * cannot be read or is larger than the bound is an `io` error (exit 2): "<label>: cannot read: <reason>",
 * "<label>: larger than N MiB"; one that is not JSON an `invalid-config` error (exit 1) from {@link parseJsonText}.
 */
export async function readJsonFile(path: string, what: string, options: ReadJsonOptions = {}): Promise<unknown> {
  const label = options.label ?? path;
  const maxBytes = options.maxBytes ?? MAX_JSON_FILE_BYTES;
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      // The size first, so that a huge file is refused before it is read.
      if ((await handle.stat()).size > maxBytes)
        throw new FactoryError('io', `${label}: larger than ${sizeText(maxBytes)}`);
      const bytes = await handle.readFile();
      if (bytes.length > maxBytes) throw new FactoryError('io', `${label}: larger than ${sizeText(maxBytes)}`);
      text = bytes.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof FactoryError) throw error;
    if (options.absentIsUndefined === true && isAbsent(error)) return undefined;
    throw new FactoryError('io', `${label}: cannot read: ${messageOf(error)}`, { cause: error });
  }
  return parseJsonText(text, label, what, options.advice);
}
