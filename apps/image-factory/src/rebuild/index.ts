/**
 * The rebuild rules (DESIGN §10) as pure functions, the first part of the rebuild engine (issue 12): one wave of
 * rebuilds from a base-image update (release-age delay that cannot starve, urgency, fresh already, one rebuild per
 * image per wave, waits for ancestors, cycles as errors) and Trivy report summaries for the urgency rule (no git,
 * no HTTP, no clock: times come in as ISO strings); and the CI triggers (GitHub workflow_dispatch, GitLab pipeline):
 * pure request builders plus one sender with the retry rules. The `rebuild` command and the decisions in state are
 * not built yet.
 */

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
