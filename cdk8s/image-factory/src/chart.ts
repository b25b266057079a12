/**
 * The chart: a thin composition of one ImageWarehouse per planned Warehouse, for each base image's Warehouse with
 * dependents its RebuildStage, and for each external image's Warehouse its ScanStage (stageKinds(): one rule).
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { KARGO_PROJECT, type StageKind, type WarehousePlan, warehouseStageName } from 'image-factory/internal';
import { RebuildStage } from './rebuild-stage.js';
import { ScanStage } from './scan-stage.js';
import { ImageWarehouse } from './warehouse.js';
import type { WarehouseStage, WarehouseStageProps } from './warehouse-stage.js';

/** Props of {@link WarehouseChart}. */
export interface WarehouseChartProps {
  /** The Warehouses to render (from planWarehouses()). */
  readonly warehouses: readonly WarehousePlan[];
  /**
   * Namespace of the Kargo Project.
   * @default 'image-factory-kargo'
   */
  readonly namespace?: string;
  /**
   * Legacy `allowTags` for Kargo < 1.11.
   * @default false
   */
  readonly legacyAllowTags?: boolean;
}

/** Default Kargo Project namespace (the tool's Project: one definition). */
export const DEFAULT_NAMESPACE = KARGO_PROJECT;

/** The construct of each kind of Stage. */
const STAGES: Readonly<
  Record<StageKind, new (scope: Construct, id: string, props: WarehouseStageProps) => WarehouseStage>
> = { rebuild: RebuildStage, scan: ScanStage };

/**
 * The Stages the chart renders on a planned Warehouse: a base image's its rebuild Stage when something enrolled is
 * built on it, an external image's its scan Stage (a base image is scanned by its rebuild Stage's Job), none else.
 */
export function stageKinds(plan: WarehousePlan): readonly StageKind[] {
  if (plan.kind === 'base') return plan.dependents.length > 0 ? ['rebuild'] : [];
  return plan.kind === 'external' ? ['scan'] : [];
}

/**
 * Kargo Warehouses for the base and external images, the rebuild Stages of the base images and the scan Stages of the
 * external images.
 */
export class WarehouseChart extends Chart {
  constructor(scope: Construct, id: string, props: WarehouseChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const namespace = props.namespace ?? DEFAULT_NAMESPACE;
    for (const plan of props.warehouses) {
      new ImageWarehouse(this, plan.name, { plan, namespace, legacyAllowTags: props.legacyAllowTags ?? false });
      const warehouse = { name: plan.name, repoURL: plan.subscription.repoURL };
      for (const kind of stageKinds(plan))
        new STAGES[kind](this, warehouseStageName(plan.name, kind), { warehouse, namespace });
    }
  }
}
