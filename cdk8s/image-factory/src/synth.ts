/**
 * Synthesis: images.yaml + state → planWarehouses() → WarehouseChart → validated YAML, written atomically.
 * Nothing is written when any object is invalid.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { App } from 'cdk8s';
import {
  checkKargoRuntimeRules,
  FactoryError,
  formatManifestProblem,
  loadEnrolment,
  planWarehouses,
  readState,
  stringifyAllYamlFast,
  type WarehousePlan,
  writeFileAtomic,
} from 'image-factory/internal';
import { DEFAULT_NAMESPACE, WarehouseChart } from './chart.js';
import { CRD_FOLDERS, SUBSCRIPTION_SCHEMAS } from './paths.js';
import { ManifestValidator } from './validate/validate.js';

/** Options of {@link synthesise}. */
export interface SynthOptions {
  /** The GitOps repository root holding images.yaml and the state. */
  readonly root: string;
  /** Output folder; the manifest is `<out>/image-factory.k8s.yaml`. */
  readonly out: string;
  /** @default 'images.yaml' */
  readonly images?: string;
  /** Folder holding state/, relative to root. @default 'image-factory' */
  readonly imageFactoryDir?: string;
  /** @default 'image-factory-kargo' */
  readonly namespace?: string;
  /** @default false */
  readonly legacyAllowTags?: boolean;
}

/** What synthesis produced. */
export interface SynthResult {
  readonly file: string;
  readonly warehouses: readonly WarehousePlan[];
  readonly warnings: readonly string[];
  readonly yaml: string;
}

/** The manifest file name cdk8s gives the chart. */
export const OUTPUT_FILE = 'image-factory.k8s.yaml';

/**
 * Render Warehouses to YAML and validate every object (CRD schemas and Kargo's runtime rules); throws FactoryError
 * listing every problem.
 */
export function renderWarehouses(
  warehouses: readonly WarehousePlan[],
  namespace: string,
  legacyAllowTags: boolean,
): string {
  const app = new App({ outdir: 'unused' });
  const chart = new WarehouseChart(app, 'image-factory', { warehouses, namespace, legacyAllowTags });
  const validator = new ManifestValidator({
    crdFolders: CRD_FOLDERS,
    subscriptionSchemas: SUBSCRIPTION_SCHEMAS,
    legacyAllowTags,
  });
  // The chart's objects, validated before anything is rendered or written.
  const objects = chart.toJson();
  const problems = [...objects.flatMap((object) => validator.validate(object)), ...checkKargoRuntimeRules(objects)];
  if (problems.length > 0) {
    throw new FactoryError(
      'invalid-manifest',
      `invalid Kargo objects, nothing written:\n${problems.map(formatManifestProblem).join('\n')}`,
    );
  }
  // Rendered with sorted keys by the tool's fast YAML writer (cdk8s's synthYaml() is 6× slower at this size).
  return stringifyAllYamlFast(objects);
}

/** Synthesise the chart for a GitOps repository. */
export async function synthesise(options: SynthOptions): Promise<SynthResult> {
  const root = resolve(options.root);
  const imagesFile = join(root, options.images ?? 'images.yaml');
  let text: string;
  try {
    text = await readFile(imagesFile, 'utf8');
  } catch (error) {
    throw new FactoryError('io', `cannot read ${imagesFile}: ${(error as Error).message}`);
  }
  const enrolment = loadEnrolment(text, options.images ?? 'images.yaml');
  const state = await readState(join(root, options.imageFactoryDir ?? 'image-factory', 'state'));
  const { warehouses, warnings } = planWarehouses(enrolment, state);
  const yaml = renderWarehouses(warehouses, options.namespace ?? DEFAULT_NAMESPACE, options.legacyAllowTags ?? false);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const file = join(out, OUTPUT_FILE);
  await writeFileAtomic(file, yaml);
  return { file, warehouses, warnings, yaml };
}
