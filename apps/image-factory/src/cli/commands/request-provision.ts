/** `image-factory request provision`: approved image requests enrolled and provisioned (issue 23). */
import { FactoryError } from '../../errors.js';
import { GIT_OPTIONS } from '../git-options.js';
import type { CommandIO, OptionSpecs, OptionValues } from '../usage.js';

/** The options of `request provision` (request.ts spreads them into the command's options). */
export const PROVISION_OPTIONS = {
  'token-file': {
    type: 'string',
    value: 'FILE',
    help: 'a file (a mounted Secret) holding the Chainguard API token (default: $CHAINGUARD_TOKEN);\nnever printed',
  },
  ...GIT_OPTIONS,
} as const satisfies OptionSpecs;

export type ProvisionValues = OptionValues<typeof PROVISION_OPTIONS>;

/** Run `request provision`; returns the exit code. */
export async function runRequestProvision(_values: ProvisionValues, _io: CommandIO): Promise<number> {
  throw new FactoryError('usage', 'image-factory request provision: not built yet');
}
