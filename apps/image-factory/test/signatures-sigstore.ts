/**
 * A test Sigstore: a Fulcio-like CA with its CT log and a Rekor-like transparency log from `@sigstore/mock` (Sigstore's
 * own test doubles: real X.509 certificates with SCTs, real signed entry timestamps and checkpoints), its
 * `trusted_root.json`, and signatures made with it in exactly cosign's layouts:
 * - legacy (`cosign sign`, `sha256-<hex>.sig`): a simple-signing payload, its ECDSA signature, the Fulcio certificate
 *   (`dev.sigstore.cosign/certificate`), the chain, and Rekor's answer as `dev.sigstore.cosign/bundle`
 *   ({SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}) for a `hashedrekord` entry;
 * - OCI 1.1 (cosign v3): a v0.3 Sigstore bundle holding a DSSE envelope of an in-toto statement
 *   (predicate type https://sigstore.dev/cosign/sign/v1) naming the image digest, logged as a `dsse` entry.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { initializeCA, initializeCTLog, initializeTLog } from '@sigstore/mock';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type Pushed, pushBlob, pushManifest, type TestRegistry } from './support/registry.js';

// cosign's legacy layout is made once, by the keyed tests' helpers (support/cosign.ts): the same payload and `.sig`
// manifest carry a keyless signature's certificate and log entry in their annotations.
export {
  pushSignatures as pushLegacySignatures,
  simpleSigningPayload as simpleSigning,
} from './support/cosign.js';

const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const REKOR_URL = 'https://rekor.test.invalid';
const START = '2020-01-01T00:00:00Z';
export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';

type CA = Awaited<ReturnType<typeof initializeCA>>;
type CTLog = Awaited<ReturnType<typeof initializeCTLog>>;
type TLog = Awaited<ReturnType<typeof initializeTLog>>;

/** One entry of Rekor's answer to a proposed entry (the mock answers as Rekor's API does). */
const LogEntrySchema = Type.Object({
  body: Type.String(),
  integratedTime: Type.Integer(),
  logID: Type.String(),
  logIndex: Type.Integer(),
  verification: Type.Object({
    signedEntryTimestamp: Type.String(),
    inclusionProof: Type.Object({
      logIndex: Type.Integer(),
      rootHash: Type.String(),
      treeSize: Type.Integer(),
      hashes: Type.Array(Type.String()),
      checkpoint: Type.String(),
    }),
  }),
});
type LogEntry = Static<typeof LogEntrySchema>;

