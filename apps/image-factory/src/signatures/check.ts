/**
 * The effects around the verdict: read the policy's key files, read the digest's cosign signatures (legacy tag and
 * OCI 1.1 bundles) from its registry, and hand them to the verdicts (verify.ts, bundles.ts).
 */
import { FactoryError } from '../errors.js';
import type { RegistryClient, RepositoryRef } from '../registry/index.js';
import { readOciBundles, verifyOciBundle } from './bundles.js';
import { readLegacySignatures } from './legacy.js';
import { pemProblem, type VerifyPolicy } from './policy.js';
import { publicGoodTrustRoot, type TrustRoot } from './trust-root.js';
import { trustedKeys, type Verification, verdictOf, verifyLegacySignature } from './verify.js';

/** Reads a key file named by a policy (a path relative to the repository root); null when it does not exist. */
export type KeyFileReader = (file: string) => Promise<string | null>;

/** The PEM texts of a policy's keys, key files read and checked (the message names the file, never its content). */
export async function policyKeyPems(policy: VerifyPolicy, readKeyFile: KeyFileReader): Promise<string[]> {
  const pems: string[] = [];
  for (const key of policy.keys) {
    if ('pem' in key) {
      pems.push(key.pem);
      continue;
    }
    const text = await readKeyFile(key.file);
    if (text === null) throw new FactoryError('invalid-enrolment', `verify key file ${key.file} does not exist`);
    const problem = pemProblem(text);
    if (problem !== null) throw new FactoryError('invalid-enrolment', `verify key file ${key.file} ${problem}`);
    pems.push(text);
  }
  return pems;
}

/**
 * Verify the cosign signatures of `digest` in `repo` against `policy`: the legacy `.sig` tag's, then the OCI 1.1
 * bundles referring to it, each verified against `trust` (default: Sigstore's public-good root).
 */
export async function verifyImageSignatures(
  client: RegistryClient,
  repo: RepositoryRef,
  digest: string,
  policy: VerifyPolicy,
  readKeyFile: KeyFileReader,
  trust: TrustRoot = publicGoodTrustRoot(),
): Promise<Verification> {
  const keys = trustedKeys(await policyKeyPems(policy, readKeyFile));
  const legacy = await readLegacySignatures(client, repo, digest);
  const bundles = await readOciBundles(client, repo, digest);
  return verdictOf(
    [
      ...legacy.map((s) => verifyLegacySignature(s, digest, policy, keys, trust)),
      ...bundles.map((b) => verifyOciBundle(b, digest, policy, keys, trust)),
    ],
    digest,
  );
}
