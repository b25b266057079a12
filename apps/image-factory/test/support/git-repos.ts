/** Real git repositories for tests: bare remotes on disk, seeded through a working clone. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'seed',
  GIT_AUTHOR_EMAIL: 'seed@example.com',
  GIT_COMMITTER_NAME: 'seed',
  GIT_COMMITTER_EMAIL: 'seed@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Run git and return its trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const created: string[] = [];

/** A fresh temporary folder, removed after the test file (test/setup.ts). */
export function tempDir(prefix = 'if-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Remove every folder tempDir() made (scratch may be a tmpfs: it is memory). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A bare repository whose `main` holds `files` in one commit. Returns its path. */
export function createRemote(files: Record<string, string>, branch = 'main'): string {
  const root = tempDir('if-remote-');
  const bare = join(root, 'remote.git');
  git(root, 'init', '--quiet', '--bare', '--initial-branch', branch, bare);
  commitFiles(bare, files, 'seed', branch);
  return bare;
}

/** Commit `files` (null deletes) on the remote's branch through a temporary clone. */
export function commitFiles(
  bare: string,
  files: Record<string, string | null>,
  message: string,
  branch = 'main',
): string {
  const work = tempDir('if-work-');
  git(work, 'init', '--quiet', '--initial-branch', branch);
  git(work, 'remote', 'add', 'origin', bare);
  try {
    git(work, 'fetch', '--quiet', 'origin', branch);
    git(work, 'checkout', '--quiet', '-b', branch, `origin/${branch}`);
  } catch {
    // an empty remote: start the branch here
  }
  for (const [path, content] of Object.entries(files)) {
    const full = join(work, path);
    if (content === null) {
      git(work, 'rm', '--quiet', path);
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '-m', message);
  git(work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
  return git(work, 'rev-parse', 'HEAD');
}

/** The tip of a branch on the remote. */
export function remoteHead(bare: string, branch = 'main'): string {
  return git(bare, 'rev-parse', `refs/heads/${branch}`);
}

/** A file's content at the branch tip, or null. */
export function remoteFile(bare: string, path: string, branch = 'main'): string | null {
  try {
    return git(bare, 'show', `refs/heads/${branch}:${path}`);
  } catch {
    return null;
  }
}

/** Paths under a folder at the branch tip. */
export function remoteFiles(bare: string, folder: string, branch = 'main'): string[] {
  const out = git(bare, 'ls-tree', '-r', '--name-only', `refs/heads/${branch}`, '--', folder);
  return out === '' ? [] : out.split('\n').sort();
}

/** Commit subjects, newest first. */
export function remoteSubjects(bare: string, branch = 'main'): string[] {
  return git(bare, 'log', '--format=%s', `refs/heads/${branch}`).split('\n');
}

/** Commit a symbolic link `path` → `target` on the remote's branch (as a repository can hold one). */
export function commitSymlink(bare: string, path: string, target: string, branch = 'main'): string {
  const work = tempDir('if-work-');
  git(work, 'clone', '--quiet', '--branch', branch, bare, 'clone');
  const clone = join(work, 'clone');
  mkdirSync(dirname(join(clone, path)), { recursive: true });
  rmSync(join(clone, path), { force: true });
  symlinkSync(target, join(clone, path));
  git(clone, 'add', '--all');
  git(clone, 'commit', '--quiet', '-m', `symlink ${path}`);
  git(clone, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
  return git(clone, 'rev-parse', 'HEAD');
}