const pem = (der: Buffer, label: string) =>
  `-----BEGIN ${label}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;
const sha256hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Who a keyless signature claims to be (the certificate's SAN and OIDC issuer extension). */
export interface Identity {
  readonly subject: string;
  readonly issuer: string;
}

/** A keyless signer: an ephemeral key and its Fulcio certificate. */
export interface KeylessSigner {
  readonly key: KeyObject;
  readonly certificate: Buffer;
  readonly certificatePem: string;
}

/** A keyed signer (`cosign generate-key-pair`): the private key and cosign.pub. */
export interface KeyedSigner {
  readonly key: KeyObject;
  readonly publicPem: string;
}

export interface TestSigstore {
  readonly rootPem: string;
  /** The trusted_root.json that trusts this CA, CT log and transparency log. */
  readonly trustedRoot: object;
  signer(identity: Identity): Promise<KeylessSigner>;
  /** A legacy `.sig` layer over `payload`, logged at `logTime` (default now). */
  legacyLayer(
    signer: KeylessSigner,
    payload: Buffer,
    options?: { logTime?: Date; signature?: Buffer },
  ): Promise<{ payload: Buffer; signature: string; annotations: Record<string, string> }>;
  /** A keyed legacy layer (`cosign sign --key`, uploaded to the log): no certificate, Rekor's bundle. */
  keyedLayer(
    key: KeyObject,
    publicPem: string,
    payload: Buffer,
  ): Promise<{ payload: Buffer; signature: string; annotations: Record<string, string> }>;
  /** A v0.3 bundle (JSON) whose in-toto statement names `digest`: keyless, or keyed (`cosign sign --key`). */
  ociBundle(signer: KeylessSigner | KeyedSigner, digest: string): Promise<object>;
}

/** A CA, CT log and transparency log, with keys made now. */
export async function testSigstore(): Promise<TestSigstore> {
  const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ctKeys = ec();
  const tlogKeys = ec();
  const ctLog: CTLog = await initializeCTLog(ctKeys);
  const ca: CA = await initializeCA(ec(), ctLog);
  const tlogAt = (clock?: Date): Promise<TLog> => initializeTLog(REKOR_URL, tlogKeys, clock);
  const tlogDer = tlogKeys.publicKey.export({ type: 'spki', format: 'der' });
  const ctDer = ctKeys.publicKey.export({ type: 'spki', format: 'der' });
  const root = Buffer.from(ca.rootCertificate.buffer, ca.rootCertificate.byteOffset, ca.rootCertificate.byteLength);
  const logKey = (der: Buffer, url: string) => ({
    baseUrl: url,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: der.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: START } },
    logId: { keyId: createHash('sha256').update(der).digest('base64') },
  });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logKey(tlogDer, REKOR_URL)],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: 'https://fulcio.test.invalid',
        certChain: { certificates: [{ rawBytes: root.toString('base64') }] },
        validFor: { start: START },
      },
    ],
    ctlogs: [logKey(ctDer, 'https://ctfe.test.invalid')],
    timestampAuthorities: [],
  };

  async function logEntry(clock: Date | undefined, proposed: object): Promise<LogEntry> {
    const answer: unknown = await (await tlogAt(clock)).log(proposed);
    const entry: unknown = typeof answer === 'object' && answer !== null ? Object.values(answer)[0] : undefined;
    if (!Value.Check(LogEntrySchema, entry)) throw new Error('the mock log answered no Rekor entry');
    return entry;
  }

  return {
    rootPem: pem(root, 'CERTIFICATE'),
    trustedRoot,
    async signer(identity) {
      const { privateKey, publicKey } = ec();
      const issued = await ca.issueCertificate({
        publicKey: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
        subjectAltName: identity.subject,
        extensions: [{ oid: OID_ISSUER_V2, value: identity.issuer }],
      });
      const certificate = Buffer.from(issued.buffer, issued.byteOffset, issued.byteLength);
      return { key: privateKey, certificate, certificatePem: pem(certificate, 'CERTIFICATE') };
    },
    async legacyLayer(signer, payload, options = {}) {
      const signature = options.signature ?? sign('sha256', payload, signer.key);
      const entry = await logEntry(options.logTime, {
        apiVersion: '0.0.1',
        kind: 'hashedrekord',
        spec: {
          data: { hash: { algorithm: 'sha256', value: sha256hex(payload) } },
          signature: {
            content: signature.toString('base64'),
            publicKey: { content: Buffer.from(signer.certificatePem).toString('base64') },
          },
        },
      });
      const rekorBundle = {
        SignedEntryTimestamp: entry.verification.signedEntryTimestamp,
        Payload: {
          body: entry.body,
          integratedTime: entry.integratedTime,
          logIndex: entry.logIndex,
          logID: entry.logID,
        },
      };
      return {
        payload,
        signature: signature.toString('base64'),
        annotations: {
          'dev.sigstore.cosign/certificate': signer.certificatePem,
          'dev.sigstore.cosign/chain': pem(root, 'CERTIFICATE'),
          'dev.sigstore.cosign/bundle': JSON.stringify(rekorBundle),
        },
      };
    },
    async keyedLayer(key, publicPem, payload) {
      const signature = sign('sha256', payload, key);
      const entry = await logEntry(undefined, {
        apiVersion: '0.0.1',
        kind: 'hashedrekord',
        spec: {
          data: { hash: { algorithm: 'sha256', value: sha256hex(payload) } },
          signature: {
            content: signature.toString('base64'),
            publicKey: { content: Buffer.from(publicPem).toString('base64') },
          },
        },
      });
      const rekorBundle = {
        SignedEntryTimestamp: entry.verification.signedEntryTimestamp,
        Payload: {
          body: entry.body,
          integratedTime: entry.integratedTime,
          logIndex: entry.logIndex,
          logID: entry.logID,
        },
      };
      return {
        payload,
        signature: signature.toString('base64'),
        annotations: { 'dev.sigstore.cosign/bundle': JSON.stringify(rekorBundle) },
      };
    },
    async ociBundle(signer, digest) {
      const [algorithm = 'sha256', hex = ''] = digest.split(':');
      const payloadType = 'application/vnd.in-toto+json';
      const payload = Buffer.from(
        JSON.stringify({
          _type: 'https://in-toto.io/Statement/v1',
          subject: [{ name: '', digest: { [algorithm]: hex } }],
          predicateType: 'https://sigstore.dev/cosign/sign/v1',
          predicate: {},
        }),
      );
      const pae = Buffer.concat([
        Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `),
        payload,
      ]);
      const signature = sign('sha256', pae, signer.key);
      const envelope = {
        payload: payload.toString('base64'),
        payloadType,
        signatures: [{ sig: signature.toString('base64'), keyid: '' }],
      };
      const entry = await logEntry(undefined, {
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: sha256hex(Buffer.from(JSON.stringify(envelope))) },
          payloadHash: { algorithm: 'sha256', value: sha256hex(payload) },
          signatures: [
            {
              signature: signature.toString('base64'),
              verifier: Buffer.from('certificatePem' in signer ? signer.certificatePem : signer.publicPem).toString(
                'base64',
              ),
            },
          ],
        },
      });
      const proof = entry.verification.inclusionProof;
      return {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: {
          ...('certificate' in signer
            ? { certificate: { rawBytes: signer.certificate.toString('base64') } }
            : { publicKey: { hint: createHash('sha256').update(signer.publicPem).digest('base64') } }),
          tlogEntries: [
            {
              logIndex: String(entry.logIndex),
              logId: { keyId: Buffer.from(entry.logID, 'hex').toString('base64') },
              kindVersion: { kind: 'dsse', version: '0.0.1' },
              integratedTime: String(entry.integratedTime),
              inclusionPromise: { signedEntryTimestamp: entry.verification.signedEntryTimestamp },
              inclusionProof: {
                logIndex: String(proof.logIndex),
                rootHash: Buffer.from(proof.rootHash, 'hex').toString('base64'),
                treeSize: String(proof.treeSize),
                hashes: proof.hashes,
                checkpoint: { envelope: proof.checkpoint },
              },
              canonicalizedBody: entry.body,
            },
          ],
          timestampVerificationData: {},
        },
        dsseEnvelope: envelope,
      };
    },
  };
}

