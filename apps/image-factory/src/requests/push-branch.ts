/**
 * Push the commit a request was written in to its own branch (`image-factory/request/<id>`), not to the target,
 * through the clone's own push (GitWorkspace: the job's environment, credentials in GIT_CONFIG_* headers, never in
 * the URL or arguments). A branch that already exists is never overwritten by `request add` (no force): it is
 * reported as `exists`; `request refresh` replaces it only while it is where it was read (force-with-lease).
 */
import type { GitWorkspace } from '../git/index.js';

/** Push HEAD of `workspace` to the new branch `branch`; `exists` when the remote has that branch already. */
export async function pushNewBranch(workspace: GitWorkspace, branch: string): Promise<'pushed' | 'exists'> {
  return (await workspace.push({ branch })) === 'pushed' ? 'pushed' : 'exists';
}

/**
 * Replace request branch `branch` with HEAD of `workspace`, only if the remote branch is still at `expected` (a
 * force-with-lease: a push someone made meanwhile is never overwritten). `moved` when it was not.
 */
export async function replaceBranch(
  workspace: GitWorkspace,
  branch: string,
  expected: string,
): Promise<'pushed' | 'moved'> {
  return (await workspace.push({ branch, expected })) === 'pushed' ? 'pushed' : 'moved';
}
