/**
 * The trust root signatures are verified against: a Sigstore `trusted_root.json` (Fulcio CAs, Rekor and CT log keys,
 * timestamp authorities), `--trust-root FILE` for a private Sigstore, else Sigstore's public-good root
 * (public-good-root.ts, a reviewed copy).
 */
import { readFile } from 'node:fs/promises';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { FactoryError, messageOf } from '../errors.js';
import { PUBLIC_GOOD_TRUSTED_ROOT } from './public-good-root.js';

/** A trusted root read and checked, with where it came from (for messages). */
export interface TrustRoot {
  readonly source: string;
  readonly root: TrustedRoot;
}

const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\.v0\.\d+)?\+json(;version=0\.\d+)?$/;

/** A trusted root from its JSON value; an error naming `source` and what is wrong. */
export function trustRootFrom(json: unknown, source: string): TrustRoot {
  const problem = (what: string) => new FactoryError('invalid-config', `trust root ${source}: ${what}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw problem('not a JSON object');
  const mediaType = Reflect.get(json, 'mediaType');
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) {
    throw problem('mediaType is not application/vnd.dev.sigstore.trustedroot+json (a Sigstore trusted_root.json)');
  }
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(json);
  } catch (error) {
    throw problem(messageOf(error));
  }
  if (root.certificateAuthorities.length === 0 && root.tlogs.length === 0) {
    throw problem('names no certificate authority and no transparency log: it would trust nothing');
  }
  // A validity without its start is malformed, not unbounded (the library would read it as "since the beginning").
  const unstarted = [
    ...root.tlogs.map((log, i) => [`tlogs[${i}]`, log.publicKey?.validFor?.start] as const),
    ...root.ctlogs.map((log, i) => [`ctlogs[${i}]`, log.publicKey?.validFor?.start] as const),
    ...root.certificateAuthorities.map((ca, i) => [`certificateAuthorities[${i}]`, ca.validFor?.start] as const),
    ...root.timestampAuthorities.map((ca, i) => [`timestampAuthorities[${i}]`, ca.validFor?.start] as const),
  ].find(([, start]) => start === undefined);
  if (unstarted !== undefined) throw problem(`${unstarted[0]} has no validFor.start`);
  return { source, root };
}

let publicGood: TrustRoot | undefined;

/** Sigstore's public-good trusted root (read once). */
export function publicGoodTrustRoot(): TrustRoot {
  publicGood ??= trustRootFrom(PUBLIC_GOOD_TRUSTED_ROOT, 'Sigstore public-good (built in)');
  return publicGood;
}

/** A `trusted_root.json` file: exit 2 when it cannot be read, 1 when it is not a trusted root. */
export async function loadTrustRoot(file: string): Promise<TrustRoot> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FactoryError('io', `cannot read the trust root ${file}: ${messageOf(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FactoryError('invalid-config', `trust root ${file}: not JSON`);
  }
  return trustRootFrom(json, file);
}
