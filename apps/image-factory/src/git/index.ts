/**
 * Git through simple-git, at the edge: shallow and sparse clones, commits made whole with fast-import, pushes that
 * retry against a deadline on a moved branch, credentials only as an Authorization header, and a timeout on every
 * network operation. Nothing here decides what to commit: callers pass a `prepare` function.
 */
export { DEFAULT_GIT_TIMEOUT_MS, gitClient } from './client.js';
export { credentialsFromURL, type GitCredentials, resolveCredentials } from './credentials.js';
export {
  jobPublishOptions,
  type PublishOptions,
  type PublishResult,
  publishChange,
  type RetrySettings,
} from './publish.js';
export { GitWorkspace, gitEnvironment, gitStep } from './workspace.js';
