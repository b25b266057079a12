/**
 * Keyless signatures and OCI 1.1 bundles (issue 22 items 2 and 4, DESIGN §12), against the real registry: a test
 * Sigstore (signatures-sigstore.ts: `@sigstore/mock`'s CA, CT log and transparency log, and the trusted_root.json
 * that trusts them, given with --trust-root) signs images in exactly cosign's layouts; `inspect --verify` must accept
 * only a signature by an identity the policy names, over this very digest, with a certificate valid when logged.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cli } from './helpers.js';
import {
  type Identity,
  pushLegacySignatures,
  pushOciBundle,
  simpleSigning,
  type TestSigstore,
  testSigstore,
} from './signatures-sigstore.js';
import { tempDir } from './support/git-repos.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  pushIndex,
  pushManifest,
  type RegistryProxy,
  startProxy,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

const GITHUB = 'https://token.actions.githubusercontent.com';
const RELEASE: Identity = {
  subject: 'https://github.com/acme/base/.github/workflows/release.yml@refs/heads/main',
  issuer: GITHUB,
};

let registry: TestRegistry;
let proxy: RegistryProxy;
let sigstore: TestSigstore;
let config: string;
let root: string;
let trustRoot: string;
const images: Record<string, Pushed> = {};
const platforms: Record<string, Pushed> = {};

const digest = (name: string) => images[name]?.digest ?? '';
const ref = (name: string) => `${registry.host}/acme/${name}`;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  proxy = await startProxy(registry);
  config = dockerConfig({ [registry.host]: basicAuthEntry(), [proxy.host]: basicAuthEntry() });
  sigstore = await testSigstore();
  for (const name of [
    'keyless',
    'wrong-identity',
    'wrong-issuer',
    'soyland',
    'other-digest',
    'tampered',
    'expired',
    'unsigned',
    'bundle-tag',
    'bundle-api',
    'bundle-other-digest',
    'bundle-wrong-subject',
    'keyed-logged',
    'bundle-keyed',
  ]) {
    images[name] = await pushImage(registry, `acme/${name}`, '1', { layer: name });
  }
  const legacy = async (name: string, identity: Identity, options: { logTime?: Date; payloadOf?: string } = {}) => {
    const signer = await sigstore.signer(identity);
    const payload = simpleSigning(ref(name), options.payloadOf ?? digest(name));
    const layer = await sigstore.legacyLayer(
      signer,
      payload,
      options.logTime === undefined ? {} : { logTime: options.logTime },
    );
    await pushLegacySignatures(registry, `acme/${name}`, digest(name), [layer]);
    return layer;
  };
  await legacy('keyless', RELEASE);
  await legacy('wrong-identity', {
    ...RELEASE,
    subject: 'https://github.com/mallory/base/.github/workflows/release.yml@refs/heads/main',
  });
  await legacy('wrong-issuer', { ...RELEASE, issuer: 'https://accounts.google.com' });
  await legacy('soyland', { subject: 'cody@soyland.com', issuer: 'https://accounts.google.com' });
  // A valid keyless signature of another image, copied next to this one.
  await legacy('other-digest', RELEASE, { payloadOf: digest('keyless') });
  // Logged an hour after the certificate was issued: Fulcio's certificates live 10 minutes.
  await legacy('expired', RELEASE, { logTime: new Date(Date.now() + 3_600_000) });
  // The signature annotation changed after signing and logging (one bit).
  const signer = await sigstore.signer(RELEASE);
  const good = await sigstore.legacyLayer(signer, simpleSigning(ref('tampered'), digest('tampered')));
  const flipped = Buffer.from(good.signature, 'base64');
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
  await pushLegacySignatures(registry, 'acme/tampered', digest('tampered'), [
    { ...good, signature: flipped.toString('base64') },
  ]);

  // A multi-platform image whose arm64 manifest is signed, and that signature copied to the index's tag.
  platforms.amd64 = await pushImage(registry, 'acme/platforms', undefined, { layer: 'amd64' });
  platforms.arm64 = await pushImage(registry, 'acme/platforms', undefined, { architecture: 'arm64', layer: 'arm64' });
  images.platforms = await pushIndex(registry, 'acme/platforms', '1', 'oci', [
    { image: platforms.amd64, platform: { os: 'linux', architecture: 'amd64' } },
    { image: platforms.arm64, platform: { os: 'linux', architecture: 'arm64' } },
  ]);
  const arm = await sigstore.legacyLayer(signer, simpleSigning(ref('platforms'), platforms.arm64.digest));
  await pushLegacySignatures(registry, 'acme/platforms', platforms.arm64.digest, [arm]);
  await pushLegacySignatures(registry, 'acme/platforms', digest('platforms'), [arm]);

  // OCI 1.1: through the referrers tag (distribution 2.8 has no referrers API) and through the API (the proxy's).
  const bundleTag = images['bundle-tag'];
  const bundleApi = images['bundle-api'];
  const otherDigest = images['bundle-other-digest'];
  const wrongSubject = images['bundle-wrong-subject'];
  if (bundleTag === undefined || bundleApi === undefined || otherDigest === undefined || wrongSubject === undefined)
    throw new Error('images not pushed');
  await pushOciBundle(registry, 'acme/bundle-tag', bundleTag, await sigstore.ociBundle(signer, bundleTag.digest), {
    referrersTag: true,
  });
  const apiReferrer = await pushOciBundle(
    registry,
    'acme/bundle-api',
    bundleApi,
    await sigstore.ociBundle(signer, bundleApi.digest),
    { referrersTag: false },
  );
  apiReferrers = apiReferrer;
  // The statement names another image (a bundle copied next to this one).
  await pushOciBundle(
    registry,
    'acme/bundle-other-digest',
    otherDigest,
    await sigstore.ociBundle(signer, digest('keyless')),
    {
      referrersTag: true,
    },
  );
  // A referrers tag listing a manifest whose subject is another image: the list is a hint, the subject decides.
  const elsewhere = await pushOciBundle(
    registry,
    'acme/bundle-wrong-subject',
    bundleTag,
    await sigstore.ociBundle(signer, wrongSubject.digest),
    {
      referrersTag: false,
    },
  );
  await pushManifest(registry, 'acme/bundle-wrong-subject', wrongSubject.digest.replace(':', '-'), {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [elsewhere],
  });

  // A keyed signature uploaded to the log (cosign sign --key, the default --tlog-upload=true).
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyed = await sigstore.keyedLayer(
    privateKey,
    publicPem,
    simpleSigning(ref('keyed-logged'), digest('keyed-logged')),
  );
  await pushLegacySignatures(registry, 'acme/keyed-logged', digest('keyed-logged'), [keyed]);
  const bundleKeyed = images['bundle-keyed'];
  if (bundleKeyed === undefined) throw new Error('images not pushed');
  await pushOciBundle(
    registry,
    'acme/bundle-keyed',
    bundleKeyed,
    await sigstore.ociBundle({ key: privateKey, publicPem }, bundleKeyed.digest),
    { referrersTag: true },
  );

  root = tempDir('if-keyless-');
  const indented = publicPem
    .trim()
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
  writeFileSync(join(root, 'key.yaml'), `keys:\n  - pem: |\n${indented}\n`);
  trustRoot = join(root, 'trusted_root.json');
  writeFileSync(trustRoot, JSON.stringify(sigstore.trustedRoot));
  const identityPolicy = (subject: string) => `identities:\n  - issuer: ${GITHUB}\n    ${subject}\n`;
  writeFileSync(join(root, 'release.yaml'), identityPolicy(`subject: ${RELEASE.subject}`));
  writeFileSync(
    join(root, 'soyland.yaml'),
    'identities:\n  - issuer: https://accounts.google.com\n    subjectRegExp: soyland\n',
  );
  writeFileSync(
    join(root, 'soyland-domain.yaml'),
    "identities:\n  - issuer: https://accounts.google.com\n    subjectRegExp: '[a-z]+@soyland\\.com'\n",
  );
}, 120_000);

let apiReferrers: { mediaType: string; digest: string; size: number; artifactType: string } | undefined;

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

const verify = async (
  name: string,
  policy = 'release.yaml',
  options: { host?: string; trust?: string | null } = {},
) => {
  const host = options.host ?? registry.host;
  const trust =
    options.trust === undefined
      ? ['--trust-root', trustRoot]
      : options.trust === null
        ? []
        : ['--trust-root', options.trust];
  const result = await cli([
    'inspect',
    `${host}/acme/${name}:1`,
    '--verify',
    '--json',
    '--policy',
    join(root, policy),
    ...trust,
    '--registry-config',
    config,
    '--insecure-registry',
    host,
  ]);
  return { ...result, json: result.stdout === '' ? undefined : JSON.parse(result.stdout) };
};

describe('keyless legacy signatures (sha256-<hex>.sig with certificate and Rekor bundle)', () => {
  test('signed by the identity the policy names, logged while the certificate was valid: verified, shown in full', async () => {
    const result = await verify('keyless');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.json.verification).toEqual({
      verified: true,
      reason: null,
      signatures: [
        {
          format: 'legacy',
          kind: 'keyless',
          issuer: GITHUB,
          subject: RELEASE.subject,
          tlog: true,
          valid: true,
          problem: null,
        },
      ],
    });
  });

  test('another subject from the same issuer: exit 1, the signer named', async () => {
    const result = await verify('wrong-identity');
    expect(result.status).toBe(1);
    const [signature] = result.json.verification.signatures;
    expect(signature).toMatchObject({ kind: 'keyless', issuer: GITHUB, tlog: true, valid: false });
    expect(signature.problem).toContain('signed by https://github.com/mallory/');
    expect(signature.problem).toContain('not an identity the policy names');
  });

  test('the right subject from another issuer: exit 1', async () => {
    const result = await verify('wrong-issuer');
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0]).toMatchObject({
      issuer: 'https://accounts.google.com',
      subject: RELEASE.subject,
      valid: false,
    });
  });

  test("the unanchored-pattern trap: subjectRegExp 'soyland' does not match cody@soyland.com; an anchored domain does", async () => {
    const trap = await verify('soyland', 'soyland.yaml');
    expect(trap.status).toBe(1);
    expect(trap.json.verification.signatures[0]).toMatchObject({ subject: 'cody@soyland.com', valid: false });
    const domain = await verify('soyland', 'soyland-domain.yaml');
    expect(domain.status).toBe(0);
    expect(domain.json.verification.verified).toBe(true);
  });

  test("a valid signature whose payload names another image's digest: exit 1", async () => {
    const result = await verify('other-digest');
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0].problem).toBe(
      `the payload signs ${digest('keyless')}, not this image (${digest('other-digest')})`,
    );
  });

  test('a tampered signature (one bit, after logging): exit 1', async () => {
    const result = await verify('tampered');
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0]).toMatchObject({ kind: 'keyless', valid: false });
  });

  test('a certificate logged after it expired (outside its validity at the log time): exit 1, a certificate error', async () => {
    const result = await verify('expired');
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0].valid).toBe(false);
    expect(result.json.verification.signatures[0].problem).toMatch(/^CERTIFICATE_ERROR: /);
  });

  test("a signature of another platform's manifest does not sign the index (copied next to it: the payload says so)", async () => {
    const result = await verify('platforms');
    expect(result.json.digest).toBe(digest('platforms'));
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0].problem).toContain(
      `the payload signs ${platforms.arm64?.digest}, not this image`,
    );
  });

  test('no signature at all: exit 1, not signed', async () => {
    const result = await verify('unsigned');
    expect(result.status).toBe(1);
    expect(result.json.verification).toEqual({
      verified: false,
      reason: `${digest('unsigned')} is not signed (no cosign signature found)`,
      signatures: [],
    });
  });

  test("without --trust-root, Sigstore's public-good root applies: the test CA's certificate does not chain to it", async () => {
    const result = await verify('keyless', 'release.yaml', { trust: null });
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0]).toMatchObject({ kind: 'keyless', valid: false });
    expect(result.json.verification.signatures[0].problem).toMatch(/CERTIFICATE_ERROR|TLOG/);
  });

  test('a --trust-root that is not a trusted root: exit 1 naming the file; unreadable: exit 2', async () => {
    const bad = join(root, 'not-a-root.json');
    writeFileSync(bad, '{"tlogs": []}');
    const wrong = await verify('keyless', 'release.yaml', { trust: bad });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`trust root ${bad}: mediaType is not application/vnd.dev.sigstore.trustedroot+json`);
    const missing = await verify('keyless', 'release.yaml', { trust: join(root, 'missing.json') });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read the trust root');
  });
});

describe('keyed signatures with a transparency-log entry', () => {
  test('the policy requires a log entry (the default): a keyed signature uploaded to Rekor is verified, tlog true', async () => {
    const result = await verify('keyed-logged', 'key.yaml');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.json.verification.signatures[0]).toMatchObject({
      format: 'legacy',
      kind: 'key',
      tlog: true,
      valid: true,
    });
  });

  test('the same log entry read against another trust root (the public-good one) does not count: exit 1', async () => {
    const result = await verify('keyed-logged', 'key.yaml', { trust: null });
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0]).toMatchObject({ kind: 'key', valid: false });
    expect(result.json.verification.signatures[0].problem).toMatch(/^TLOG_INCLUSION_PROMISE_ERROR|^TLOG/);
  });
});

describe('OCI 1.1 bundles (cosign v3): referrers API, else the sha256-<hex> referrers tag', () => {
  test('found through the referrers tag on a registry without the API (distribution answers 404): verified', async () => {
    const result = await verify('bundle-tag');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.json.verification.signatures).toEqual([
      {
        format: 'bundle',
        kind: 'keyless',
        issuer: GITHUB,
        subject: RELEASE.subject,
        tlog: true,
        valid: true,
        problem: null,
      },
    ]);
  });

  test('found through the referrers API (a proxy that has it); without the API and no tag, the image is unsigned', async () => {
    const apiPath = new RegExp(`^/v2/acme/bundle-api/referrers/${digest('bundle-api')}(\\?|$)`);
    proxy.fail(apiPath, {
      status: 200,
      headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
      body: () =>
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [apiReferrers],
        }),
    });
    const result = await verify('bundle-api', 'release.yaml', { host: proxy.host });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.json.verification.signatures[0]).toMatchObject({ format: 'bundle', valid: true });
    const asked = proxy.requests.filter((r) => apiPath.test(r.path));
    expect(asked.length).toBeGreaterThan(0);
    proxy.reset();
    const direct = await verify('bundle-api');
    expect(direct.status).toBe(1);
    expect(direct.json.verification.signatures).toEqual([]);
  });

  test('a keyed bundle (cosign sign --key, new bundle format): verified by the policy key, not by identities', async () => {
    const keyedResult = await verify('bundle-keyed', 'key.yaml');
    expect(keyedResult.stderr).toBe('');
    expect(keyedResult.status).toBe(0);
    expect(keyedResult.json.verification.signatures[0]).toMatchObject({
      format: 'bundle',
      kind: 'key',
      tlog: true,
      valid: true,
    });
    const byIdentity = await verify('bundle-keyed');
    expect(byIdentity.status).toBe(1);
    expect(byIdentity.json.verification.signatures[0].problem).toBe('a keyed signature, and the policy trusts no key');
  });

  test("a bundle whose statement names another image's digest: exit 1", async () => {
    const result = await verify('bundle-other-digest');
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0].problem).toContain(
      `not this image (${digest('bundle-other-digest')})`,
    );
  });

  test("a referrers tag listing another image's bundle: its subject decides, not the list", async () => {
    const result = await verify('bundle-wrong-subject');
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0].problem).toBe(
      `the bundle manifest's subject is not ${digest('bundle-wrong-subject')}`,
    );
  });
});
