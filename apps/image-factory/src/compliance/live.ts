/**
 * `compliance --live`: the tags worth asking the registry about (those of repositories the factory knows: the others
 * are untracked anyway), and asking, one HEAD per distinct tag. A lookup that fails is kept with its error, so the
 * verdict says "unverified" and the command's exit status says the registry could not be asked.
 */

import type { Enrolment } from '../enrolment/types.js';
import { EXIT, exitCodeOf, FactoryError, messageOf } from '../errors.js';
import { verdictOf } from '../rebuild/index.js';
import { normaliseReference } from '../reference/normalise.js';
import type { RegistryClient } from '../registry/client.js';
import {
  type KeyFileReader,
  policyFor,
  type TrustRoot,
  type VerifyPolicy,
  verifyImageSignatures,
} from '../signatures/index.js';
import type { StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { mapLimit } from '../util/map-limit.js';
import { digestKey, type SignatureFinding } from './check.js';
import type { RunningContainer } from './pods.js';

/** A tag to ask about, by its key `registry/repository:tag` (the key checkCompliance reads). */
export interface TagToAsk {
  readonly key: string;
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
}

/** The distinct tags the containers run of repositories the state knows, sorted by key. */
export function tagsToAsk(containers: readonly RunningContainer[], state: StateSnapshot): TagToAsk[] {
  const repositories = new Set(
    [...state.baseImages.values(), ...state.images.values()].map((x) => `${x.registry}/${x.repository}`),
  );
  const tags = new Map<string, TagToAsk>();
  for (const container of containers) {
    const parsed = normaliseReference(container.image);
    if (!parsed.ok || parsed.value.tag === null) continue;
    const { registry, repository, tag } = parsed.value;
    const key = `${registry}/${repository}:${tag}`;
    if (repositories.has(`${registry}/${repository}`)) tags.set(key, { key, registry, repository, tag });
  }
  return [...tags.values()].sort((a, b) => compareCodeUnits(a.key, b.key));
}

/** What the registry answered: the newest digest of each tag, and the tags it could not be asked about. */
export interface NewestDigests {
  readonly newest: ReadonlyMap<string, string>;
  /** By key: why the lookup failed. */
  readonly failed: ReadonlyMap<string, string>;
  /** 0 when every lookup answered; 3 when one kept failing (safe to run again); else 1 (refused, not found). */
  readonly exitCode: number;
}

/** HEAD each tag (`concurrency` at a time). */
export async function askNewest(
  client: RegistryClient,
  tags: readonly TagToAsk[],
  concurrency: number,
): Promise<NewestDigests> {
  const newest = new Map<string, string>();
  const failed = new Map<string, string>();
  let exitCode = 0;
  await mapLimit(tags, concurrency, async (t) => {
    try {
      newest.set(t.key, (await client.head({ registry: t.registry, repository: t.repository }, t.tag)).digest);
    } catch (error) {
      failed.set(t.key, messageOf(error));
      exitCode = Math.max(exitCode, error instanceof FactoryError ? exitCodeOf(error.code) : 1);
    }
  });
  return { newest, failed, exitCode };
}

/** What --live's signature checks found: findings by `registry/repository@digest`, and an exit status. */
export interface SignatureChecks {
  readonly findings: ReadonlyMap<string, SignatureFinding>;
  /** 0 when every check was made; 3 when one could not be (the registry kept failing): safe to run again. */
  readonly exitCode: number;
}

/**
 * Check the signatures of each distinct digest the containers run, of a repository a `verify` policy covers
 * (policyFor: the image's own, baseImagePolicies, defaults), `concurrency` at a time. A digest that fails is a
 * finding (blocked under enforce, warning under warn); a check that could not be made is `unverifiable`.
 */
export async function askSignatures(
  client: RegistryClient,
  containers: readonly RunningContainer[],
  state: StateSnapshot,
  enrolment: Enrolment,
  readKeyFile: KeyFileReader,
  concurrency: number,
  /** A private Sigstore's trusted root; absent: Sigstore's public-good root. */
  trust?: TrustRoot,
): Promise<SignatureChecks> {
  const known = new Set(
    [...state.baseImages.values(), ...state.images.values()].map((x) => `${x.registry}/${x.repository}`),
  );
  const targets = new Map<string, { registry: string; repository: string; digest: string; policy: VerifyPolicy }>();
  for (const c of containers) {
    const parsed = normaliseReference(c.image);
    if (!parsed.ok || c.digest === null) continue;
    const { registry, repository } = parsed.value;
    if (!known.has(`${registry}/${repository}`)) continue;
    const policy = policyFor(enrolment, registry, repository);
    if (policy !== null)
      targets.set(digestKey(registry, repository, c.digest), { registry, repository, digest: c.digest, policy });
  }
  const findings = new Map<string, SignatureFinding>();
  let exitCode = 0;
  const sorted = [...targets].sort(([a], [b]) => compareCodeUnits(a, b));
  await mapLimit(sorted, concurrency, async ([key, t]) => {
    try {
      const verification = await verifyImageSignatures(client, t, t.digest, t.policy, readKeyFile, trust);
      const verdict = verdictOf(verification, t.policy);
      if (verdict.status === 'blocked' || verdict.status === 'warning')
        findings.set(key, { verdict: verdict.status, reason: verdict.reason });
    } catch (error) {
      if (error instanceof FactoryError && error.code === 'invalid-enrolment') throw error;
      findings.set(key, { verdict: 'unverifiable', reason: `signature not verified: ${messageOf(error)}` });
      exitCode = EXIT.transient;
    }
  });
  return { findings, exitCode };
}
