/** `<warehouse>-rebuild`: the Stage that hands new base-image Freight to `image-factory rebuild`, from the tool's plan. */

import { Construct } from 'constructs';
import { rebuildStageManifest } from 'image-factory/internal';
import { Stage } from '../imports/kargo-stage-kargo.akuity.io.js';
import { stageProps } from './kargo-props.js';

/** Props of {@link RebuildStage}. */
export interface RebuildStageProps {
  /** The Warehouse whose Freight it requests, and the repository that Warehouse watches. */
  readonly warehouse: { readonly name: string; readonly repoURL: string };
  /** The Kargo Project namespace. */
  readonly namespace: string;
}

/** A rebuild Stage: the tool's rebuildStageManifest(), as a typed Kargo construct. */
export class RebuildStage extends Construct {
  /** The underlying Kargo object. */
  readonly stage: Stage;

  constructor(scope: Construct, id: string, { warehouse, namespace }: RebuildStageProps) {
    super(scope, id);
    this.stage = new Stage(this, 'Resource', stageProps(rebuildStageManifest(warehouse, { namespace })));
  }
}
