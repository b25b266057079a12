/** Real git repositories for tests: bare remotes on disk, seeded with git fast-import. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/**
 * Commit `files` (null deletes; `{ symlink }` makes a symbolic link) straight into the bare repository with
 * `git fast-import`: two git processes, where a temporary clone took eight (the suite seeds a few hundred commits).
 */
export function commitFiles(
  bare: string,
  files: Record<string, string | { symlink: string } | null>,
  message: string,
  branch = 'main',
): string {
  const ref = `refs/heads/${branch}`;
  const chunks: Buffer[] = [];
  const data = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    chunks.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'));
  };
  chunks.push(Buffer.from(`commit ${ref}\ncommitter seed <seed@example.com> now\n`));
  data(message);
  let parent = '';
  try {
    parent = git(bare, 'rev-parse', '--verify', '--quiet', ref);
  } catch {
    // an empty remote: the branch starts here
  }
  if (parent !== '') chunks.push(Buffer.from(`from ${parent}\n`));
  for (const [path, content] of Object.entries(files)) {
    if (content === null) chunks.push(Buffer.from(`D ${path}\n`));
    else if (typeof content === 'string') {
      chunks.push(Buffer.from(`M 100644 inline ${path}\n`));
      data(content);
    } else {
      chunks.push(Buffer.from(`M 120000 inline ${path}\n`));
      data(content.symlink);
    }
  }
  execFileSync('git', ['fast-import', '--quiet', '--date-format=now'], {
    cwd: bare,
    env: GIT_ENV,
    input: Buffer.concat(chunks),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  return remoteHead(bare, branch);
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
  return commitFiles(bare, { [path]: { symlink: target } }, `symlink ${path}`, branch);
}
