/** Print a state job's outcome on stdout. */
import type { StateJobResult } from '../jobs/state-job.js';

/** The documented `--json` shape of a state job's outcome. */
export function jobResultJson(result: StateJobResult): object {
  return {
    status: result.status,
    commit: result.commit ?? null,
    attempts: result.attempts,
    added: result.change.added,
    modified: result.change.modified,
    deleted: result.change.deleted,
    summary: result.summary,
  };
}

/** A short report: status line, changed files, and what changed in words. */
export function formatJobResult(result: StateJobResult): string {
  const lines: string[] = [];
  if (result.status === 'pushed') lines.push(`pushed ${result.commit ?? ''} after ${result.attempts} attempt(s)`);
  else if (result.status === 'unchanged') lines.push('state already up to date: nothing committed');
  else lines.push('dry run: nothing written, committed or pushed');
  for (const path of result.change.added) lines.push(`  added     ${path}`);
  for (const path of result.change.modified) lines.push(`  modified  ${path}`);
  for (const path of result.change.deleted) lines.push(`  deleted   ${path}`);
  for (const line of result.summary) lines.push(`  ${line}`);
  return `${lines.join('\n')}\n`;
}
