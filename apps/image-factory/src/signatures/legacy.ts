/**
 * cosign's legacy signature layout, read through the registry client: the tag `sha256-<hex>.sig` in the image's
 * repository holds an OCI manifest whose layers are simple-signing payloads, each with its signature (and, for
 * keyless signatures, certificate, chain and Rekor bundle) in the layer's annotations.
 */
import { FactoryError } from '../errors.js';
import type { RegistryClient, RepositoryRef } from '../registry/index.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
} as const;

/** Largest simple-signing payload read (cosign's are a few hundred bytes). */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Most signature layers read per digest: each costs a blob GET (cosign appends one per `cosign sign`). */
export const MAX_SIGNATURE_LAYERS = 32;

/** One layer of a `.sig` manifest. */
export interface LegacySignature {
  /** The layer's digest (where the payload is). */
  readonly layer: string;
  readonly payload: Uint8Array;
  /** Base64 of the signature, as the annotation holds it. */
  readonly signature: string;
  /** PEM, present for keyless signatures. */
  readonly certificate?: string;
  readonly chain?: string;
  /** Rekor's bundle (the signed entry timestamp), JSON text. */
  readonly bundle?: string;
}

/** The legacy signature tag of a digest: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/**
 * The legacy signatures of `digest` in `repo`: none when the `.sig` tag does not exist. Layers of another media
 * type are skipped (cosign writes none); a simple-signing layer without a signature annotation is kept with an
 * empty signature, so the verdict can say so.
 */
export async function readLegacySignatures(
  client: RegistryClient,
  repo: RepositoryRef,
  digest: string,
): Promise<LegacySignature[]> {
  let fetched: Awaited<ReturnType<RegistryClient['manifest']>>;
  try {
    fetched = await client.manifest(repo, signatureTag(digest));
  } catch (error) {
    if (error instanceof FactoryError && error.code === 'not-found') return [];
    throw error;
  }
  if (fetched.manifest.kind !== 'image') {
    throw new FactoryError(
      'registry',
      `${repo.registry}/${repo.repository}:${signatureTag(digest)} is an index, not a cosign signature manifest`,
    );
  }
  const layers = fetched.manifest.manifest.layers.filter((layer) => layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
  if (layers.length > MAX_SIGNATURE_LAYERS) {
    throw new FactoryError(
      'registry',
      `${repo.registry}/${repo.repository}:${signatureTag(digest)} has ${layers.length} signatures, more than the ${MAX_SIGNATURE_LAYERS} read: refused`,
    );
  }
  const signatures: LegacySignature[] = [];
  for (const layer of layers) {
    const annotations = layer.annotations ?? {};
    const payload = await client.blob(repo, layer.digest, MAX_PAYLOAD_BYTES);
    const optional = (key: keyof typeof ANNOTATIONS) => {
      const value = annotations[ANNOTATIONS[key]];
      return value === undefined || value === '' ? {} : { [key]: value };
    };
    signatures.push({
      layer: layer.digest,
      payload,
      signature: annotations[ANNOTATIONS.signature] ?? '',
      ...optional('certificate'),
      ...optional('chain'),
      ...optional('bundle'),
    });
  }
  return signatures;
}
