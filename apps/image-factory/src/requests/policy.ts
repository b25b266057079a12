/**
 * The rules of the `requests:` block the schema cannot say: tier names unique, only the last tier without `when`,
 * `when` naming only the policy's environments and teams, approvals the approvers can give, autoApprove without
 * approvals. Pure: the block as written → the typed policy (defaults applied) or every problem by path.
 */
import { parseDelay } from '../enrolment/duration.js';
import {
  CHAINGUARD_API,
  type ProvisionPolicy,
  type RequestsPolicy,
  type RequestsPolicyEntry,
  type RequestTier,
  type TierEntry,
} from './schema.js';

/** A problem of the block, by path from its root (`tiers`, 0, `when`, …). */
export interface PolicyProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The block checked: the typed policy, or its problems. */
export type CheckedPolicy =
  | { readonly ok: true; readonly value: RequestsPolicy }
  | { readonly ok: false; readonly problems: readonly PolicyProblem[] };

function tierOf(entry: TierEntry): RequestTier {
  const sla = entry.sla === undefined ? null : parseDelay(entry.sla);
  return {
    name: entry.name,
    ...(entry.when === undefined ? {} : { when: entry.when }),
    approvers: {
      github: { teams: entry.approvers.github?.teams ?? [], users: entry.approvers.github?.users ?? [] },
      gitlab: { users: entry.approvers.gitlab?.users ?? [], groups: entry.approvers.gitlab?.groups ?? [] },
    },
    approvals: entry.approvals,
    justification: {
      required: entry.justification?.required ?? false,
      minLength: entry.justification?.minLength ?? 1,
    },
    ...(sla === null ? {} : { slaSeconds: sla }),
    autoApprove: entry.autoApprove ?? false,
  };
}

/** Check a schema-valid `requests:` block. */
export function checkRequestsPolicy(entry: RequestsPolicyEntry): CheckedPolicy {
  const problems: PolicyProblem[] = [];
  const seen = new Map<string, number>();
  entry.tiers.forEach((tier, index) => {
    const at = (path: (string | number)[], message: string) =>
      problems.push({ path: ['tiers', index, ...path], message });
    const first = seen.get(tier.name);
    if (first === undefined) seen.set(tier.name, index);
    else at(['name'], `"${tier.name}" is already the name of tiers[${first}]; tier names must be unique`);
    if (tier.when === undefined && index < entry.tiers.length - 1) {
      at(['when'], 'is required: only the last tier may lack when (a tier without it matches every request)');
    }
    for (const [field, allowed, list] of [
      ['environment', entry.environments, 'requests.environments'],
      ['team', entry.teams, 'requests.teams'],
    ] as const) {
      (tier.when?.[field] ?? []).forEach((value, i) => {
        if (!allowed.includes(value)) at(['when', field, i], `"${value}" is not one of ${list}`);
      });
    }
    const autoApprove = tier.autoApprove ?? false;
    if (autoApprove && tier.approvals > 0) {
      at(['approvals'], 'must be 0 with autoApprove: true (nobody approves an auto-approved request)');
    }
    if (!autoApprove && tier.approvals === 0) {
      at(['approvals'], 'must be at least 1 without autoApprove (or set autoApprove: true)');
    }
    const github = (tier.approvers.github?.teams?.length ?? 0) + (tier.approvers.github?.users?.length ?? 0);
    const gitlab = (tier.approvers.gitlab?.users?.length ?? 0) + (tier.approvers.gitlab?.groups?.length ?? 0);
    if (tier.approvals > 0 && github === 0 && gitlab === 0) {
      at(['approvers'], `must name someone: ${tier.approvals} approval(s) are required`);
    }
    // Users can each approve once; a team can hold several approvers, so only a users-only list is bounded.
    for (const [forge, groups, users] of [
      ['github', tier.approvers.github?.teams?.length ?? 0, tier.approvers.github?.users?.length ?? 0],
      ['gitlab', tier.approvers.gitlab?.groups?.length ?? 0, tier.approvers.gitlab?.users?.length ?? 0],
    ] as const) {
      if (groups === 0 && users > 0 && users < tier.approvals) {
        at(
          ['approvers', forge, 'users'],
          `names ${users} user(s) but approvals is ${tier.approvals}: the tier could never be approved`,
        );
      }
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  const provision: ProvisionPolicy =
    entry.provision?.provider === 'chainguard' && entry.provision.chainguard !== undefined
      ? {
          provider: 'chainguard',
          chainguard: {
            api: (entry.provision.chainguard.api ?? CHAINGUARD_API).replace(/\/+$/, ''),
            parent: entry.provision.chainguard.parent,
          },
        }
      : { provider: 'none' };
  return {
    ok: true,
    value: { environments: entry.environments, teams: entry.teams, tiers: entry.tiers.map(tierOf), provision },
  };
}
