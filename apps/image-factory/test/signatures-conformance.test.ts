/**
 * Sigstore's own conformance cases (sigstore/sigstore-conformance `test/assets/bundle-verify`, copied into
 * test/fixtures/sigstore-conformance with SOURCE.md) run through the factory's verifier: the bundle over its artifact
 * (the case's `artifact`, else `a.txt`), under a policy of the case's identity and issuer (exact), or of its
 * `key.pub`, with a transparency-log entry required, against its `trusted_root.json` or Sigstore's public-good root.
 * A case named `…_fail` must not verify; every other case must. This checks that the adapter and the policy layer do
 * not weaken (or break) what Sigstore's library verifies.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  pemProblem,
  publicGoodTrustRoot,
  trustedKeys,
  trustRootFrom,
  type VerifyPolicy,
  verifyArtifactBundle,
} from '../src/signatures/index.js';
import { fixturePath } from './helpers.js';

const CASES = fixturePath('sigstore-conformance/bundle-verify');
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * Cases the pinned @sigstore/verify 3.1.1 (the last line for Node 20) cannot verify: they must still fail closed,
 * never pass, and this list says why each is here (a newer library would verify them: then this test says so).
 */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  'rekor2-dsse-happy-path':
    "Rekor v2's hashedrekord-over-DSSE entries (rekor-v2-spec §6.1.4) are not understood by @sigstore/verify 3.1.1",
};

const read = (dir: string, file: string) => {
  const path = join(dir, file);
  return existsSync(path) ? readFileSync(path) : undefined;
};

/** The verdict on one case: valid, and the problem when not. */
function verifyCase(name: string): { valid: boolean; problem: string | null } {
  const dir = join(CASES, name);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8'));
  } catch {
    return { valid: false, problem: 'the bundle is not JSON' };
  }
  const keyPem = read(dir, 'key.pub')?.toString('utf8');
  // A key the policy loader refuses (validate, inspect --policy) never reaches the verifier.
  const keyProblem = keyPem === undefined ? null : pemProblem(keyPem);
  if (keyProblem !== null) return { valid: false, problem: `key.pub ${keyProblem}` };
  const policy: VerifyPolicy = {
    mode: 'enforce',
    identities:
      keyPem === undefined
        ? [
            {
              issuer: read(dir, 'issuer')?.toString('utf8').trim() ?? ISSUER,
              subject: read(dir, 'identity')?.toString('utf8').trim() ?? IDENTITY,
            },
          ]
        : [],
    keys: keyPem === undefined ? [] : [{ pem: keyPem }],
    requireTransparencyLog: true,
  };
  const root = read(dir, 'trusted_root.json');
  let trust: ReturnType<typeof publicGoodTrustRoot>;
  try {
    trust = root === undefined ? publicGoodTrustRoot() : trustRootFrom(JSON.parse(root.toString('utf8')), name);
  } catch (error) {
    return { valid: false, problem: `trust root refused: ${error instanceof Error ? error.message : String(error)}` };
  }
  const artifact = read(dir, 'artifact') ?? readFileSync(join(CASES, 'a.txt'));
  const verdict = verifyArtifactBundle(
    json,
    artifact,
    policy,
    trustedKeys(keyPem === undefined ? [] : [keyPem]),
    trust,
  );
  return { valid: verdict.valid, problem: verdict.problem };
}

const cases = readdirSync(CASES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('sigstore-conformance bundle-verify cases through the adapter', () => {
  test('the copied set is there (a copy that lost its cases would pass vacuously)', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(cases.filter((c) => c.endsWith('_fail')).length).toBeGreaterThanOrEqual(30);
  });

  test.each(cases.filter((c) => !c.endsWith('_fail') && UNSUPPORTED[c] === undefined))('%s verifies', (name) => {
    expect(verifyCase(name)).toEqual({ valid: true, problem: null });
  });

  test.each(Object.keys(UNSUPPORTED))('%s (not supported by the pinned library) fails closed', (name) => {
    expect(cases).toContain(name);
    expect(verifyCase(name).valid).toBe(false);
  });

  test.each(cases.filter((c) => c.endsWith('_fail')))('%s does not verify', (name) => {
    expect(verifyCase(name).valid).toBe(false);
  });
});
