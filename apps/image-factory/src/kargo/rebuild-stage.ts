/**
 * `<warehouse>-rebuild`: the Stage through which base-image Freight reaches `image-factory rebuild` (DESIGN §10).
 * One exists exactly for each base Warehouse with dependents (the chart renders it): a third-party base's, or the
 * tag of a managed image others build FROM; none for a managed image's own Warehouse (its Freight names the newest
 * build's tag, never the tag built FROM) and none where nothing is built on the image (a Job per build that finds
 * nothing to do). It requests Freight directly from the Warehouse, is auto-promoted (the ProjectConfig selects Stages
 * managed by image-factory), has a `compose-output` step (a Stage without steps never runs its verification) and
 * verifies with the AnalysisTemplate `image-factory-rebuild`, passing the repository, tag and digest;
 * `rebuild --reference repo:tag` finds the base image in state. Pure.
 */
import { imageFromWarehouse, quotedExpression, type StageManifest } from './manifests.js';
import { KARGO_PROJECT, MANAGED_BY, REBUILD_TEMPLATE } from './project.js';

/** `<warehouse>-rebuild`. */
export const rebuildStageName = (warehouse: string): string => `${warehouse}-rebuild`;

/** The rebuild Stage of one Warehouse watching `repoURL`. */
export function rebuildStageManifest(
  warehouse: { readonly name: string; readonly repoURL: string },
  options: { readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> } = {},
): StageManifest {
  const freight = imageFromWarehouse(warehouse.repoURL, warehouse.name);
  const tag = quotedExpression(`${freight}.Tag`);
  const digest = quotedExpression(`${freight}.Digest`);
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Stage',
    metadata: {
      name: rebuildStageName(warehouse.name),
      namespace: options.namespace ?? KARGO_PROJECT,
      labels: { ...MANAGED_BY, 'image-factory.io/kind': 'rebuild', ...options.labels },
      annotations: { 'image-factory.io/reference': warehouse.repoURL },
    },
    spec: {
      requestedFreight: [{ origin: { kind: 'Warehouse', name: warehouse.name }, sources: { direct: true } }],
      promotionTemplate: { spec: { steps: [{ uses: 'compose-output', as: 'seen', config: { tag, digest } }] } },
      verification: {
        analysisTemplates: [{ name: REBUILD_TEMPLATE }],
        args: [
          { name: 'repo', value: warehouse.repoURL },
          { name: 'tag', value: tag },
          { name: 'digest', value: digest },
        ],
      },
    },
  };
}
