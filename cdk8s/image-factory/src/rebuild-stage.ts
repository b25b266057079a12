/** `<warehouse>-rebuild`: the Stage that hands new base-image Freight to `image-factory rebuild`, from the tool's plan. */

import { Construct } from 'constructs';
import { rebuildStageManifest } from 'image-factory/internal';
import { Stage, StageSpecRequestedFreightOriginKind } from '../imports/kargo-stage-kargo.akuity.io.js';

/** Props of {@link RebuildStage}. */
export interface RebuildStageProps {
  /** The Warehouse whose Freight it requests, and the repository that Warehouse watches. */
  readonly warehouse: { readonly name: string; readonly repoURL: string };
  /** The Kargo Project namespace. */
  readonly namespace: string;
}

/** A rebuild Stage (every field as the tool's rebuildStageManifest() renders it). */
export class RebuildStage extends Construct {
  /** The underlying Kargo object. */
  readonly stage: Stage;

  constructor(scope: Construct, id: string, props: RebuildStageProps) {
    super(scope, id);
    const { metadata, spec } = rebuildStageManifest(props.warehouse, { namespace: props.namespace });
    this.stage = new Stage(this, 'Resource', {
      metadata: { ...metadata, labels: { ...metadata.labels }, annotations: { ...metadata.annotations } },
      spec: {
        requestedFreight: spec.requestedFreight.map((r) => ({
          origin: { kind: StageSpecRequestedFreightOriginKind.WAREHOUSE, name: r.origin.name },
          sources: 'direct' in r.sources ? { direct: r.sources.direct } : { stages: [...r.sources.stages] },
        })),
        ...(spec.promotionTemplate === undefined
          ? {}
          : { promotionTemplate: { spec: { steps: spec.promotionTemplate.spec.steps.map((s) => ({ ...s })) } } }),
        ...(spec.verification === undefined
          ? {}
          : {
              verification: {
                analysisTemplates: spec.verification.analysisTemplates.map((t) => ({ ...t })),
                args: spec.verification.args.map((a) => ({ ...a })),
              },
            }),
      },
    });
  }
}
