/** The options of the commands that read a GitOps checkout (status, report, compliance), and the reading itself. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadEnrolment } from '../enrolment/load.js';
import type { Enrolment } from '../enrolment/types.js';
import { FactoryError, messageOf } from '../errors.js';
import { readState } from '../state/store.js';
import type { StateSnapshot } from '../state/types.js';
import { type CommandIO, type OptionSpecs, STATE_DIR_OPTION } from './usage.js';

export const CHECKOUT_OPTIONS = {
  root: { type: 'string', default: '.', value: 'DIR', help: 'the GitOps repository root (default .)' },
  images: {
    type: 'string',
    default: 'images.yaml',
    value: 'FILE',
    help: 'images.yaml, relative to --root (default images.yaml)',
  },
  ...STATE_DIR_OPTION,
} as const satisfies OptionSpecs;

interface CheckoutValues {
  root?: string;
  images?: string;
  'image-factory-dir'?: string;
}

/** images.yaml (loaded and checked) and the state of the checkout the options name. */
export async function readCheckout(
  values: CheckoutValues,
  io: CommandIO,
): Promise<{ root: string; enrolment: Enrolment; state: StateSnapshot }> {
  const root = resolve(io.cwd, values.root ?? '.');
  const imagesFile = join(root, values.images ?? 'images.yaml');
  let text: string;
  try {
    text = await readFile(imagesFile, 'utf8');
  } catch (error) {
    throw new FactoryError('io', `cannot read ${imagesFile}: ${messageOf(error)}`);
  }
  const enrolment = loadEnrolment(text, values.images ?? 'images.yaml');
  const state = await readState(join(root, values['image-factory-dir'] ?? 'image-factory', 'state'));
  return { root, enrolment, state };
}
