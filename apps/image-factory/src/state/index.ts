/**
 * The state under image-factory/state/: its schemas and types (one definition), the pure planner
 * (current state + enrolment + new analyses → next state; names kept once written), deterministic YAML, and the
 * store (StateFolder reads once and then only what changed; atomic writes for scripts).
 */
export { analyseDockerfile, type ImageAnalysis } from './analysis.js';
export { planStateUpdate } from './plan.js';
export {
  readState,
  renderState,
  type StateFileChange,
  StateFolder,
  type StateWrite,
  stateFileChanges,
  writeState,
} from './store.js';
export * from './types.js';
