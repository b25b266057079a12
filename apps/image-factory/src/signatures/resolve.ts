/**
 * Which `verify` policy applies to a repository: an enrolled image's own (else `defaults.verify`); for any other
 * image (a base image), the first `baseImagePolicies` entry whose `match` covers it (else `defaults.verify`).
 * Null: no policy, signatures are not checked.
 */
import type { Enrolment } from '../enrolment/types.js';
import { matchesReference } from './match.js';
import type { VerifyPolicy } from './policy.js';

/** Each enrolment's images by `registry/repository` (the first one enrolled wins, as a search in order would). */
const enrolledBy = new WeakMap<Enrolment, ReadonlyMap<string, Enrolment['images'][number]>>();

function enrolledAt(enrolment: Enrolment, registry: string, repository: string) {
  let index = enrolledBy.get(enrolment);
  if (index === undefined) {
    const built = new Map<string, Enrolment['images'][number]>();
    for (const image of enrolment.images) {
      const key = `${image.registry}/${image.repository}`;
      if (!built.has(key)) built.set(key, image);
    }
    enrolledBy.set(enrolment, built);
    index = built;
  }
  return index.get(`${registry}/${repository}`);
}

/**
 * The policy for `registry/repository` under an enrolment, or null. Asked once per base a rebuild plans for, so the
 * enrolled images are looked up by repository, not searched (1,000 bases × 2,500 images cost the sweep 0.25 s).
 */
export function policyFor(enrolment: Enrolment, registry: string, repository: string): VerifyPolicy | null {
  const enrolled = enrolledAt(enrolment, registry, repository);
  if (enrolled !== undefined) return enrolled.verify ?? enrolment.defaults.verify ?? null;
  const base = (enrolment.baseImagePolicies ?? []).find((p) => matchesReference(p.match, registry, repository));
  return base?.verify ?? enrolment.defaults.verify ?? null;
}
