/** `<warehouse>-scan`: the Stage that hands an external image's new digests to Trivy and `image-factory scan record`. */

import type { Construct } from 'constructs';
import { scanStageManifest } from 'image-factory/internal';
import { WarehouseStage, type WarehouseStageProps } from './warehouse-stage.js';

/** Props of {@link ScanStage}. */
export type ScanStageProps = WarehouseStageProps;

/** A scan Stage: the tool's scanStageManifest(), as a typed Kargo construct. */
export class ScanStage extends WarehouseStage {
  constructor(scope: Construct, id: string, props: ScanStageProps) {
    super(scope, id, props, scanStageManifest);
  }
}
