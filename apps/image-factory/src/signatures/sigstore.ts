/**
 * Verification with Sigstore's own libraries (`@sigstore/verify` 3.1.1, `@sigstore/bundle` 4.0.0, pinned exactly: the
 * 3.1.x line is the last that runs on Node 20). A cosign legacy signature is adapted into a Sigstore bundle (v0.1:
 * its Rekor entry has an inclusion promise, no proof): the simple-signing payload is the message, the annotation's
 * signature its message signature, the certificate annotation (keyless) or the policy's key (keyed, by hint) the
 * verification material, the `dev.sigstore.cosign/bundle` annotation (Rekor's signed entry timestamp and body) its
 * transparency-log entry. OCI 1.1 bundles are Sigstore bundles already. The library checks the certificate chain
 * against the trust root at the log's time, the SCT, the log entry's promise and body, and the signature; the
 * policy's identity is checked here, never by the library's SAN pattern (it is unanchored: `soyland` would match
 * `cody@soyland.com`).
 */
import { createHash } from 'node:crypto';
import { type Bundle, bundleFromJSON } from '@sigstore/bundle';
import { type Signer, type TrustMaterial, toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { messageOf } from '../errors.js';
import type { LegacySignature } from './legacy.js';
import { anchoredSubject, type VerifyPolicy } from './policy.js';
import type { TrustRoot } from './trust-root.js';
import type { SignatureVerdict, TrustedKey } from './verify.js';

/** A verdict without its format (the caller knows whether it read a legacy tag or a bundle). */
export type BundleVerdict = Omit<SignatureVerdict, 'format'>;

/** cosign's `dev.sigstore.cosign/bundle` annotation: Rekor's answer, as `cosign sign` stores it. */
const RekorBundleSchema = Type.Object({
  SignedEntryTimestamp: Type.String({ minLength: 1 }),
  Payload: Type.Object({
    body: Type.String({ minLength: 1 }),
    integratedTime: Type.Integer({ minimum: 0 }),
    logIndex: Type.Integer({ minimum: 0 }),
    logID: Type.String({ pattern: '^[a-f0-9]{64}$' }),
  }),
});
type RekorBundle = Static<typeof RekorBundleSchema>;
const EntryKindSchema = Type.Object({ kind: Type.String(), apiVersion: Type.String() });

const V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

/** The first certificate of a PEM text as base64 DER, or null. */
function pemCertificate(pem: string): string | null {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  return match?.[1] === undefined ? null : match[1].replace(/\s/g, '');
}

/** Rekor's answer as a bundle's transparency-log entry (JSON form), or why not. */
function tlogEntry(annotation: string): { readonly entry: object } | { readonly error: string } {
  let rekor: unknown;
  try {
    rekor = JSON.parse(annotation);
  } catch {
    return { error: 'the dev.sigstore.cosign/bundle annotation is not JSON' };
  }
  if (!Value.Check(RekorBundleSchema, rekor)) {
    return { error: 'the dev.sigstore.cosign/bundle annotation is not a Rekor bundle (SignedEntryTimestamp, Payload)' };
  }
  const entry: RekorBundle = rekor;
  let kind: unknown;
  try {
    kind = JSON.parse(Buffer.from(entry.Payload.body, 'base64').toString('utf8'));
  } catch {
    return { error: "the Rekor entry's body is not JSON" };
  }
  if (!Value.Check(EntryKindSchema, kind)) return { error: "the Rekor entry's body names no kind and apiVersion" };
  return {
    entry: {
      logIndex: String(entry.Payload.logIndex),
      logId: { keyId: Buffer.from(entry.Payload.logID, 'hex').toString('base64') },
      kindVersion: { kind: kind.kind, version: kind.apiVersion },
      integratedTime: String(entry.Payload.integratedTime),
      inclusionPromise: { signedEntryTimestamp: entry.SignedEntryTimestamp },
      canonicalizedBody: entry.Payload.body,
    },
  };
}

/**
 * A legacy signature as a Sigstore bundle: keyless with its certificate, keyed with `hint` naming the key to try;
 * why not when its annotations cannot make one.
 */
export function legacyBundle(signature: LegacySignature, hint: string): { bundle: Bundle } | { error: string } {
  const entries: object[] = [];
  if (signature.bundle !== undefined) {
    const made = tlogEntry(signature.bundle);
    if ('error' in made) return made;
    entries.push(made.entry);
  }
  let material: object;
  if (signature.certificate !== undefined) {
    const der = pemCertificate(signature.certificate);
    if (der === null) return { error: 'the dev.sigstore.cosign/certificate annotation holds no PEM certificate' };
    material = { x509CertificateChain: { certificates: [{ rawBytes: der }] } };
  } else {
    material = { publicKey: { hint } };
  }
  try {
    const bundle = bundleFromJSON({
      mediaType: V01,
      verificationMaterial: { ...material, tlogEntries: entries, timestampVerificationData: { rfc3161Timestamps: [] } },
      messageSignature: {
        messageDigest: {
          algorithm: 'SHA2_256',
          digest: createHash('sha256').update(signature.payload).digest('base64'),
        },
        signature: signature.signature,
      },
    });
    return { bundle };
  } catch (error) {
    return { error: `not a valid Sigstore bundle once adapted: ${messageOf(error)}` };
  }
}

/** Does a verified keyless signer's identity match one of the policy's (issuer exact, subject exact or anchored)? */
export function identityAllowed(policy: VerifyPolicy, issuer: string | null, subject: string | null): boolean {
  if (issuer === null || subject === null) return false;
  return policy.identities.some(
    (identity) =>
      identity.issuer === issuer &&
      ('subject' in identity ? identity.subject === subject : anchoredSubject(identity.subjectRegExp).test(subject)),
  );
}

/** Trust material from the root, with one key answering every hint (keyed bundles are tried key by key). */
function material(trust: TrustRoot, key: TrustedKey | undefined): TrustMaterial {
  return toTrustMaterial(trust.root, (hint) => {
    if (key === undefined) throw new Error(`no key for the hint ${hint}: the policy trusts no key`);
    return { publicKey: key.key, validFor: () => true };
  });
}

/** The library's words for a failure, with its code when it has one. */
function failure(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
  return `${typeof code === 'string' ? `${code}: ` : ''}${messageOf(error)}`;
}

/** How a bundle's key is named: a certificate (keyless) or a key hint. */
const isKeyless = (bundle: Bundle) => bundle.verificationMaterial.content.$case !== 'publicKey';

/**
 * Verify one bundle (made by `bundleFor`, given the hint of the key to try) over `artifact` (a message signature's
 * message; undefined for DSSE) under the policy.
 */
export function verifySigstoreBundle(
  bundleFor: (hint: string) => Bundle,
  artifact: Buffer | undefined,
  policy: VerifyPolicy,
  keys: readonly TrustedKey[],
  trust: TrustRoot,
): BundleVerdict {
  const probe = bundleFor('');
  const logged = probe.verificationMaterial.tlogEntries.length > 0;
  if (isKeyless(probe)) {
    const base = { kind: 'keyless', tlog: false } as const;
    let signer: Signer;
    try {
      // Keyless: the certificate lives minutes, so a log entry (its time) is always needed, and its SCT.
      signer = new Verifier(material(trust, undefined), {
        tlogThreshold: 1,
        ctlogThreshold: 1,
        timestampThreshold: 1,
      }).verify(toSignedEntity(probe, artifact));
    } catch (error) {
      return { ...base, issuer: null, subject: null, valid: false, problem: failure(error) };
    }
    const issuer = signer.identity?.extensions?.issuer ?? null;
    const subject = signer.identity?.subjectAlternativeName ?? null;
    const verified = { ...base, issuer, subject, tlog: true };
    if (policy.identities.length === 0) {
      return { ...verified, valid: false, problem: 'a keyless signature, and the policy names no identity' };
    }
    if (!identityAllowed(policy, issuer, subject)) {
      return {
        ...verified,
        valid: false,
        problem: `signed by ${subject ?? 'no subject'} (issuer ${issuer ?? 'none'}): not an identity the policy names`,
      };
    }
    return { ...verified, valid: true, problem: null };
  }
  const base = { kind: 'key', issuer: null } as const;
  if (keys.length === 0) {
    return {
      ...base,
      subject: null,
      tlog: false,
      valid: false,
      problem: 'a keyed signature, and the policy trusts no key',
    };
  }
  let other: string | undefined;
  for (const key of keys) {
    try {
      const threshold = logged ? 1 : 0;
      new Verifier(material(trust, key), {
        tlogThreshold: threshold,
        ctlogThreshold: 0,
        timestampThreshold: threshold,
      }).verify(toSignedEntity(bundleFor(key.fingerprint), artifact));
    } catch (error) {
      const code = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
      if (code !== 'SIGNATURE_ERROR') other = failure(error);
      continue;
    }
    if (!logged && policy.requireTransparencyLog) {
      return {
        ...base,
        subject: key.fingerprint,
        tlog: false,
        valid: false,
        problem:
          'no verified transparency-log entry, and the policy requires one (requireTransparencyLog: false accepts keyed signatures without)',
      };
    }
    return { ...base, subject: key.fingerprint, tlog: logged, valid: true, problem: null };
  }
  return {
    ...base,
    subject: null,
    tlog: false,
    valid: false,
    problem: other ?? 'not signed by any key the policy trusts (or the signature is corrupt)',
  };
}
