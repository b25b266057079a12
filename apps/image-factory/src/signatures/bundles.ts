/**
 * cosign's OCI 1.1 layout (cosign v3, `--new-bundle-format`): a manifest with `artifactType`
 * `application/vnd.dev.sigstore.bundle.v0.3+json` whose `subject` is the image and whose one layer is a Sigstore
 * bundle: a DSSE envelope of an in-toto statement naming the image digest as its subject. Found through the
 * registry's referrers API, or the referrers tag `sha256-<hex>` where the registry has none (registry/client.ts).
 */
import { createHash } from 'node:crypto';
import { type Bundle, bundleFromJSON } from '@sigstore/bundle';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FactoryError, messageOf } from '../errors.js';
import type { RegistryClient, RepositoryRef } from '../registry/index.js';
import type { VerifyPolicy } from './policy.js';
import { verifySigstoreBundle } from './sigstore.js';
import type { TrustRoot } from './trust-root.js';
import type { SignatureVerdict, TrustedKey } from './verify.js';

export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** Largest bundle read (a keyless one is a few KiB: certificate, log entry, envelope). */
const MAX_BUNDLE_BYTES = 256 * 1024;
/** Most bundles read per digest: each costs a manifest and a blob GET. */
export const MAX_BUNDLES = 32;
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';

/** A bundle read from the registry: the referring manifest's digest and the bundle's JSON text. */
export interface OciBundle {
  readonly manifest: string;
  /** The bundle, or why the referrer holds none (reported as an invalid signature). */
  readonly json: unknown;
  readonly problem?: string;
}

const SubjectSchema = Type.Object({ subject: Type.Object({ digest: Type.String() }) });
const StatementSchema = Type.Object({
  _type: Type.String(),
  subject: Type.Array(Type.Object({ digest: Type.Record(Type.String(), Type.String()) })),
});

/** The OCI 1.1 signature bundles of `digest` in `repo` (none when nothing refers to it). */
export async function readOciBundles(
  client: RegistryClient,
  repo: RepositoryRef,
  digest: string,
): Promise<OciBundle[]> {
  const referrers = await client.referrers(repo, digest, BUNDLE_ARTIFACT_TYPE);
  if (referrers.manifests.length > MAX_BUNDLES) {
    throw new FactoryError(
      'registry',
      `${repo.registry}/${repo.repository}@${digest} has ${referrers.manifests.length} signature bundles, more than the ${MAX_BUNDLES} read: refused`,
    );
  }
  const bundles: OciBundle[] = [];
  for (const referrer of referrers.manifests) {
    const fetched = await client.manifest(repo, referrer.digest);
    const refused = (problem: string) => bundles.push({ manifest: referrer.digest, json: null, problem });
    if (fetched.manifest.kind !== 'image') {
      refused('the referrer is an index, not a bundle manifest');
      continue;
    }
    const manifest = fetched.manifest.manifest;
    // The referrers tag is written by clients: its list is only a hint, the manifest's own subject decides.
    if (!Value.Check(SubjectSchema, manifest) || manifest.subject.digest !== digest) {
      refused(`the bundle manifest's subject is not ${digest}`);
      continue;
    }
    const layer = manifest.layers.find((l) => l.mediaType === BUNDLE_ARTIFACT_TYPE);
    if (layer === undefined) {
      refused(`the bundle manifest has no ${BUNDLE_ARTIFACT_TYPE} layer`);
      continue;
    }
    const bytes = await client.blob(repo, layer.digest, MAX_BUNDLE_BYTES);
    try {
      bundles.push({
        manifest: referrer.digest,
        json: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)),
      });
    } catch {
      refused('the bundle is not JSON');
    }
  }
  return bundles;
}

/** Does an in-toto statement (a DSSE payload) name `digest` among its subjects? Why not, or null. */
function statementProblem(bundle: Bundle, digest: string): string | null {
  if (bundle.content.$case !== 'dsseEnvelope') {
    return "a message-signature bundle: cosign's image bundles are DSSE envelopes of in-toto statements";
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD) return `the envelope's payload is ${envelope.payloadType}, not in-toto`;
  let statement: unknown;
  try {
    statement = JSON.parse(envelope.payload.toString('utf8'));
  } catch {
    return "the envelope's payload is not JSON";
  }
  if (!Value.Check(StatementSchema, statement)) return "the envelope's payload is not an in-toto statement";
  const [algorithm, hex] = digest.split(':');
  const named = statement.subject.map((s) => (algorithm === undefined ? undefined : s.digest[algorithm]));
  if (!named.some((value) => value?.toLowerCase() === hex?.toLowerCase())) {
    return `the statement's subject is ${named.filter((n) => n !== undefined).join(', ') || 'no digest'}, not this image (${digest})`;
  }
  return null;
}

/**
 * The verdict on a Sigstore bundle (its JSON) over a subject: a DSSE envelope's in-toto statement must name
 * `digest`; a message signature signs `artifact` (none for an image: cosign's image bundles are DSSE).
 */
function verifyBundleJson(
  json: unknown,
  digest: string,
  artifact: Buffer | undefined,
  policy: VerifyPolicy,
  keys: readonly TrustedKey[],
  trust: TrustRoot,
): SignatureVerdict {
  const invalid = (problem: string, kind: 'key' | 'keyless' = 'keyless'): SignatureVerdict => ({
    format: 'bundle',
    kind,
    issuer: null,
    subject: null,
    tlog: false,
    valid: false,
    problem,
  });
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (error) {
    return invalid(`not a valid Sigstore bundle: ${messageOf(error)}`);
  }
  const keyed = bundle.verificationMaterial.content.$case === 'publicKey';
  if (bundle.content.$case === 'dsseEnvelope' || artifact === undefined) {
    const problem = statementProblem(bundle, digest);
    if (problem !== null) return invalid(problem, keyed ? 'key' : 'keyless');
  }
  const bundleFor = (hint: string): Bundle =>
    keyed
      ? {
          ...bundle,
          verificationMaterial: {
            ...bundle.verificationMaterial,
            content: { $case: 'publicKey', publicKey: { hint } },
          },
        }
      : bundle;
  const message = bundle.content.$case === 'messageSignature' ? artifact : undefined;
  return { format: 'bundle', ...verifySigstoreBundle(bundleFor, message, policy, keys, trust) };
}

/** The verdict on one OCI 1.1 bundle of the image `digest`. */
export function verifyOciBundle(
  found: OciBundle,
  digest: string,
  policy: VerifyPolicy,
  keys: readonly TrustedKey[],
  trust: TrustRoot,
): SignatureVerdict {
  if (found.problem !== undefined) {
    return {
      format: 'bundle',
      kind: 'keyless',
      issuer: null,
      subject: null,
      tlog: false,
      valid: false,
      problem: found.problem,
    };
  }
  return verifyBundleJson(found.json, digest, undefined, policy, keys, trust);
}

/**
 * The verdict on a bundle over a file (`artifact`): Sigstore's conformance cases sign files, and run through the
 * same adapter and policy as images do.
 */
export function verifyArtifactBundle(
  json: unknown,
  artifact: Buffer,
  policy: VerifyPolicy,
  keys: readonly TrustedKey[],
  trust: TrustRoot,
): SignatureVerdict {
  const digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}`;
  return verifyBundleJson(json, digest, artifact, policy, keys, trust);
}
