/**
 * `inspect REF --verify` on cosign's legacy layout (issue 22, DESIGN §12), against the real registry: the tests
 * sign images themselves exactly as `cosign sign --key` (without a log upload) writes them — the tag
 * `sha256-<hex>.sig`, an OCI manifest whose layer is the simple-signing payload
 * (`application/vnd.dev.cosign.simplesigning.v1+json`) with the base64 DER ECDSA signature in the annotation
 * `dev.cosignproject.cosign/signature` — with ECDSA P-256 keys as `cosign generate-key-pair` makes them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cli } from './helpers.js';
import {
  pemFingerprint as fingerprint,
  keyPair,
  simpleSigningPayload as payload,
  pushSignatures,
  signBytes as sign,
} from './support/cosign.js';
import { tempDir } from './support/git-repos.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

let registry: TestRegistry;
let config: string;
let root: string;
const trusted = keyPair();
const stranger = keyPair();
const images: Record<string, Pushed> = {};

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  const ref = (repository: string) => `${registry.host}/${repository}`;
  for (const name of [
    'signed',
    'wrong-key',
    'other-digest',
    'tampered',
    'unsigned',
    'capitalised',
    'two',
    'many',
    'keyless',
  ]) {
    images[name] = await pushImage(registry, `acme/${name}`, '1', { layer: name });
  }
  const digest = (name: string) => images[name]?.digest ?? '';
  const good = (name: string) => payload(ref(`acme/${name}`), digest(name));
  await pushSignatures(registry, 'acme/signed', digest('signed'), [
    { payload: good('signed'), signature: sign(trusted.privateKey, good('signed')) },
  ]);
  await pushSignatures(registry, 'acme/wrong-key', digest('wrong-key'), [
    { payload: good('wrong-key'), signature: sign(stranger.privateKey, good('wrong-key')) },
  ]);
  // A valid signature by the trusted key, but over another image's digest (copied next to this one).
  const elsewhere = payload(ref('acme/other-digest'), digest('signed'));
  await pushSignatures(registry, 'acme/other-digest', digest('other-digest'), [
    { payload: elsewhere, signature: sign(trusted.privateKey, elsewhere) },
  ]);
  const tampered = Buffer.from(sign(trusted.privateKey, good('tampered')), 'base64');
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01;
  await pushSignatures(registry, 'acme/tampered', digest('tampered'), [
    { payload: good('tampered'), signature: tampered.toString('base64') },
  ]);
  const capitalised = payload(ref('acme/capitalised'), digest('capitalised'), 'Docker-manifest-digest');
  await pushSignatures(registry, 'acme/capitalised', digest('capitalised'), [
    { payload: capitalised, signature: sign(trusted.privateKey, capitalised) },
  ]);
  // One signature by a stranger, one by the trusted key: one valid signature is enough.
  await pushSignatures(registry, 'acme/two', digest('two'), [
    { payload: good('two'), signature: sign(stranger.privateKey, good('two')) },
    { payload: good('two'), signature: sign(trusted.privateKey, good('two')) },
  ]);
  // A keyless signature carries its Fulcio certificate (here a self-made one: only its presence matters so far).
  const keyFile = join(tempDir('if-keyless-'), 'key.pem');
  writeFileSync(keyFile, trusted.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const certificate = execFileSync('openssl', ['req', '-x509', '-key', keyFile, '-subj', '/CN=keyless', '-days', '1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  await pushSignatures(registry, 'acme/keyless', digest('keyless'), [
    {
      payload: good('keyless'),
      signature: sign(trusted.privateKey, good('keyless')),
      annotations: { 'dev.sigstore.cosign/certificate': certificate },
    },
  ]);
  // 33 valid signatures: more layers than are read (each costs a blob GET).
  const many = Array.from({ length: 33 }, (_, i) => {
    const bytes = Buffer.concat([good('many'), Buffer.from(' '.repeat(i))]);
    return { payload: bytes, signature: sign(trusted.privateKey, bytes) };
  });
  await pushSignatures(registry, 'acme/many', digest('many'), many);

  root = tempDir('if-signatures-');
  mkdirSync(join(root, 'keys'));
  writeFileSync(join(root, 'keys', 'cosign.pub'), trusted.publicPem);
  writeFileSync(
    join(root, 'key-policy.yaml'),
    `keys:\n  - pem: |\n${trusted.publicPem
      .trim()
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n')}\nrequireTransparencyLog: false\n`,
  );
  writeFileSync(join(root, 'log-required.yaml'), 'keys:\n  - file: keys/cosign.pub\n');
  writeFileSync(
    join(root, 'warn.yaml'),
    'mode: warn\nkeys:\n  - file: keys/cosign.pub\nrequireTransparencyLog: false\n',
  );
}, 60_000);

afterAll(() => registry?.stop());

const verify = async (name: string, ...extra: string[]) => {
  const result = await cli([
    'inspect',
    `${registry.host}/acme/${name}:1`,
    '--verify',
    '--json',
    '--root',
    root,
    '--registry-config',
    config,
    '--insecure-registry',
    registry.host,
    ...extra,
  ]);
  return { ...result, json: result.stdout === '' ? undefined : JSON.parse(result.stdout) };
};

describe('inspect --verify --policy FILE: keyed legacy signatures', () => {
  const policy = () => ['--policy', join(root, 'key-policy.yaml')];

  test('a digest signed by the policy key is verified (exit 0), the signature shown as the contract says', async () => {
    const result = await verify('signed', ...policy());
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.json.digest).toBe(images.signed?.digest);
    expect(result.json.verification).toEqual({
      verified: true,
      reason: null,
      signatures: [
        {
          format: 'legacy',
          kind: 'key',
          issuer: null,
          subject: fingerprint(trusted.publicPem),
          tlog: false,
          valid: true,
          problem: null,
        },
      ],
    });
  });

  test('a signature by another key fails the enforced policy: exit 1, the reason says no trusted key signed', async () => {
    const result = await verify('wrong-key', ...policy());
    expect(result.status).toBe(1);
    expect(result.json.verification.verified).toBe(false);
    expect(result.json.verification.signatures).toHaveLength(1);
    expect(result.json.verification.signatures[0].valid).toBe(false);
    expect(result.json.verification.signatures[0].problem).toMatch(/not signed by any key the policy trusts/);
    expect(result.json.verification.reason).toMatch(/no signature .* satisfies the policy/);
  });

  test("a valid signature over another image's digest does not verify this one", async () => {
    const result = await verify('other-digest', ...policy());
    expect(result.status).toBe(1);
    expect(result.json.verification.verified).toBe(false);
    expect(result.json.verification.signatures[0].problem).toContain(`signs ${images.signed?.digest}, not this image`);
  });

  test('a tampered signature (one bit flipped) fails', async () => {
    const result = await verify('tampered', ...policy());
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures[0].valid).toBe(false);
  });

  test('an image with no .sig tag is unsigned: exit 1, "not signed", no signatures', async () => {
    const result = await verify('unsigned', ...policy());
    expect(result.status).toBe(1);
    expect(result.json.verification).toEqual({
      verified: false,
      reason: `${images.unsigned?.digest} is not signed (no cosign signature found)`,
      signatures: [],
    });
  });

  test("the payload's docker-manifest-digest key is matched case-insensitively (the spec's example capitalises it)", async () => {
    const result = await verify('capitalised', ...policy());
    expect(result.status).toBe(0);
    expect(result.json.verification.verified).toBe(true);
  });

  test('a keyless signature without a transparency-log entry is never accepted, even when the key policy trusts its key', async () => {
    const result = await verify('keyless', ...policy());
    expect(result.status).toBe(1);
    expect(result.json.verification.signatures).toEqual([
      {
        format: 'legacy',
        kind: 'keyless',
        issuer: null,
        subject: null,
        tlog: false,
        valid: false,
        problem: 'TIMESTAMP_ERROR: expected 1 timestamps, got 0',
      },
    ]);
  });

  test('more than 32 signature layers are refused with a message naming the tag, not read one blob each', async () => {
    const result = await verify('many', ...policy());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `acme/many:${images.many?.digest.replace(':', '-')}.sig has 33 signatures, more than the 32 read: refused`,
    );
  });

  test('one valid signature among others is enough; each is reported', async () => {
    const result = await verify('two', ...policy());
    expect(result.status).toBe(0);
    expect(result.json.verification.signatures.map((s: { valid: boolean }) => s.valid)).toEqual([false, true]);
  });
});

describe('inspect --verify without --json', () => {
  test('the verdict and each signature are rows of the text output; an enforced failure exits 1', async () => {
    const args = (name: string) => [
      'inspect',
      `${registry.host}/acme/${name}:1`,
      '--verify',
      '--policy',
      join(root, 'key-policy.yaml'),
      '--registry-config',
      config,
      '--insecure-registry',
      registry.host,
    ];
    const good = await cli(args('signed'));
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^verification +verified$/m);
    expect(good.stdout).toMatch(
      new RegExp(`^signature 1 +legacy key ${fingerprint(trusted.publicPem)}, tlog no: valid$`, 'm'),
    );
    const bad = await cli(args('unsigned'));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^verification +NOT verified: sha256:[a-f0-9]{64} is not signed/m);
  });

  test('--policy without --verify is a usage error (exit 2)', async () => {
    const result = await cli(['inspect', `${registry.host}/acme/signed:1`, '--policy', join(root, 'key-policy.yaml')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--policy takes effect with --verify only');
  });

  test('a policy file with a problem is reported at file:line:column before the registry is asked', async () => {
    writeFileSync(join(root, 'bad-policy.yaml'), 'keys:\n  - pem: not a key\n');
    const result = await verify('signed', '--policy', join(root, 'bad-policy.yaml'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('bad-policy.yaml:2:10: keys[0].pem must be a PEM public key');
  });
});

describe('policy defaults and modes', () => {
  test('a transparency-log entry is required unless the policy says otherwise: a keyed signature without one fails', async () => {
    const result = await verify('signed', '--policy', join(root, 'log-required.yaml'));
    expect(result.status).toBe(1);
    const [signature] = result.json.verification.signatures;
    expect(signature).toMatchObject({ kind: 'key', tlog: false, valid: false });
    expect(signature.problem).toMatch(/transparency-log/);
  });

  test('mode warn reports the failure and exits 0', async () => {
    const result = await verify('wrong-key', '--policy', join(root, 'warn.yaml'));
    expect(result.status).toBe(0);
    expect(result.json.verification.verified).toBe(false);
  });
});

describe("without --policy, images.yaml's policy applies", () => {
  const enrol = (yaml: string) => writeFileSync(join(root, 'images.yaml'), yaml);

  test('a base image covered by baseImagePolicies (key from a file in the repository)', async () => {
    enrol(
      `images: []\nbaseImagePolicies:\n  - match: "${registry.host}/acme/*"\n    verify:\n      keys:\n        - file: keys/cosign.pub\n      requireTransparencyLog: false\n`,
    );
    expect((await verify('signed')).status).toBe(0);
    expect((await verify('wrong-key')).status).toBe(1);
  });

  test("an enrolled image's own verify wins over defaults.verify", async () => {
    enrol(
      `defaults:\n  verify:\n    mode: warn\n    keys:\n      - file: keys/cosign.pub\nimages:\n  - name: unsigned\n    registry: ${registry.host}\n    repository: acme/unsigned\n    allowTags: '^1$'\n    verify:\n      keys:\n        - file: keys/cosign.pub\n`,
    );
    // defaults (warn) would exit 0; the image's own policy enforces.
    expect((await verify('unsigned')).status).toBe(1);
    // Another image falls back to defaults.verify: warn.
    expect((await verify('wrong-key')).status).toBe(0);
  });

  test('no policy applies: reported, exit 0', async () => {
    enrol('images: []\n');
    const result = await verify('signed');
    expect(result.status).toBe(0);
    expect(result.json.verification.verified).toBe(false);
    expect(result.json.verification.reason).toMatch(/no verify policy applies/);
  });

  test('a key file that is missing is an error naming the file', async () => {
    enrol(`defaults:\n  verify:\n    keys:\n      - file: keys/missing.pub\nimages: []\n`);
    const result = await verify('signed');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('keys/missing.pub does not exist');
  });
});
