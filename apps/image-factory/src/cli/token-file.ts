/**
 * An API token for a command, read one way everywhere (`rebuild`'s forge tokens, `request`'s forge token, `request
 * provision`'s Chainguard token): from the file an option names (a mounted Secret) or else from an environment
 * variable, trimmed, and registered for redaction as soon as it is read, so no log line or error can print it.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FactoryError, messageOf } from '../errors.js';
import { registerSecret } from '../log/redact.js';
import type { CommandIO, OptionSpecs } from './usage.js';

/** `--github-token-file` and `--gitlab-token-file`, declared once for every command that calls a forge's API. */
export const FORGE_TOKEN_OPTIONS = {
  'github-token-file': { type: 'string', value: 'FILE', help: 'GitHub token (default $GITHUB_TOKEN); never printed' },
  'gitlab-token-file': { type: 'string', value: 'FILE', help: 'GitLab token (default $GITLAB_TOKEN); never printed' },
} as const satisfies OptionSpecs;

/**
 * The token in `file` (relative to the working directory) when one is named, else in `$variable`; null when the
 * variable is unset or blank (no token: the caller says what is then not done). A named file that cannot be read,
 * or holds nothing, is a usage error (exit 2) naming `image-factory <command>` and the file: a Secret mounted empty
 * is a mistake to see, not a quiet "no token".
 */
export async function readToken(
  command: string,
  io: CommandIO,
  file: string | undefined,
  variable: string,
): Promise<string | null> {
  let value: string | undefined;
  if (file !== undefined) {
    try {
      value = (await readFile(resolve(io.cwd, file), 'utf8')).trim();
    } catch (error) {
      throw new FactoryError('usage', `image-factory ${command}: cannot read token file ${file}: ${messageOf(error)}`);
    }
    if (value === '') throw new FactoryError('usage', `image-factory ${command}: token file ${file} is empty`);
  } else {
    value = io.env[variable]?.trim();
  }
  if (value === undefined || value === '') return null;
  registerSecret(value);
  return value;
}
