/**
 * image-factory: the library behind the `image-factory` CLI. What a user of the library needs: find the images a
 * Dockerfile is built from, normalise references, load `images.yaml`, read and plan the state, decide the Kargo
 * Warehouses, check Kargo objects against Kargo's runtime rules, ask registries what a tag points to and when it
 * was released, run the CLI in-process, and the errors and exit
 * codes all of it reports with. What the cdk8s chart shares with the tool beyond this is `image-factory/internal`.
 */

export { runCli } from './cli/main.js';
export type { CommandIO } from './cli/usage.js';
export type {
  Diagnostic,
  DiagnosticCode,
  DockerfileAnalysis,
  FileAnalysis,
  ImageKind,
  ImageUse,
  ParseOptions,
  Stage,
} from './dockerfile/index.js';
export { parseDockerfile } from './dockerfile/index.js';
export type {
  EnrolledImage,
  Enrolment,
  EnrolmentDefaults,
  ExternalImage,
  ImageSelectionStrategy,
  ImageSource,
  ManagedImage,
} from './enrolment/index.js';
export { EnrolmentError, type EnrolmentProblem, formatProblem, loadEnrolment } from './enrolment/index.js';
export { EXIT, exitCodeOf, FactoryError, type FactoryErrorCode } from './errors.js';
export {
  checkKargoRuntimeRules,
  formatManifestProblem,
  type ManifestProblem,
  type RuntimeRuleOptions,
} from './kargo/index.js';
export { type NormalisedReference, type NormaliseResult, normaliseReference } from './reference/index.js';
export {
  type CredentialStore,
  type InspectResult,
  inspectImage,
  type LiveStatus,
  liveStatus,
  loadCredentialStore,
  type Platform,
  parsePlatform,
  RegistryClient,
  type RegistryClientOptions,
} from './registry/index.js';
export type {
  AnalysedBuild,
  BaseImageState,
  BaseImageUse,
  ExternalImageState,
  ImageState,
  ManagedImageState,
  StateSnapshot,
} from './state/index.js';
export { analyseDockerfile, EMPTY_STATE, type ImageAnalysis, planStateUpdate, readState } from './state/index.js';
export type { PlannedSubscription, WarehousePlan, WarehouseSelection } from './warehouses/index.js';
export { planManagedWarehouse, planWarehouses } from './warehouses/index.js';
