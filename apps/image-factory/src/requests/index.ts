/**
 * Image requests (DESIGN §14, issue 23), the only door into this folder. The `requests:` policy of images.yaml
 * (schema.ts, policy.ts) routes a request to the first tier whose `when` matches (tier.ts: kind `base` when the image
 * is a base image of a managed image in state); `request add` writes the request file
 * `image-factory/requests/<tier>/<id>.yaml` and the images.yaml entry in one commit and opens the pull request or
 * merge request (forge.ts), or commits straight to the target branch for an auto-approve tier; `request check`
 * verifies a pull request independently of the forge; `request codeowners` writes the CODEOWNERS lines per tier
 * folder; `request provision` provisions approved requests; `image-factory/requests/audit.jsonl` (audit.ts) only grows.
 */

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
export { checkRequestsPolicy, type PolicyProblem } from './policy.js';
export * from './schema.js';
