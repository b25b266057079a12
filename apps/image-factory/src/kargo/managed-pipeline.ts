/**
 * The managed pipeline of one managed image, as Kargo objects: its Warehouse (planned by planManagedWarehouse(),
 * the same rule and defaults as every other Warehouse), `<image>-analyze-dockerfile` and `<image>-analyzed`. Its
 * Warehouse serves the analysis only: a new build reaches the images built on it through the base Warehouse of the
 * tag they build FROM and that Warehouse's `-rebuild` Stage, which the chart renders from state, where the
 * dependents are known (DESIGN §10); an image nobody builds on has none.
 *
 * `<image>-analyze-dockerfile` has a promotion step: Kargo treats a Stage without steps as a control-flow Stage,
 * marks Freight verified without running its verification, and refuses promotions to it. The step is
 * `compose-output`, the lightest built-in one; it records the tag and digest being analysed on the Promotion.
 * Pure: objects in, YAML written by the caller.
 */
import type { EnrolmentDefaults, ManagedImage } from '../enrolment/types.js';
import { planManagedWarehouse } from '../warehouses/plan.js';
import {
  imageFromWarehouse,
  quotedExpression,
  type StageManifest,
  type WarehouseManifest,
  warehouseManifest,
} from './manifests.js';
import { ANALYSIS_TEMPLATE, KARGO_PROJECT, MANAGED_BY } from './project.js';

/** Options for the generated objects. */
export interface PipelineOptions {
  /** @default 'image-factory-kargo' */
  readonly namespace?: string;
  /** @default 'image-factory-analyze' */
  readonly analysisTemplate?: string;
}

/** `<image>-analyze-dockerfile` and `<image>-analyzed`. */
export function stageNames(image: string): { analyze: string; analyzed: string } {
  return { analyze: `${image}-analyze-dockerfile`, analyzed: `${image}-analyzed` };
}

/** The Warehouse and Stages of a managed image. */
export function managedPipelineObjects(
  image: ManagedImage,
  defaults: EnrolmentDefaults,
  options: PipelineOptions = {},
): [WarehouseManifest, StageManifest, StageManifest] {
  const namespace = options.namespace ?? KARGO_PROJECT;
  const plan = planManagedWarehouse(image, defaults);
  const repoURL = plan.subscription.repoURL;
  const stages = stageNames(image.name);
  const labels = { 'image-factory.io/image': image.name };
  const metadata = (name: string) => ({
    name,
    namespace,
    labels: { ...MANAGED_BY, 'image-factory.io/kind': 'managed', ...labels },
    annotations: { 'image-factory.io/reference': repoURL },
  });
  const origin = { kind: 'Warehouse', name: plan.name } as const;
  const freight = imageFromWarehouse(repoURL, plan.name);
  const tag = quotedExpression(`${freight}.Tag`);
  const digest = quotedExpression(`${freight}.Digest`);
  return [
    warehouseManifest(plan, { namespace, labels }),
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: metadata(stages.analyze),
      spec: {
        requestedFreight: [{ origin, sources: { direct: true } }],
        promotionTemplate: { spec: { steps: [{ uses: 'compose-output', as: 'analysed', config: { tag, digest } }] } },
        verification: {
          analysisTemplates: [{ name: options.analysisTemplate ?? ANALYSIS_TEMPLATE }],
          args: [
            { name: 'image', value: image.name },
            { name: 'tag', value: tag },
            { name: 'digest', value: digest },
          ],
        },
      },
    },
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: metadata(stages.analyzed),
      spec: { requestedFreight: [{ origin, sources: { stages: [stages.analyze] } }] },
    },
  ];
}
