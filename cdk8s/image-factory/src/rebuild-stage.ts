/** `<warehouse>-rebuild`: the Stage that hands new base-image Freight to `image-factory rebuild`, from the tool's plan. */

import type { Construct } from 'constructs';
import { rebuildStageManifest } from 'image-factory/internal';
import { WarehouseStage, type WarehouseStageProps } from './warehouse-stage.js';

/** Props of {@link RebuildStage}. */
export type RebuildStageProps = WarehouseStageProps;

/** A rebuild Stage: the tool's rebuildStageManifest(), as a typed Kargo construct. */
export class RebuildStage extends WarehouseStage {
  constructor(scope: Construct, id: string, props: RebuildStageProps) {
    super(scope, id, props, rebuildStageManifest);
  }
}
