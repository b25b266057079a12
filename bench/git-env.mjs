/** The environment and git runner the benchmarks share: a fixed identity, output captured. */
import { execFileSync } from 'node:child_process';

export const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'b@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'b@example.com',
};

/** Run git in `cwd` and return its trimmed stdout. */
export const git = (cwd, ...args) =>
  execFileSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
