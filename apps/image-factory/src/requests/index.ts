/**
 * Image requests (DESIGN §14, issue 23), the only door into this folder. The `requests:` policy of images.yaml
 * (schema.ts, policy.ts) routes a request to the first tier whose `when` matches (tier.ts: kind `base` when the image
 * is a base image of a managed image in state); `request add` writes the request file
 * `image-factory/requests/<tier>/<id>.yaml` and the images.yaml entry in one commit and opens the pull request or
 * merge request (forge.ts), or commits straight to the target branch for an auto-approve tier; `request check`
 * verifies a pull request independently of the forge; `request codeowners` writes the CODEOWNERS lines per tier
 * folder; `request provision` provisions approved requests; `image-factory/requests/audit.jsonl` (audit.ts) only grows.
 *
 * The pull request of a pending request never touches audit.jsonl (two open requests would otherwise conflict at
 * its last line): its `requested` and `approved` lines are written after the merge by `request provision`, with
 * `requestedAt` and the approvers read from the forge. An auto-approve request writes both lines in its commit.
 */
export { type AddJobOptions, type AddResult, runRequestAdd } from './add.js';
export { appendAudit, auditGrows, formatAuditLine, parseAuditLog } from './audit.js';
export { CHAINGUARD_BACKOFF_MS, type ChainguardOutcome, provisionRepository, repositoryNameOf } from './chainguard.js';
export {
  type ChangeCheck,
  type CheckedRequest,
  checkRequestChange,
  missingApprovals,
  type RequestChange,
} from './check.js';
export { type CheckedRequestResult, type CheckResult, runRequestCheck } from './check-job.js';
export { CODEOWNERS_BEGIN, CODEOWNERS_END, codeownersBlock, withCodeownersBlock } from './codeowners.js';
export {
  approvalRuleName,
  approversOf,
  comment,
  type ForgeAnswer,
  findPullRequest,
  getPullRequest,
  openPullRequest,
  type PullRequestInput,
  type PullRequestRef,
  REQUEST_LABEL,
  type RequestForge,
  tierLabel,
} from './forge.js';
export { requestId } from './id.js';
export {
  type AddPlan,
  type AddRequestInput,
  auditLineFor,
  planRequestAdd,
  type RequestPaths,
  type TargetBranch,
} from './plan-add.js';
export { checkRequestsPolicy, type PolicyProblem } from './policy.js';
export { AUTO_APPROVER, dueRequests, planProvision, type StoredRequest } from './provision.js';
export { type ProvisionJobOptions, type ProvisionJobResult, runProvisionJob } from './provision-job.js';
export { auditSince, filterRows, type RequestRow, requestHistory, requestRows } from './read.js';
export { type RefreshResult, runRequestRefresh } from './refresh-job.js';
export { proposedRequest, requestBranchIds } from './request-branches.js';
export { parseRequestFile, renderRequestFile } from './request-file.js';
export * from './schema.js';
export { type RequestsSnapshot, readRequestsSnapshot } from './store.js';
export { requestKind, type TierInput, tierFor, tierMatches } from './tier.js';
