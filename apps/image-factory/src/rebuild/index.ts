/**
 * The rebuild engine's rules and forge calls (DESIGN §10), the only door into this folder. Pure: one wave of
 * decisions from a base update (wave.ts: delay from release that cannot starve, urgency, fresh already, one rebuild
 * per image per wave, ancestor waits, cycles as errors); the decisions in state (record.ts: record an update, what is
 * due, claim it with its key, claim again what was never answered, record the CI's answer, requeue refusals); the
 * digests a rebuild is pinned to (pins.ts); the signature gate on base digests (gate.ts: blocked, warned, never
 * pinned); one run planned (plan-run.ts); the request a rebuild sends (trigger-request.ts); Trivy summaries for urgency (vulnerabilities.ts); the forges' base URLs (forge-urls.ts).
 * Effects, injected: sending a trigger (triggers.ts) and looking for a run already started with a key
 * (forge-runs.ts). The `rebuild` job (jobs/rebuild-job.ts) joins them to git, the registry and the clock.
 */

export { criticalsFixedByLatest, scanOf } from '../state/vulnerabilities.js';
export { findStartedRun, type RunLookup, type StartedRun } from './forge-runs.js';
export {
  type BaseUrlSetting,
  baseUrlHelp,
  checkBaseUrl,
  GITHUB_API_URL,
  GITHUB_URL,
  GITLAB_URL,
  precedenceText,
  resolveBaseUrl,
} from './forge-urls.js';
export {
  type BaseDigest,
  basePolicy,
  type DigestVerdict,
  type GatedDigest,
  gatedDigests,
  gateReason,
  policyWants,
  unverifiable,
  type Verdicts,
  verdictKey,
  verdictOf,
} from './gate.js';
export {
  buildContextName,
  buildContexts,
  type GatedPins,
  gatedPinsFor,
  type Pin,
  pinCandidates,
  pinnedDigest,
  pinsFor,
} from './pins.js';
export {
  type GateOutcome,
  managedImage,
  type PlannedSend,
  planRun,
  type RequestFor,
  type RunInput,
  type RunPlan,
} from './plan-run.js';
export {
  type BuildFacts,
  type ClaimInFlight,
  claimRebuilds,
  claimsInFlight,
  credibleRelease,
  dueRebuilds,
  type KeyedAnswer,
  markNotSent,
  pendingByImage,
  reclaim,
  recordBaseUpdate,
  recordTriggerOutcome,
  recordTriggerOutcomes,
  requeueRefused,
  type TriggerAnswer,
  timedOutClaims,
  triggerConfig,
  triggerKey,
  type UpdateResult,
  waveGraphOf,
} from './record.js';
export { type ForgeEndpoints, triggerRequest } from './trigger-request.js';
export {
  DEFAULT_GITHUB_API_URL,
  DEFAULT_GITLAB_URL,
  forgeExchange,
  forgeMessage,
  GITHUB_API_VERSION,
  GITHUB_HEADERS,
  githubDispatch,
  gitlabPipeline,
  redirectMessage,
  sendTrigger,
  type TriggerEffects,
  type TriggeredRun,
  type TriggerOutcome,
  type TriggerRequest,
  type TriggerTarget,
} from './triggers.js';
export { applyStoredUrgency, type Urgency, type UrgentBase, urgencyOf } from './urgency.js';
export { type GivenReport, givenReport } from './vulnerabilities.js';
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
