/**
 * Push the commit a request was written in to its own branch (`image-factory/request/<id>`), not to the target:
 * git with the job's environment (credentials in GIT_CONFIG_* headers, never in the URL or arguments). A branch
 * that already exists is never overwritten by `request add` (no force): it is reported as `exists`; `request refresh`
 * replaces it only while it is where it was read (force-with-lease).
 */
import { type SimpleGit, simpleGit } from 'simple-git';
import { describeGitFailure, type GitWorkspace } from '../git/workspace.js';
import { redact } from '../log/redact.js';

/** simple-git in `dir` with the job's environment (the credentials header passes as GIT_CONFIG_*). */
export function requestGit(dir: string, env: Record<string, string>, timeoutMs: number, trimmed = true): SimpleGit {
  return simpleGit({
    baseDir: dir,
    trimmed,
    completion: { onClose: true, onExit: false },
    timeout: { block: timeoutMs },
    unsafe: {
      allowUnsafeConfigEnvCount: true,
      allowUnsafeSshCommand: env.GIT_SSH_COMMAND !== undefined,
      allowUnsafeConfigPaths: env.GIT_CONFIG_GLOBAL !== undefined,
    },
  }).env(env);
}

/** Push HEAD of `workspace` to the new branch `branch`. */
export async function pushNewBranch(
  workspace: GitWorkspace,
  env: Record<string, string>,
  branch: string,
  timeoutMs: number,
): Promise<'pushed' | 'exists'> {
  const git = requestGit(workspace.dir, env, timeoutMs);
  try {
    await git.raw(['push', '--porcelain', 'origin', `HEAD:refs/heads/${branch}`]);
    return 'pushed';
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/\[rejected\]|non-fast-forward|fetch first|already exists/i.test(text)) return 'exists';
    throw describeGitFailure(`push to ${redact(workspace.url)} (branch ${branch}) was refused`, workspace.url, error);
  }
}

/**
 * Replace request branch `branch` with HEAD of `workspace`, only if the remote branch is still at `expected` (a
 * force-with-lease: a push someone made meanwhile is never overwritten). `moved` when it was not.
 */
export async function replaceBranch(
  workspace: GitWorkspace,
  env: Record<string, string>,
  branch: string,
  expected: string,
  timeoutMs: number,
): Promise<'pushed' | 'moved'> {
  const git = requestGit(workspace.dir, env, timeoutMs);
  try {
    await git.raw([
      'push',
      '--porcelain',
      `--force-with-lease=refs/heads/${branch}:${expected}`,
      'origin',
      `HEAD:refs/heads/${branch}`,
    ]);
    return 'pushed';
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/\[rejected\]|stale info|fetch first/i.test(text)) return 'moved';
    throw describeGitFailure(`push to ${redact(workspace.url)} (branch ${branch}) was refused`, workspace.url, error);
  }
}
