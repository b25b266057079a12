/** One Kargo Warehouse for one tracked image reference, rendered from the tool's plan. */

import { Construct } from 'constructs';
import { type WarehousePlan, warehouseManifest } from 'image-factory/internal';
import { Warehouse } from '../imports/kargo.akuity.io.js';
import { warehouseProps } from './kargo-props.js';

/** Props of {@link ImageWarehouse}. */
export interface ImageWarehouseProps {
  /** What to watch, as planned by image-factory's planWarehouses(). */
  readonly plan: WarehousePlan;
  /** The Kargo Project namespace. */
  readonly namespace: string;
  /**
   * Write the legacy `allowTags` string instead of `allowTagsRegexes` (Kargo < 1.11 only).
   * @default false
   */
  readonly legacyAllowTags?: boolean;
}

/** A Warehouse watching one base or external image: the tool's warehouseManifest(), as a typed Kargo construct. */
export class ImageWarehouse extends Construct {
  /** The underlying Kargo object. */
  readonly warehouse: Warehouse;

  constructor(scope: Construct, id: string, { plan, namespace, legacyAllowTags = false }: ImageWarehouseProps) {
    super(scope, id);
    this.warehouse = new Warehouse(
      this,
      'Resource',
      warehouseProps(warehouseManifest(plan, { namespace, legacyAllowTags })),
    );
  }
}
