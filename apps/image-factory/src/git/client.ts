/**
 * simple-git as every git command of the factory runs it: in `dir` with the job's environment (from gitEnvironment:
 * the credentials header as GIT_CONFIG_*, no prompts), stopped when it makes no progress for `timeoutMs`, and done
 * only when git's output is closed. The clone and its pushes (GitWorkspace) and the request branches' reads and
 * pushes all go through it, so a fix to how git runs is made once.
 */
import { type SimpleGit, simpleGit } from 'simple-git';

/** A git network operation that makes no progress for this long is stopped (`--git-timeout`). */
export const DEFAULT_GIT_TIMEOUT_MS = 120_000;

/** simple-git in `dir` with `env`; `trimmed: false` keeps output byte for byte (file contents read with `show`). */
export function gitClient(
  dir: string,
  env: Record<string, string>,
  timeoutMs = DEFAULT_GIT_TIMEOUT_MS,
  trimmed = true,
): SimpleGit {
  return simpleGit({
    baseDir: dir,
    maxConcurrentProcesses: 4,
    trimmed,
    // Done when git's output is closed, not 50 ms after it exits (simple-git 3's default; 2 still waits on either):
    // on a busy event loop the output was not always read by then, and `git diff --name-only` came back empty, so a
    // retry planned on stale state and dropped another job's dependent (found by the 32-way concurrency test).
    completion: { onClose: true, onExit: false },
    // Network operations run with --progress, so output keeps flowing while data does; silence means a stall.
    // simple-git then stops git, but not git-remote-http, which would keep the output open (and the job waiting for
    // it to close) as long as the server says nothing: curl is given the same limit below, so it gives up too.
    timeout: { block: timeoutMs },
    // GIT_CONFIG_COUNT is set by gitEnvironment (the auth header); GIT_SSH_COMMAND and GIT_CONFIG_GLOBAL pass only
    // when the operator set them (simple-git refuses both by default, with a message that names neither).
    unsafe: {
      allowUnsafeConfigEnvCount: true,
      allowUnsafeSshCommand: env.GIT_SSH_COMMAND !== undefined,
      allowUnsafeConfigPaths: env.GIT_CONFIG_GLOBAL !== undefined,
    },
  }).env({
    ...env,
    // Less than 1 byte/s for the --git-timeout: HTTP(S) transfers end on their own, even when their git is gone.
    GIT_HTTP_LOW_SPEED_LIMIT: '1',
    GIT_HTTP_LOW_SPEED_TIME: String(Math.max(1, Math.ceil(timeoutMs / 1000))),
  });
}
