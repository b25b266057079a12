/**
 * `image-factory/internal`: what the cdk8s chart, the repository's scripts and benchmarks share with the tool
 * beyond the public API (Kargo object rendering, the Project's names, deterministic YAML, atomic writes, state
 * writing, the schema). Not a stable API for anyone else: it moves with the chart.
 */

export { IMAGES_SCHEMA } from './enrolment/schema.js';
export * from './index.js';
export { managedPipelineObjects, type PipelineOptions, stageNames } from './kargo/managed-pipeline.js';
export {
  dependentsAnnotation,
  type FreightRequest,
  type ImageSubscription,
  imageFromWarehouse,
  imageSubscription,
  MAX_DEPENDENTS_ANNOTATION,
  type ObjectMeta,
  type PromotionStep,
  quotedExpression,
  type StageManifest,
  type WarehouseManifest,
  type WarehouseManifestOptions,
  warehouseManifest,
} from './kargo/manifests.js';
export {
  ANALYSIS_TEMPLATE,
  KARGO_PROJECT,
  MANAGED_BY,
  type ObjectKind,
  PROJECT_NAMESPACE_LABEL,
} from './kargo/project.js';
export { renderState, type StateFileChange, type StateWrite, stateFileChanges, writeState } from './state/store.js';
export { compareCodeUnits } from './util/compare.js';
export { readIfExists, writeFileAtomic } from './util/files.js';
export { FastYamlError, parseAllYamlFast, parseYamlFast, stringifyAllYamlFast } from './yaml/fast-parse.js';
