/**
 * The `verify` policy (images.yaml `defaults.verify`, `images[].verify`, `baseImagePolicies[].verify`, and the file
 * `inspect --policy` reads): defined once here (TypeBox) for the schema, with the checks a schema cannot make
 * (exactly one of subject / subjectRegExp and of pem / file, a PEM that is a public key, a regexp that compiles).
 */
import { createPublicKey } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';

/** A path inside the repository: relative, no leading "-" or "/", no control characters. */
const REPO_PATH = '^(?![-/])[^\\x00-\\x1f\\x7f]+$';

const IdentitySchema = Type.Object(
  {
    issuer: Type.String({
      minLength: 1,
      description:
        'The OIDC issuer the Fulcio certificate names, matched exactly (e.g. https://token.actions.githubusercontent.com).',
    }),
    subject: Type.Optional(
      Type.String({ minLength: 1, description: "The certificate's subject (SAN), matched exactly." }),
    ),
    subjectRegExp: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "A regular expression the whole subject must match: it is always anchored (^(?:…)$ is implied), so 'soyland' never matches cody@soyland.com. Write exactly one of subject and subjectRegExp.",
      }),
    ),
  },
  { additionalProperties: false, description: 'A keyless (Fulcio certificate) identity that may sign.' },
);

const KeySchema = Type.Object(
  {
    pem: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A PEM public key (-----BEGIN PUBLIC KEY-----), as `cosign generate-key-pair` writes cosign.pub.',
      }),
    ),
    file: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: REPO_PATH,
        description: 'A PEM public key file, relative to the repository root. Write exactly one of pem and file.',
      }),
    ),
  },
  { additionalProperties: false, description: 'A public key that may sign (keyed cosign signatures).' },
);

/** `verify:` as written. */
export const VerifySchema = Type.Object(
  {
    mode: Type.Optional(
      Type.Unsafe<'enforce' | 'warn'>({
        enum: ['enforce', 'warn'],
        description:
          'enforce: a digest that fails the policy is not used (inspect --verify exits 1); warn: the failure is reported and the digest used. Default enforce.',
      }),
    ),
    identities: Type.Optional(
      Type.Array(IdentitySchema, {
        minItems: 1,
        description:
          'Keyless identities (issuer + subject or subjectRegExp), as Kyverno and policy-controller write them. A signature by any one passes.',
      }),
    ),
    keys: Type.Optional(
      Type.Array(KeySchema, { minItems: 1, description: 'Public keys; a signature by any one passes.' }),
    ),
    requireTransparencyLog: Type.Optional(
      Type.Boolean({
        description:
          'Require a verified transparency-log (Rekor) entry for each signature. Default true; false accepts keyed signatures without one (cosign sign --tlog-upload=false).',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Signature policy (cosign): who must have signed a digest before a rebuild uses it. Absent: signatures are not checked.',
  },
);

/** `verify:` as written. */
export type VerifyEntry = Static<typeof VerifySchema>;

/** A keyless identity: issuer exact, subject exact or by an anchored regular expression. */
export type PolicyIdentity =
  | { readonly issuer: string; readonly subject: string }
  | { readonly issuer: string; readonly subjectRegExp: string };

/** A public key, inline or a file in the repository. */
export type PolicyKey = { readonly pem: string } | { readonly file: string };

/** A checked `verify` policy with its defaults applied. */
export interface VerifyPolicy {
  /** When unspecified: enforce. */
  readonly mode: 'enforce' | 'warn';
  /** When unspecified: none (keyless signatures do not pass). */
  readonly identities: readonly PolicyIdentity[];
  /** When unspecified: none (keyed signatures do not pass). */
  readonly keys: readonly PolicyKey[];
  /** When unspecified: true. */
  readonly requireTransparencyLog: boolean;
}

/** A problem in a `verify` block, at a path relative to the block. */
export interface PolicyProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The anchored form of a subjectRegExp: the whole subject must match. */
export function anchoredSubject(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** Why a PEM is not a usable public key, or null. The key's text is never part of the message. */
export function pemProblem(pem: string): string | null {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return 'is a private key: give the public key (cosign.pub), and keep the private one out of the repository';
  }
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) return 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)';
  try {
    createPublicKey(pem);
  } catch {
    return 'is not a readable PEM public key';
  }
  return null;
}

/**
 * Check a `verify` block the schema accepted and apply its defaults.
 * @returns the policy, or the problems (paths relative to the block)
 */
export function checkVerifyPolicy(
  entry: VerifyEntry,
): { readonly ok: true; readonly value: VerifyPolicy } | { readonly ok: false; readonly problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  const identities: PolicyIdentity[] = [];
  const keys: PolicyKey[] = [];
  if (entry.identities === undefined && entry.keys === undefined) {
    problems.push({ path: [], message: 'must name identities or keys (or both): who may sign' });
  }
  for (const [index, identity] of (entry.identities ?? []).entries()) {
    const at = ['identities', index];
    if ((identity.subject === undefined) === (identity.subjectRegExp === undefined)) {
      problems.push({ path: at, message: 'must have exactly one of subject and subjectRegExp' });
      continue;
    }
    if (identity.subjectRegExp !== undefined) {
      try {
        anchoredSubject(identity.subjectRegExp);
      } catch (error) {
        problems.push({
          path: [...at, 'subjectRegExp'],
          message: `is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`,
        });
        continue;
      }
      identities.push({ issuer: identity.issuer, subjectRegExp: identity.subjectRegExp });
    } else if (identity.subject !== undefined) {
      identities.push({ issuer: identity.issuer, subject: identity.subject });
    }
  }
  for (const [index, key] of (entry.keys ?? []).entries()) {
    const at = ['keys', index];
    if ((key.pem === undefined) === (key.file === undefined)) {
      problems.push({ path: at, message: 'must have exactly one of pem and file' });
      continue;
    }
    if (key.pem !== undefined) {
      const problem = pemProblem(key.pem);
      if (problem !== null) problems.push({ path: [...at, 'pem'], message: problem });
      else keys.push({ pem: key.pem });
    } else if (key.file !== undefined) {
      if (/(^|\/)\.\.(\/|$)/.test(key.file)) {
        problems.push({ path: [...at, 'file'], message: 'must be a relative path inside the repository' });
      } else keys.push({ file: key.file });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      mode: entry.mode ?? 'enforce',
      identities,
      keys,
      requireTransparencyLog: entry.requireTransparencyLog ?? true,
    },
  };
}
