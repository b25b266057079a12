/**
 * Which `verify` policy applies to a repository: an enrolled image's own (else `defaults.verify`); for any other
 * image (a base image), the first `baseImagePolicies` entry whose `match` covers it (else `defaults.verify`).
 * Null: no policy, signatures are not checked.
 */
import type { Enrolment } from '../enrolment/types.js';
import { matchesReference } from './match.js';
import type { VerifyPolicy } from './policy.js';

/** The policy for `registry/repository` under an enrolment, or null. */
export function policyFor(enrolment: Enrolment, registry: string, repository: string): VerifyPolicy | null {
  const enrolled = enrolment.images.find((image) => image.registry === registry && image.repository === repository);
  if (enrolled !== undefined) return enrolled.verify ?? enrolment.defaults.verify ?? null;
  const base = (enrolment.baseImagePolicies ?? []).find((p) => matchesReference(p.match, registry, repository));
  return base?.verify ?? enrolment.defaults.verify ?? null;
}
