/**
 * `<warehouse>-scan`: the Stage through which an external image's Freight reaches Trivy and `image-factory scan record`
 * (issue 21: every external image is scanned in the cluster at every digest its Warehouse finds). One exists for each
 * external image's Warehouse (the chart renders it); base images are scanned by their `-rebuild` Stage's Job instead.
 * Like a rebuild Stage it requests Freight directly from the Warehouse, is auto-promoted (the ProjectConfig selects
 * Stages managed by image-factory; Kargo v1.11.2 auto-promotes the newest available Freight that is not current,
 * pkg/controller/stages/regular_stages.go:1893-1950), has a `compose-output` step (a Stage without steps never runs
 * its verification) and verifies with the AnalysisTemplate `image-factory-scan`
 * (kustomize/image-factory/scan-analysis-template.yaml), passing the repository as the Warehouse watches it and the
 * Freight's digest: Trivy scans `<repo>@<digest>`, and `scan record` finds the external image by that repository.
 */
import { Construct } from 'constructs';
import {
  imageFromWarehouse,
  KARGO_PROJECT,
  MANAGED_BY,
  quotedExpression,
  type StageManifest,
} from 'image-factory/internal';
import { Stage } from '../imports/kargo-stage-kargo.akuity.io.js';
import { stageProps } from './kargo-props.js';

/** The AnalysisTemplate of every `<warehouse>-scan` Stage (kustomize/image-factory/scan-analysis-template.yaml). */
export const SCAN_TEMPLATE = 'image-factory-scan';

/** `<warehouse>-scan`. */
export const scanStageName = (warehouse: string): string => `${warehouse}-scan`;

/** The scan Stage of one external image's Warehouse watching `repoURL`. Pure. */
export function scanStageManifest(
  warehouse: { readonly name: string; readonly repoURL: string },
  options: { readonly namespace?: string } = {},
): StageManifest {
  const freight = imageFromWarehouse(warehouse.repoURL, warehouse.name);
  const tag = quotedExpression(`${freight}.Tag`);
  const digest = quotedExpression(`${freight}.Digest`);
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Stage',
    metadata: {
      name: scanStageName(warehouse.name),
      namespace: options.namespace ?? KARGO_PROJECT,
      labels: { ...MANAGED_BY, 'image-factory.io/kind': 'scan' },
      annotations: { 'image-factory.io/reference': warehouse.repoURL },
    },
    spec: {
      requestedFreight: [{ origin: { kind: 'Warehouse', name: warehouse.name }, sources: { direct: true } }],
      promotionTemplate: { spec: { steps: [{ uses: 'compose-output', as: 'seen', config: { tag, digest } }] } },
      verification: {
        analysisTemplates: [{ name: SCAN_TEMPLATE }],
        args: [
          { name: 'repo', value: warehouse.repoURL },
          { name: 'digest', value: digest },
        ],
      },
    },
  };
}

/** Props of {@link ScanStage}. */
export interface ScanStageProps {
  /** The external image's Warehouse whose Freight it requests, and the repository that Warehouse watches. */
  readonly warehouse: { readonly name: string; readonly repoURL: string };
  /** The Kargo Project namespace. */
  readonly namespace: string;
}

/** A scan Stage: scanStageManifest(), as a typed Kargo construct. */
export class ScanStage extends Construct {
  /** The underlying Kargo object. */
  readonly stage: Stage;

  constructor(scope: Construct, id: string, { warehouse, namespace }: ScanStageProps) {
    super(scope, id);
    this.stage = new Stage(this, 'Resource', stageProps(scanStageManifest(warehouse, { namespace })));
  }
}
