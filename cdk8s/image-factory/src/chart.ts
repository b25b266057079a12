/**
 * The chart: a thin composition of one ImageWarehouse per planned Warehouse, for each base image's Warehouse (it has
 * dependents by definition) its RebuildStage, and for each external image's Warehouse its ScanStage.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { KARGO_PROJECT, type WarehousePlan } from 'image-factory/internal';
import { RebuildStage } from './rebuild-stage.js';
import { ScanStage } from './scan-stage.js';
import { ImageWarehouse } from './warehouse.js';

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

/**
 * Kargo Warehouses for the base and external images, the rebuild Stages of the base images and the scan Stages of the
 * external images.
 */
export class WarehouseChart extends Chart {
  constructor(scope: Construct, id: string, props: WarehouseChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    for (const plan of props.warehouses) {
      new ImageWarehouse(this, plan.name, {
        plan,
        namespace: props.namespace ?? DEFAULT_NAMESPACE,
        legacyAllowTags: props.legacyAllowTags ?? false,
      });
      if (plan.kind === 'base' && plan.dependents.length > 0) {
        new RebuildStage(this, `${plan.name}-rebuild`, {
          warehouse: { name: plan.name, repoURL: plan.subscription.repoURL },
          namespace: props.namespace ?? DEFAULT_NAMESPACE,
        });
      }
      if (plan.kind === 'external') {
        new ScanStage(this, `${plan.name}-scan`, {
          warehouse: { name: plan.name, repoURL: plan.subscription.repoURL },
          namespace: props.namespace ?? DEFAULT_NAMESPACE,
        });
      }
    }
  }
}
