/** `image-factory status`: one screen on what the factory knows about a GitOps repository. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadEnrolment } from '../../enrolment/load.js';
import { FactoryError } from '../../errors.js';
import { dependencyTree } from '../../state/graph.js';
import { readState } from '../../state/store.js';
import { compareCodeUnits } from '../../util/compare.js';
import { planWarehouses } from '../../warehouses/plan.js';
import {
  defineCommand,
  EXIT_OK,
  HELP_OPTION,
  type OptionSpecs,
  renderHelp,
  STATE_DIR_OPTION,
  writeJson,
} from '../usage.js';

const OPTIONS = {
  root: { type: 'string', default: '.', value: 'DIR', help: 'the GitOps repository root (default .)' },
  images: {
    type: 'string',
    default: 'images.yaml',
    value: 'FILE',
    help: 'images.yaml, relative to --root (default images.yaml)',
  },
  ...STATE_DIR_OPTION,
  json: { type: 'boolean', default: false, help: 'print the same facts as JSON (shape in the README)' },
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: ['status [--root DIR] [--images FILE] [--image-factory-dir DIR] [--json]'],
  description: `Print a one-screen summary of a GitOps repository: images enrolled (managed / external), base
images found, the Warehouses the chart would generate, and the dependency graph as a tree
(base image → images built on it → images built on those).`,
  sections: [['Options', OPTIONS]],
  exit: '0 printed, 1 invalid images.yaml or state, 2 usage error or unreadable file.',
  examples: ['image-factory status --root ../gitops', 'image-factory status --json'],
});

/** The `status` command. */
export const statusCommand = defineCommand({
  name: 'status',
  summary: 'summarise images, base images, Warehouses and the dependency graph',
  help: HELP,
  options: OPTIONS,
  async run(values, _positionals, io) {
    const root = resolve(io.cwd, values.root ?? '.');
    const imagesFile = join(root, values.images ?? 'images.yaml');
    let text: string;
    try {
      text = await readFile(imagesFile, 'utf8');
    } catch (error) {
      throw new FactoryError('io', `cannot read ${imagesFile}: ${(error as Error).message}`);
    }
    const enrolment = loadEnrolment(text, values.images ?? 'images.yaml');
    const state = await readState(join(root, values['image-factory-dir'] ?? 'image-factory', 'state'));
    const { warehouses, warnings } = planWarehouses(enrolment, state);
    const managed = enrolment.images.filter((i) => i.kind === 'managed').length;
    const bases = [...state.baseImages.values()];
    const managedBases = bases.filter((b) => b.managedImage !== undefined).length;
    const pinned = bases.filter((b) => b.untracked !== undefined).length;
    const baseWarehouses = warehouses.filter((w) => w.kind === 'base').length;
    if (values.json) {
      writeJson(io, {
        images: { total: enrolment.images.length, managed, external: enrolment.images.length - managed },
        baseImages: {
          total: bases.length,
          external: bases.length - managedBases - pinned,
          builtHere: managedBases,
          pinnedByDigest: pinned,
        },
        warehouses: { base: baseWarehouses, external: warehouses.length - baseWarehouses, managedPipelines: managed },
        // Every base image with the images built on it: the graph as edges, sorted by reference.
        graph: bases
          .map((b) => ({
            name: b.name,
            reference: b.reference,
            ...(b.managedImage === undefined ? {} : { managedImage: b.managedImage }),
            ...(b.untracked === undefined ? {} : { untracked: b.untracked }),
            dependents: b.dependents,
          }))
          .sort((a, b) => compareCodeUnits(a.reference, b.reference)),
        warnings,
      });
      return EXIT_OK;
    }
    const lines = [
      `images enrolled:      ${enrolment.images.length} (${managed} managed, ${enrolment.images.length - managed} external)`,
      `base images found:    ${bases.length} (${bases.length - managedBases - pinned} external, ${managedBases} built here, ${pinned} pinned by digest)`,
      `Warehouses generated: ${warehouses.length} (${baseWarehouses} base, ${warehouses.length - baseWarehouses} external) + ${managed} managed pipeline(s)`,
      '',
      'dependency graph:',
      ...dependencyTree(state, enrolment).map((line) => `  ${line}`),
      ...warnings.map((w) => `warning: ${w}`),
    ];
    io.stdout(`${lines.join('\n')}\n`);
    return EXIT_OK;
  },
});
