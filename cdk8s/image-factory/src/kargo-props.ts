/**
 * The tool's Kargo objects as the props of the constructs `cdk8s import` generated from the vendored CRDs. The tool
 * renders every field (warehouseManifest(), the Stage renderers); this only meets the generated types where they
 * differ in form, not in content: their arrays are mutable and a Stage's origin kind is an enum. The compiler checks
 * every other field against the CRD's types.
 */
import type { FreightRequest, StageManifest, WarehouseManifest } from 'image-factory/internal';
import type { WarehouseProps } from '../imports/kargo.akuity.io.js';
import { type StageProps, StageSpecRequestedFreightOriginKind } from '../imports/kargo-stage-kargo.akuity.io.js';

/** Each origin kind the tool writes, as the generated enum spells it (a kind added to the tool fails to compile here). */
const ORIGIN_KINDS = {
  Warehouse: StageSpecRequestedFreightOriginKind.WAREHOUSE,
} as const satisfies Record<FreightRequest['origin']['kind'], StageSpecRequestedFreightOriginKind>;

/** A Warehouse manifest as Warehouse props. */
export function warehouseProps({ metadata, spec }: WarehouseManifest): WarehouseProps {
  return { metadata, spec: { interval: spec.interval, subscriptions: [...spec.subscriptions] } };
}

/** A Stage manifest as Stage props. */
export function stageProps({ metadata, spec }: StageManifest): StageProps {
  const { promotionTemplate, verification } = spec;
  return {
    metadata,
    spec: {
      requestedFreight: spec.requestedFreight.map(({ origin, sources }) => ({
        origin: { kind: ORIGIN_KINDS[origin.kind], name: origin.name },
        sources: 'stages' in sources ? { stages: [...sources.stages] } : sources,
      })),
      ...(promotionTemplate === undefined
        ? {}
        : { promotionTemplate: { spec: { steps: [...promotionTemplate.spec.steps] } } }),
      ...(verification === undefined
        ? {}
        : { verification: { analysisTemplates: [...verification.analysisTemplates], args: [...verification.args] } }),
    },
  };
}
