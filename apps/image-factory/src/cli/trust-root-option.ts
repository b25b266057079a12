/**
 * `--trust-root FILE`, the option four commands take (inspect, rebuild, status, compliance), declared once, and read
 * once: before anything is cloned or asked, so a root that cannot be read (2) or is not one (1) stops the command
 * first, naming the file.
 */
import { resolve } from 'node:path';
import { FactoryError } from '../errors.js';
import { loadTrustRoot, type TrustRoot } from '../signatures/index.js';
import type { CommandIO } from './usage.js';

/**
 * The option's declaration: `when` prefixes its help (`with --live: `), `against` says what the command verifies
 * against the root.
 */
export function trustRootOption(when: string, against: string) {
  return {
    'trust-root': {
      type: 'string',
      value: 'FILE',
      help: `${when}a Sigstore trusted_root.json (a private Sigstore's CAs and logs)${against}; default Sigstore's public-good root`,
    },
  } as const;
}

/**
 * The trust root a command was given, read (relative to the working directory), or undefined for Sigstore's
 * public-good root. `needs` names the option without which it has no effect: given without it, a usage error.
 */
export async function readTrustRootOption(
  command: string,
  file: string | undefined,
  io: Pick<CommandIO, 'cwd'>,
  needs?: { readonly option: string; readonly given: boolean },
): Promise<TrustRoot | undefined> {
  if (file === undefined) return undefined;
  if (needs !== undefined && !needs.given) {
    throw new FactoryError('usage', `image-factory ${command}: --trust-root takes effect with ${needs.option} only`);
  }
  return loadTrustRoot(resolve(io.cwd, file));
}