/**
 * Push a bundle as cosign v3 does: the bundle blob, the empty config, and a manifest (artifactType the bundle's,
 * `subject` the image) by its digest. `referrersTag`: also write the referrers tag `sha256-<hex>` (an index listing
 * it), as clients do for a registry without the referrers API. Returns the referrer's descriptor.
 */
export async function pushOciBundle(
  registry: TestRegistry,
  repository: string,
  subject: Pushed,
  bundle: object,
  options: { referrersTag: boolean },
): Promise<{ mediaType: string; digest: string; size: number; artifactType: string }> {
  const blob = await pushBlob(registry, repository, Buffer.from(JSON.stringify(bundle)), BUNDLE_TYPE);
  const empty = await pushBlob(registry, repository, Buffer.from('{}'), EMPTY_CONFIG);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: BUNDLE_TYPE,
    config: { mediaType: EMPTY_CONFIG, digest: empty.digest, size: empty.size },
    layers: [{ mediaType: BUNDLE_TYPE, digest: blob.digest, size: blob.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: {
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
    },
  };
  const digest = `sha256:${sha256hex(Buffer.from(JSON.stringify(manifest)))}`;
  const pushed = await pushManifest(registry, repository, digest, manifest);
  const descriptor = {
    mediaType: pushed.mediaType,
    digest: pushed.digest,
    size: pushed.size,
    artifactType: BUNDLE_TYPE,
  };
  if (options.referrersTag) {
    await pushManifest(registry, repository, subject.digest.replace(':', '-'), {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [descriptor],
    });
  }
  return descriptor;
}
