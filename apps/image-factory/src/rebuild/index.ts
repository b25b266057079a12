/**
 * The rebuild rules (DESIGN §10) as pure functions, the first part of the rebuild engine (issue 12): one wave of
 * rebuilds from a base-image update (release-age delay that cannot starve, urgency, fresh already, one rebuild per
 * image per wave, waits for ancestors, cycles as errors) and Trivy report summaries for the urgency rule. No git,
 * no HTTP, no clock: times come in as ISO strings. The `rebuild` command, state records and triggers are not built
 * yet.
 */
export { criticalFixed, summariseTrivyReport, type VulnerabilitySummary } from './vulnerabilities.js';
export {
  ANCESTOR_WAIT_SECONDS,
  type BaseUpdate,
  decideWave,
  findCycle,
  type PendingRebuild,
  type WaveDecision,
  type WaveGraph,
  type WaveImage,
  type WaveResult,
} from './wave.js';
