/**
 * Signatures (DESIGN §12, issue 22): who signed a digest, and whether that satisfies the image's `verify` policy.
 * The contract:
 * - policy: `VerifySchema` is the one definition of a `verify` block (images.yaml and `inspect --policy`);
 *   `checkVerifyPolicy` adds what a schema cannot check and applies defaults (mode enforce, transparency log
 *   required); `policyFor` says which policy covers a repository (`images[].verify`, `baseImagePolicies`,
 *   `defaults.verify`).
 * - reading: cosign's legacy layout (`sha256-<hex>.sig`) and OCI 1.1 bundles (referrers API, else the
 *   `sha256-<hex>` referrers tag) through the registry client; neither found is "unsigned".
 * - verdict: a legacy payload must sign this very digest (an OCI bundle's in-toto statement must name it); then
 *   Sigstore's library verifies it (sigstore.ts: legacy signatures adapted into bundles) against the trust root
 *   (trust-root.ts: `trusted_root.json`, default Sigstore's public-good) and the policy's keys; a keyless signer's
 *   identity is matched here (issuer exact, subject exact or anchored). Verified when one signature is valid.
 */
export {
  BUNDLE_ARTIFACT_TYPE,
  type OciBundle,
  readOciBundles,
  verifyArtifactBundle,
  verifyOciBundle,
} from './bundles.js';
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
export { type BundleVerdict, identityAllowed, legacyBundle, verifySigstoreBundle } from './sigstore.js';
export { loadTrustRoot, publicGoodTrustRoot, type TrustRoot, trustRootFrom } from './trust-root.js';
export {
  keyFingerprint,
  type SignatureVerdict,
  type TrustedKey,
  trustedKeys,
  type Verification,
  verdictOf,
  verifyDigest,
  verifyLegacySignature,
} from './verify.js';
