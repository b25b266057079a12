/**
 * The request a rebuild of a managed image sends (DESIGN §10), from images.yaml's `source` and the forge settings:
 * only the inputs images.yaml declares (GitHub answers 422 to others), plus the idempotency key under
 * `source.triggerKeyInput` and the base pins (BuildKit named-context lines) under `source.baseImagesInput` when they
 * are named. Pure: tokens are only checked for presence here.
 */
import type { ManagedImage } from '../enrolment/types.js';
import { githubDispatch, gitlabPipeline, type TriggerRequest, type TriggerTarget } from './triggers.js';

/** Where the forges are and whether this run holds a token for each. */
export interface ForgeEndpoints {
  readonly githubApiUrl: string;
  readonly gitlabUrl: string;
  readonly githubToken: boolean;
  readonly gitlabToken: boolean;
}

/**
 * The request and target for `image` with idempotency `key` and pins `buildContexts`, or why it cannot be sent from
 * here (no workflow named, no token). `dryRun` builds the request without a token.
 */
export function triggerRequest(
  image: ManagedImage,
  forge: ForgeEndpoints,
  key: string,
  buildContexts = '',
  dryRun = false,
): { readonly request: TriggerRequest; readonly target: TriggerTarget } | string {
  const { source } = image;
  const inputs = {
    ...source.triggerInputs,
    ...(source.triggerKeyInput === undefined ? {} : { [source.triggerKeyInput]: key }),
    // Declared inputs only: without baseImagesInput the build is unpinned (the decision still records the pins).
    ...(source.baseImagesInput === undefined ? {} : { [source.baseImagesInput]: buildContexts }),
  };
  if (source.provider === 'github') {
    if (source.workflow === undefined) return `images.yaml names no source.workflow for ${image.name}`;
    if (!forge.githubToken && !dryRun) return 'no GitHub token: set GITHUB_TOKEN or --github-token-file';
    const target: TriggerTarget = {
      provider: 'github',
      repo: source.repo,
      branch: source.branch,
      workflow: source.workflow,
      inputs,
    };
    return { request: githubDispatch(forge.githubApiUrl, target), target };
  }
  if (!forge.gitlabToken && !dryRun) return 'no GitLab token: set GITLAB_TOKEN or --gitlab-token-file';
  const target: TriggerTarget = { provider: 'gitlab', repo: source.repo, branch: source.branch, inputs };
  return { request: gitlabPipeline(forge.gitlabUrl, target), target };
}
