/**
 * The verdict on one digest's signatures under a policy. A keyed legacy signature is what `cosign sign --key`
 * makes: an ASN.1 DER signature over the simple-signing payload with SHA-256, checked here with Node's crypto (the
 * check `@sigstore/verify` makes for a message signature, `crypto.verify(sha256, payload, key, signature)`; its
 * ~85 KiB would put the in-cluster bundle over its 900 KiB ConfigMap budget, and a keyed signature without a log
 * entry needs nothing else it offers). Keyless verification (Fulcio certificates, Rekor entries) is not in this
 * slice: such signatures are reported, never accepted.
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { LegacySignature } from './legacy.js';
import { payloadDigest } from './payload.js';
import type { VerifyPolicy } from './policy.js';

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

/** Does `key` verify this keyed legacy signature over its payload? */
function verifiedBy(signature: LegacySignature, key: TrustedKey): boolean {
  try {
    // Ed25519 keys sign the message itself (no separate digest); ECDSA and RSA keys sign its SHA-256.
    const algorithm = key.key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
    return verify(algorithm, signature.payload, key.key, Buffer.from(signature.signature, 'base64'));
  } catch {
    // A signature that is not DER, a key type the algorithm does not fit: not a signature by this key.
    return false;
  }
}

/** The verdict on one legacy signature of `digest`. */
export function verifyLegacySignature(
  signature: LegacySignature,
  digest: string,
  policy: VerifyPolicy,
  keys: readonly TrustedKey[],
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
  if (keyless) return invalid('keyless (certificate) signatures are not verified yet: only keys are');
  if (keys.length === 0) return invalid('a keyed signature, and the policy trusts no key');
  const by = keys.find((key) => verifiedBy(signature, key));
  if (by === undefined) return invalid('not signed by any key the policy trusts (or the signature is corrupt)');
  if (policy.requireTransparencyLog) {
    return {
      ...base,
      subject: by.fingerprint,
      valid: false,
      problem:
        'no verified transparency-log entry, and the policy requires one (requireTransparencyLog: false accepts keyed signatures without)',
    };
  }
  return { ...base, subject: by.fingerprint, valid: true, problem: null };
}

/** The verdict on a digest: verified when at least one signature is valid under the policy. */
export function verifyDigest(
  signatures: readonly LegacySignature[],
  digest: string,
  policy: VerifyPolicy,
  keys: readonly TrustedKey[],
): Verification {
  const verdicts = signatures.map((s) => verifyLegacySignature(s, digest, policy, keys));
  if (verdicts.some((v) => v.valid)) return { verified: true, reason: null, signatures: verdicts };
  const reason =
    verdicts.length === 0
      ? `${digest} is not signed (no cosign signature found)`
      : `no signature of ${digest} satisfies the policy (${verdicts.length} found: ${[...new Set(verdicts.map((v) => v.problem))].join('; ')})`;
  return { verified: false, reason, signatures: verdicts };
}
