/**
 * `image-factory/internal`: what the cdk8s chart, the repository's scripts and benchmarks share with the tool
 * beyond the public API (Kargo object rendering, the Project's names, deterministic YAML, atomic writes, state
 * writing, the schema). Not a stable API for anyone else: it moves with the chart.
 */

export { IMAGES_SCHEMA } from './enrolment/index.js';
export * from './index.js';
export {
  ANALYSIS_TEMPLATE,
  checkWarehouse,
  dependentsAnnotation,
  type FieldProblem,
  type FreightRequest,
  type ImageSubscription,
  imageFromWarehouse,
  imageSubscription,
  KARGO_PROJECT,
  MANAGED_BY,
  MAX_DEPENDENTS_ANNOTATION,
  managedPipelineObjects,
  type ObjectKind,
  type ObjectMeta,
  type PipelineOptions,
  PROJECT_NAMESPACE_LABEL,
  type PromotionStep,
  quotedExpression,
  REBUILD_TEMPLATE,
  rebuildStageManifest,
  rebuildStageName,
  SCAN_TEMPLATE,
  type StageKind,
  type StageManifest,
  type StageWarehouse,
  type SubscriptionKind,
  scanStageManifest,
  scanStageName,
  stageNames,
  type WarehouseManifest,
  type WarehouseManifestOptions,
  type WarehouseRuleOptions,
  warehouseManifest,
  warehouseStageName,
} from './kargo/index.js';
export { renderState, type StateFileChange, type StateWrite, stateFileChanges, writeState } from './state/index.js';
export { compareCodeUnits } from './util/compare.js';
export { readIfExists, writeFileAtomic } from './util/files.js';
export { FastYamlError, parseAllYamlFast, parseYamlFast, stringifyAllYamlFast } from './yaml/fast-parse.js';
