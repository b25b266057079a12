/**
 * `request codeowners`, the rule (pure): one CODEOWNERS line per tier folder `/<dir>/requests/<tier>/`, owned by the
 * tier's approvers on the forge (GitHub `@user`, `@organisation/team`; GitLab `@user`, `@group/subgroup`), so branch
 * protection's "require review from code owners" (GitHub) or code-owner approval (GitLab) routes each request to its
 * tier. An auto-approve tier gets a comment instead (its requests never go through a pull request). Written as one
 * block between markers, so the rest of a CODEOWNERS file is kept; the same policy always gives the same bytes.
 */
import { posix } from 'node:path';
import { compareCodeUnits } from '../util/compare.js';
import type { RequestsPolicy } from './schema.js';

/** The first and last line of the block `request codeowners` owns. */
export const CODEOWNERS_BEGIN =
  '# BEGIN image-factory requests (image-factory request codeowners: do not edit by hand)';
export const CODEOWNERS_END = '# END image-factory requests';

/** The block for `policy`, its folders under `requestsDir` (repository-relative). */
export function codeownersBlock(policy: RequestsPolicy, requestsDir: string, forge: 'github' | 'gitlab'): string {
  const lines = [CODEOWNERS_BEGIN];
  for (const tier of policy.tiers) {
    const folder = `/${posix.join(requestsDir, tier.name)}/`;
    if (tier.autoApprove) {
      lines.push(`# ${folder} tier ${tier.name} auto-approves: its requests are committed without a pull request`);
      continue;
    }
    const owners =
      forge === 'github'
        ? [...tier.approvers.github.users, ...tier.approvers.github.teams]
        : [...tier.approvers.gitlab.users, ...tier.approvers.gitlab.groups];
    const named = [...new Set(owners.map((o) => `@${o}`))].sort(compareCodeUnits);
    lines.push(
      `# tier ${tier.name}: ${tier.approvals} approval(s)${named.length === 0 ? ` (no ${forge} approvers named)` : ''}`,
    );
    if (named.length > 0) lines.push(`${folder} ${named.join(' ')}`);
  }
  lines.push(CODEOWNERS_END);
  return `${lines.join('\n')}\n`;
}

/** `existing` CODEOWNERS with the block replaced (or appended when absent). */
export function withCodeownersBlock(existing: string, block: string): string {
  const begin = existing.indexOf(CODEOWNERS_BEGIN);
  const endAt = existing.indexOf(CODEOWNERS_END);
  if (begin !== -1 && endAt > begin) {
    const afterEnd = existing.indexOf('\n', endAt);
    const rest = afterEnd === -1 ? '' : existing.slice(afterEnd + 1);
    return existing.slice(0, begin) + block + rest;
  }
  if (existing === '') return block;
  return `${existing}${existing.endsWith('\n') ? '' : '\n'}\n${block}`;
}
