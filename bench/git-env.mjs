/** The environment and git runner the benchmarks share: a fixed identity, output captured. */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** The images.yaml entry of a managed image of the generated monorepo (Dockerfile at services/<name>/Dockerfile). */
export const monorepoEntry = (name) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/mono\n      dockerfile: services/${name}/Dockerfile\n`;

/** Write images.yaml from `entries` in `work`, commit everything there, and push it to a new bare `remote`. */
export function pushMonorepo(root, work, remote, entries) {
  writeFileSync(join(work, 'images.yaml'), `images:\n${entries.join('')}`);
  git(root, 'init', '--quiet', '--bare', '--initial-branch', 'main', remote);
  git(work, 'init', '--quiet', '--initial-branch', 'main');
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '-m', 'generated monorepo');
  git(work, 'push', '--quiet', remote, 'HEAD:refs/heads/main');
}

/**
 * Run `node args…` without blocking this process's event loop (a benchmark's test servers answer from it, which
 * spawnSync would freeze); resolves with the exit status and the captured output.
 */
export function runNode(args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
