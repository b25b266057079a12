/**
 * The rebuild rules (DESIGN §10) as pure functions, the first part of the rebuild engine (issue 12): one wave of
 * rebuilds from a base-image update (release-age delay that cannot starve, urgency, fresh already, one rebuild per
 * image per wave, waits for ancestors, cycles as errors) and Trivy report summaries for the urgency rule (no git,
 * no HTTP, no clock: times come in as ISO strings); and the CI triggers (GitHub workflow_dispatch, GitLab pipeline):
 * pure request builders plus one sender with the retry rules; and the decisions in state (record an update, list
 * what is due, claim it with an idempotency key, record the CI's answer) as pure transitions of a state snapshot.
 * The `rebuild` command that joins them to git, the registry and the clock is not built yet.
 */

export {
  type BuildFacts,
  claimRebuilds,
  dueRebuilds,
  pendingByImage,
  recordBaseUpdate,
  recordTriggerOutcome,
  triggerKey,
  type UpdateResult,
  waveGraphOf,
} from './record.js';
export {
  DEFAULT_GITHUB_API_URL,
  DEFAULT_GITLAB_URL,
  GITHUB_API_VERSION,
  githubDispatch,
  gitlabPipeline,
  sendTrigger,
  type TriggerEffects,
  type TriggerOutcome,
  type TriggerRequest,
  type TriggerTarget,
} from './triggers.js';
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
