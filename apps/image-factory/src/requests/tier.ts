/**
 * Which tier a request falls in (pure): its kind is `base` when the repository it names is a base image of a
 * managed image the factory tracks (a base-images/ state file with dependents, any tag), `external` otherwise; the
 * tier is the first of `requests.tiers` whose `when` holds for the request (every condition given must hold; an
 * absent `when` holds for every request).
 */
import { matchesReference } from '../signatures/match.js';
import type { StateSnapshot } from '../state/types.js';
import type { RequestKind, RequestsPolicy, RequestTier } from './schema.js';

/** What a tier is chosen by. */
export interface TierInput {
  readonly registry: string;
  readonly repository: string;
  readonly team: string;
  readonly environment: string;
  readonly kind: RequestKind;
}

/** `base` when state tracks `registry/repository` as a base image something is built on, else `external`. */
export function requestKind(state: StateSnapshot, registry: string, repository: string): RequestKind {
  for (const base of state.baseImages.values()) {
    if (base.registry === registry && base.repository === repository && base.dependents.length > 0) return 'base';
  }
  return 'external';
}

/** Does `tier`'s `when` hold for `input`? */
export function tierMatches(tier: RequestTier, input: TierInput): boolean {
  const when = tier.when;
  if (when === undefined) return true;
  if (when.environment !== undefined && !when.environment.includes(input.environment)) return false;
  if (when.team !== undefined && !when.team.includes(input.team)) return false;
  if (when.kind !== undefined && !when.kind.includes(input.kind)) return false;
  if (when.repository !== undefined && !matchesReference(when.repository, input.registry, input.repository))
    return false;
  return true;
}

/** The first tier of `policy` whose `when` holds for `input`, or null when none does. */
export function tierFor(policy: RequestsPolicy, input: TierInput): RequestTier | null {
  return policy.tiers.find((tier) => tierMatches(tier, input)) ?? null;
}
