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
export { FactoryError, type FactoryErrorCode } from './errors.js';
export { type NormalisedReference, type NormaliseResult, normaliseReference } from './reference/normalise.js';
