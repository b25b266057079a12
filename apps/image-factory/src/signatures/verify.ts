/**
 * The verdict on one digest's signatures under a policy. A legacy signature's payload must sign this very digest;
 * then it is adapted into a Sigstore bundle and verified by Sigstore's library (sigstore.ts): keyed (`cosign sign
 * --key`: an ASN.1 DER ECDSA signature over the payload with SHA-256) against the policy's keys, keyless (a Fulcio
 * certificate and its Rekor entry) against the trust root and the policy's identities.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { LegacySignature } from './legacy.js';
import { payloadDigest } from './payload.js';
import type { VerifyPolicy } from './policy.js';
import { legacyBundle, verifySigstoreBundle } from './sigstore.js';
import { publicGoodTrustRoot, type TrustRoot } from './trust-root.js';

/** One signature as `inspect --verify` shows it. */
export interface SignatureVerdict {
  readonly format: 'legacy' | 'bundle';
  readonly kind: 'keyless' | 'key';
  /** The OIDC issuer of a keyless signature; null for keys (or not read). */
  readonly issuer: string | null;
  /** A keyless signature's subject; for a key, the SHA-256 of the key (`sha256:<hex>` of its DER) that verified it. */
  readonly subject: string | null;
  /** A transparency-log entry was verified. */
  readonly tlog: boolean;
  readonly valid: boolean;
  /** Why it is not valid; null when valid. */
  readonly problem: string | null;
}

/** The verdict on a digest (the `verification` of `inspect --verify --json`). */
export interface Verification {
  readonly verified: boolean;
  /** Why not verified; null when verified. */
  readonly reason: string | null;
  readonly signatures: readonly SignatureVerdict[];
}

/** A policy key read and parsed: its fingerprint is the trust material's hint. */
export interface TrustedKey {
  readonly fingerprint: string;
  readonly key: KeyObject;
}

/** `sha256:<hex>` of a public key's SPKI DER. */
export function keyFingerprint(key: KeyObject): string {
  return `sha256:${createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

/** Parse PEM public keys (already checked by the policy loader) into trusted keys. */
export function trustedKeys(pems: readonly string[]): TrustedKey[] {
  return pems.map((pem) => {
    const key = createPublicKey(pem);
    return { fingerprint: keyFingerprint(key), key };
  });
}

/** The verdict on one legacy signature of `digest` (trust: the trusted root; default Sigstore's public-good). */
export function verifyLegacySignature(
  signature: LegacySignature,
  digest: string,
  policy: VerifyPolicy,
  keys: readonly TrustedKey[],
  trust: TrustRoot = publicGoodTrustRoot(),
): SignatureVerdict {
  const keyless = signature.certificate !== undefined;
  const base = { format: 'legacy', kind: keyless ? 'keyless' : 'key', issuer: null, tlog: false } as const;
  const invalid = (problem: string): SignatureVerdict => ({ ...base, subject: null, valid: false, problem });
  const signed = payloadDigest(signature.payload);
  if (!signed.ok) return invalid(signed.error);
  if (signed.digest.toLowerCase() !== digest.toLowerCase()) {
    return invalid(`the payload signs ${signed.digest}, not this image (${digest})`);
  }
  if (signature.signature === '') return invalid('the layer has no dev.cosignproject.cosign/signature annotation');
  const made = legacyBundle(signature, '');
  if ('error' in made) return invalid(made.error);
  const bundleFor = (hint: string) => {
    const again = legacyBundle(signature, hint);
    return 'bundle' in again ? again.bundle : made.bundle;
  };
  return { format: 'legacy', ...verifySigstoreBundle(bundleFor, Buffer.from(signature.payload), policy, keys, trust) };
}

/** The verdict on a digest from its signatures' verdicts: verified when at least one is valid. */
export function verdictOf(verdicts: readonly SignatureVerdict[], digest: string): Verification {
  if (verdicts.some((v) => v.valid)) return { verified: true, reason: null, signatures: verdicts };
  const reason =
    verdicts.length === 0
      ? `${digest} is not signed (no cosign signature found)`
      : `no signature of ${digest} satisfies the policy (${verdicts.length} found: ${[...new Set(verdicts.map((v) => v.problem))].join('; ')})`;
  return { verified: false, reason, signatures: verdicts };
}

/** The verdict on a digest's legacy signatures: verified when at least one signature is valid under the policy. */
export function verifyDigest(
  signatures: readonly LegacySignature[],
  digest: string,
  policy: VerifyPolicy,
  keys: readonly TrustedKey[],
  trust: TrustRoot = publicGoodTrustRoot(),
): Verification {
  return verdictOf(
    signatures.map((s) => verifyLegacySignature(s, digest, policy, keys, trust)),
    digest,
  );
}
