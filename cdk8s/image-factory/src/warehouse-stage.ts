/** A Stage that takes Freight directly from one Warehouse (a `-rebuild` or `-scan` Stage), as a typed Kargo construct. */

import { Construct } from 'constructs';
import type { StageManifest, StageWarehouse } from 'image-factory/internal';
import { Stage } from '../imports/kargo-stage-kargo.akuity.io.js';
import { stageProps } from './kargo-props.js';

/** Props of {@link WarehouseStage}. */
export interface WarehouseStageProps {
  /** The Warehouse whose Freight it requests, and the repository that Warehouse watches. */
  readonly warehouse: StageWarehouse;
  /** The Kargo Project namespace. */
  readonly namespace: string;
}

/** The tool's renderer of one kind of such Stage (rebuildStageManifest(), scanStageManifest()). */
export type WarehouseStageRenderer = (
  warehouse: StageWarehouse,
  options: { readonly namespace: string },
) => StageManifest;

/** The Stage `render` makes for a Warehouse, as a typed Kargo construct. */
export class WarehouseStage extends Construct {
  /** The underlying Kargo object. */
  readonly stage: Stage;

  constructor(
    scope: Construct,
    id: string,
    { warehouse, namespace }: WarehouseStageProps,
    render: WarehouseStageRenderer,
  ) {
    super(scope, id);
    this.stage = new Stage(this, 'Resource', stageProps(render(warehouse, { namespace })));
  }
}
