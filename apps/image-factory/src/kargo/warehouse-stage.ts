/**
 * What the `<warehouse>-rebuild` and `<warehouse>-scan` Stages share: each requests Freight directly from one
 * Warehouse, is auto-promoted (the ProjectConfig selects Stages managed by image-factory; Kargo v1.11.2 auto-promotes
 * the newest available Freight that is not current, pkg/controller/stages/regular_stages.go:1893-1950), has a
 * `compose-output` step (a Stage without steps never runs its verification) and verifies with its AnalysisTemplate,
 * passing the repository as the Warehouse watches it and the Freight's tag and digest as that template asks. Pure.
 */
import { imageFromWarehouse, quotedExpression, type StageManifest } from './manifests.js';
import { KARGO_PROJECT, MANAGED_BY } from './project.js';

/** The Warehouse a Stage takes Freight from, and the repository that Warehouse watches. */
export interface StageWarehouse {
  readonly name: string;
  readonly repoURL: string;
}

/** The kinds of such Stage: the Stage is `<warehouse>-<kind>` and carries its kind as its `image-factory.io/kind` label. */
export type StageKind = 'rebuild' | 'scan';

/** Where such a Stage differs: its kind, its template and the Freight it passes. */
export interface WarehouseStageSpec {
  readonly kind: StageKind;
  /** The AnalysisTemplate verifying it. */
  readonly template: string;
  /** The Freight fields the template takes after `repo`, in its argument order. */
  readonly freight: readonly ('tag' | 'digest')[];
}

/** Options of {@link warehouseStageManifest}. */
export interface WarehouseStageOptions {
  /** @default KARGO_PROJECT */
  readonly namespace?: string;
  /** Labels added to the Stage's own. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** `<warehouse>-<kind>`. */
export const warehouseStageName = (warehouse: string, kind: StageKind): string => `${warehouse}-${kind}`;

/** The Stage of `stage.kind` for one Warehouse watching `repoURL`. */
export function warehouseStageManifest(
  warehouse: StageWarehouse,
  stage: WarehouseStageSpec,
  options: WarehouseStageOptions = {},
): StageManifest {
  const freight = imageFromWarehouse(warehouse.repoURL, warehouse.name);
  const fields = { tag: quotedExpression(`${freight}.Tag`), digest: quotedExpression(`${freight}.Digest`) };
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Stage',
    metadata: {
      name: warehouseStageName(warehouse.name, stage.kind),
      namespace: options.namespace ?? KARGO_PROJECT,
      labels: { ...MANAGED_BY, 'image-factory.io/kind': stage.kind, ...options.labels },
      annotations: { 'image-factory.io/reference': warehouse.repoURL },
    },
    spec: {
      requestedFreight: [{ origin: { kind: 'Warehouse', name: warehouse.name }, sources: { direct: true } }],
      promotionTemplate: { spec: { steps: [{ uses: 'compose-output', as: 'seen', config: fields }] } },
      verification: {
        analysisTemplates: [{ name: stage.template }],
        args: [
          { name: 'repo', value: warehouse.repoURL },
          ...stage.freight.map((name) => ({ name, value: fields[name] })),
        ],
      },
    },
  };
}

/** The name and manifest renderers of one kind of such Stage. */
export interface WarehouseStageRenderers {
  /** `<warehouse>-<kind>`. */
  readonly name: (warehouse: string) => string;
  /** The Stage of that kind for one Warehouse watching `repoURL`. */
  readonly manifest: (warehouse: StageWarehouse, options?: WarehouseStageOptions) => StageManifest;
}

/** The renderers of the Stages `stage` describes. */
export function warehouseStage(stage: WarehouseStageSpec): WarehouseStageRenderers {
  return {
    name: (warehouse) => warehouseStageName(warehouse, stage.kind),
    manifest: (warehouse, options = {}) => warehouseStageManifest(warehouse, stage, options),
  };
}
