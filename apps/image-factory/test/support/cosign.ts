/**
 * Signatures made by the tests exactly in cosign's legacy layout, pushed to the test registry: the tag
 * `sha256-<hex>.sig`, an OCI manifest whose layers are simple-signing payloads
 * (`application/vnd.dev.cosign.simplesigning.v1+json`) with the base64 DER signature in the annotation
 * `dev.cosignproject.cosign/signature`, signed with ECDSA P-256 keys as `cosign generate-key-pair` makes them
 * (what `cosign sign --key … --tlog-upload=false` writes). The same helpers as test/signatures-legacy.test.ts.
 */
import { createHash, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { pushBlob, pushManifest, type TestRegistry } from './registry.js';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';

/** A key pair as `cosign generate-key-pair` makes: ECDSA P-256, the public half as a PEM SPKI (cosign.pub). */
export function keyPair(): { privateKey: KeyObject; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** cosign's simple-signing payload for `digest`; `digestKey` lets a test write the key as the spec's example does. */
export function simpleSigningPayload(reference: string, digest: string, digestKey = 'docker-manifest-digest'): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': reference },
        image: { [digestKey]: digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

/** The base64 DER ECDSA signature of `bytes` (SHA-256), as cosign writes it. */
export const signBytes = (key: KeyObject, bytes: Buffer): string =>
  createSign('sha256').update(bytes).sign(key).toString('base64');

/** `sha256:<hex>` of a PEM public key's DER: how a verdict names the key that signed. */
export function pemFingerprint(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

/** Push a legacy `.sig` manifest for `imageDigest` with one layer per signature given. */
export async function pushSignatures(
  registry: TestRegistry,
  repository: string,
  imageDigest: string,
  layers: readonly { payload: Buffer; signature: string; annotations?: Record<string, string> }[],
): Promise<void> {
  const descriptors = [];
  for (const layer of layers) {
    const blob = await pushBlob(registry, repository, layer.payload, SIMPLE_SIGNING);
    descriptors.push({
      mediaType: SIMPLE_SIGNING,
      size: blob.size,
      digest: blob.digest,
      annotations: { 'dev.cosignproject.cosign/signature': layer.signature, ...layer.annotations },
    });
  }
  const config = await pushBlob(
    registry,
    repository,
    Buffer.from(
      JSON.stringify({
        architecture: '',
        created: '0001-01-01T00:00:00Z',
        history: [{ created: '0001-01-01T00:00:00Z' }],
        os: '',
        rootfs: { type: 'layers', diff_ids: descriptors.map((d) => d.digest) },
        config: {},
      }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );
  await pushManifest(registry, repository, `${imageDigest.replace(':', '-')}.sig`, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: config.mediaType, size: config.size, digest: config.digest },
    layers: descriptors,
  });
}

/** Sign `digest` of `registry/repository` with `key`, as `cosign sign --key` (no log upload) does. */
export async function cosignSign(
  registry: TestRegistry,
  repository: string,
  digest: string,
  key: KeyObject,
): Promise<void> {
  const payload = simpleSigningPayload(`${registry.host}/${repository}`, digest);
  await pushSignatures(registry, repository, digest, [{ payload, signature: signBytes(key, payload) }]);
}
