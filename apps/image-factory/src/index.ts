/** image-factory: the library behind the `image-factory` CLI. */

export { parseDockerfile } from './dockerfile/parse.js';
export type {
  Diagnostic,
  DiagnosticCode,
  DockerfileAnalysis,
  FileAnalysis,
  ImageKind,
  ImageUse,
  ParseOptions,
  Stage,
} from './dockerfile/types.js';
export { type Expansion, expandVariables, type VariableLookup } from './dockerfile/variables.js';
export { parseDelay } from './enrolment/duration.js';
export { EnrolmentError, type EnrolmentProblem, formatProblem, loadEnrolment } from './enrolment/load.js';
export { IMAGES_SCHEMA } from './enrolment/schema.js';
export type {
  EnrolledImage,
  Enrolment,
  EnrolmentDefaults,
  ExternalImage,
  ImageSelectionStrategy,
  ImageSource,
  ManagedImage,
} from './enrolment/types.js';
export { fieldPath } from './enrolment/yaml-position.js';
export { EXIT, exitCodeOf, FactoryError, type FactoryErrorCode } from './errors.js';
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
export {
  checkKargoRuntimeRules,
  formatManifestProblem,
  type ManifestProblem,
  type RuntimeRuleOptions,
} from './kargo/runtime-rules.js';
export { assignBaseImageNames, baseNameOf, fitDnsLabel, shortHash, toDnsLabelChars } from './naming/names.js';
export { type NormalisedReference, type NormaliseResult, normaliseReference } from './reference/normalise.js';
export { analyseDockerfile, type ImageAnalysis, type UnnamedBaseImageUse } from './state/analysis.js';
export { describeBaseImageChanges, describeImageChanges } from './state/describe.js';
export { exactTagRegex, planStateUpdate, repoURLOf } from './state/plan.js';
export { serialiseState } from './state/serialise.js';
export {
  diffStates,
  readState,
  renderState,
  type StateFileChange,
  type StateWrite,
  stateFileChanges,
  writeState,
} from './state/store.js';
export type {
  AnalysedBuild,
  BaseImageState,
  BaseImageUse,
  ExternalImageState,
  ImageState,
  ManagedImageState,
  StateSnapshot,
  WarehouseConfig,
} from './state/types.js';
export { EMPTY_STATE } from './state/types.js';
export { compareCodeUnits } from './util/compare.js';
export { readIfExists, writeFileAtomic } from './util/files.js';
export { planManagedWarehouse, planWarehouses } from './warehouses/plan.js';
export type { PlannedSubscription, WarehousePlan, WarehouseSelection } from './warehouses/types.js';
export { FastYamlError, parseAllYamlFast, parseYamlFast, stringifyAllYamlFast } from './yaml/fast-parse.js';
