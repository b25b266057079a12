/** `image-factory request list | status | audit`: the image requests and their audit log, read (issue 23). */
import { FactoryError } from '../../errors.js';
import { GIT_OPTIONS } from '../git-options.js';
import type { CommandIO, OptionSpecs, OptionValues } from '../usage.js';

/** The options of the read subcommands (request.ts spreads them into the command's options). */
export const READ_OPTIONS = {
  status: {
    type: 'string',
    value: 'STATUS',
    help: 'request list: only requests with this status (pending, approved, provisioned, failed, rejected)',
  },
  team: { type: 'string', value: 'TEAM', help: 'request list: only requests of this team' },
  since: { type: 'string', value: 'RFC3339', help: 'request audit: only lines at or after this instant' },
  root: {
    type: 'string',
    value: 'DIR',
    help: 'read a GitOps checkout instead of cloning --git-repo (default: --git-repo, else .)',
  },
  ...GIT_OPTIONS,
} as const satisfies OptionSpecs;

export type ReadValues = OptionValues<typeof READ_OPTIONS>;

/** Run `request list`, `request status <id>` or `request audit`; returns the exit code. */
export async function runRequestRead(
  sub: 'list' | 'status' | 'audit',
  _values: ReadValues,
  _positionals: readonly string[],
  _io: CommandIO,
): Promise<number> {
  throw new FactoryError('usage', `image-factory request ${sub}: not built yet`);
}
