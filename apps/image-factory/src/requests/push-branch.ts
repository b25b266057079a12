/**
 * Push the commit a request was written in to its own branch (`image-factory/request/<id>`), not to the target:
 * git with the job's environment (credentials in GIT_CONFIG_* headers, never in the URL or arguments). A branch
 * that already exists is never overwritten (no force): it is reported as `exists`.
 */
import { simpleGit } from 'simple-git';
import { describeGitFailure, type GitWorkspace } from '../git/workspace.js';
import { redact } from '../log/redact.js';

/** Push HEAD of `workspace` to the new branch `branch`. */
export async function pushNewBranch(
  workspace: GitWorkspace,
  env: Record<string, string>,
  branch: string,
  timeoutMs: number,
): Promise<'pushed' | 'exists'> {
  const git = simpleGit({
    baseDir: workspace.dir,
    trimmed: true,
    completion: { onClose: true, onExit: false },
    timeout: { block: timeoutMs },
    unsafe: {
      allowUnsafeConfigEnvCount: true,
      allowUnsafeSshCommand: env.GIT_SSH_COMMAND !== undefined,
      allowUnsafeConfigPaths: env.GIT_CONFIG_GLOBAL !== undefined,
    },
  }).env(env);
  try {
    await git.raw(['push', '--porcelain', 'origin', `HEAD:refs/heads/${branch}`]);
    return 'pushed';
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/\[rejected\]|non-fast-forward|fetch first|already exists/i.test(text)) return 'exists';
    throw describeGitFailure(`push to ${redact(workspace.url)} (branch ${branch}) was refused`, workspace.url, error);
  }
}
