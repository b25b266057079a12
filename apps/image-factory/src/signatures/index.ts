/**
 * Signatures (DESIGN §12, issue 22): who signed a digest, and whether that satisfies the image's `verify` policy.
 * The contract:
 * - policy: `VerifySchema` is the one definition of a `verify` block (images.yaml and `inspect --policy`);
 *   `checkVerifyPolicy` adds what a schema cannot check and applies defaults (mode enforce, transparency log
 *   required); `policyFor` says which policy covers a repository (`images[].verify`, `baseImagePolicies`,
 *   `defaults.verify`).
 * - reading: cosign's legacy layout (`sha256-<hex>.sig`) through the registry client; a missing tag is "unsigned".
 * - verdict: pure; a keyed signature is checked over its payload with Node's crypto (why not `@sigstore/verify`
 *   yet: verify.ts); the payload must sign this very digest. A digest is verified when one signature is valid.
 * Not yet: keyless (Fulcio/Rekor) verification, the OCI 1.1 referrers form, the gate in rebuild decisions.
 */
export { type KeyFileReader, policyKeyPems, verifyImageSignatures } from './check.js';
export { type LegacySignature, readLegacySignatures, signatureTag } from './legacy.js';
export { matchesReference, referencePattern } from './match.js';
export { payloadDigest } from './payload.js';
export {
  anchoredSubject,
  checkVerifyPolicy,
  type PolicyIdentity,
  type PolicyKey,
  type PolicyProblem,
  pemProblem,
  type VerifyEntry,
  type VerifyPolicy,
  VerifySchema,
} from './policy.js';
export { policyFor } from './resolve.js';
export {
  keyFingerprint,
  type SignatureVerdict,
  type TrustedKey,
  trustedKeys,
  type Verification,
  verifyDigest,
  verifyLegacySignature,
} from './verify.js';
