/** A git working copy driven through simple-git, with credentials passed by environment, never by URL. */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { FactoryError } from '../errors.js';
import { redact, registerBasicAuth } from '../log/redact.js';
import { DEFAULT_GIT_TIMEOUT_MS, gitClient } from './client.js';
import type { GitCredentials } from './credentials.js';

/** One file to write (content) or delete (null), relative to the repository root. */
export interface FileChange {
  readonly path: string;
  readonly content: string | null;
}

/**
 * Run git with bytes on stdin. simple-git has no way to feed a command's standard input, and fast-import
 * reads its whole stream from there; everything else goes through simple-git.
 */
function runWithInput(cwd: string, args: readonly string[], input: Buffer, env: Record<string, string>): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', [...args], { cwd, env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`git ${args[0]} exited ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(input);
  });
}

export { DEFAULT_GIT_TIMEOUT_MS };

/** Who commits. */
export interface GitAuthor {
  readonly name: string;
  readonly email: string;
}

const PASSED_ENV = new Set([
  'PATH',
  'HOME',
  'USER',
  'TMPDIR',
  'LANG',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSH_COMMAND',
  'SSH_AUTH_SOCK',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_CONFIG_GLOBAL',
  'XDG_CONFIG_HOME',
]);

/**
 * The environment git runs with: no prompts, and for HTTP(S) remotes an Authorization header set through
 * GIT_CONFIG_* (so the token is neither in the URL, nor in the process arguments, nor in .git/config).
 */
export function gitEnvironment(
  base: Readonly<Record<string, string | undefined>>,
  credentials: GitCredentials | null,
  author?: GitAuthor,
): Record<string, string> {
  const env: Record<string, string> = {};
  // Only what a non-interactive git needs: no editors, pagers or askpass helpers from the caller's shell.
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && (PASSED_ENV.has(key) || /^(https?|no|all)_proxy$/i.test(key))) env[key] = value;
  }
  // Never prompt: a job with wrong credentials must fail, not hang.
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  if (author !== undefined) {
    env.GIT_AUTHOR_NAME = author.name;
    env.GIT_AUTHOR_EMAIL = author.email;
    env.GIT_COMMITTER_NAME = author.name;
    env.GIT_COMMITTER_EMAIL = author.email;
  }
  if (credentials !== null) {
    const basic = registerBasicAuth(credentials.username, credentials.token);
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  return env;
}

/** Progress lines that `--progress` adds: kept out of error messages. */
const PROGRESS =
  /^(remote: )?(Enumerating|Counting|Compressing|Writing|Receiving|Resolving|Unpacking|Updating files|Total \d|Delta compression|Done$|Cloning into)/;

/** git's output as one redacted line, without progress noise. */
function oneLine(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error))
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !PROGRESS.test(line))
    .join(' | ');
}

/**
 * What a git failure means for a person. git answers a refused credential by trying to prompt ("could not read
 * Username … terminal prompts disabled"), which says nothing of the cause; a stalled server or hook ends in the
 * no-progress timeout.
 */
export function describeGitFailure(what: string, url: string, error: unknown): FactoryError {
  const text = error instanceof Error ? error.message : String(error);
  const where = redact(url);
  if (/could not read (Username|Password)|Authentication failed|returned error: 40[13]|HTTP 40[13]/i.test(text)) {
    const status = /\b403\b/.test(text) ? 403 : 401;
    return new FactoryError(
      'git',
      `${what}: authentication failed (HTTP ${status}) for ${where}: check the token (--git-credentials-file, ` +
        '$GIT_CREDENTIALS_FILE or $GIT_TOKEN) and that it may read and push this repository',
      { cause: error },
    );
  }
  if (/block timeout reached/.test(text)) {
    return new FactoryError(
      'timeout',
      `${what}: git made no progress for the --git-timeout (${where}): the server or a hook is not answering`,
      { cause: error },
    );
  }
  return new FactoryError('git', `${what}: ${oneLine(error)}`, { cause: error });
}

/** Run a git step, turning its failure into a redacted FactoryError that says what was being done. */
export async function gitStep<T>(what: string, action: () => Promise<T>, url = ''): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw describeGitFailure(what, url, error);
  }
}

/** A checked-out repository. */
export class GitWorkspace {
  private constructor(
    readonly dir: string,
    readonly url: string,
    readonly branch: string,
    private readonly git: SimpleGit,
    private readonly env: Record<string, string>,
  ) {}

  /** Clone only the branch's tip (depth 1), with `extra` clone options; the workspace is ready to use. */
  private static async clone(
    url: string,
    branch: string,
    dir: string,
    env: Record<string, string>,
    timeoutMs: number,
    extra: readonly string[] = [],
  ): Promise<GitWorkspace> {
    await mkdir(dir, { recursive: true });
    const git = gitClient(dir, env, timeoutMs);
    const options = ['--depth', '1', '--single-branch', '--branch', branch, '--no-tags', '--progress', ...extra];
    await gitStep(`cannot clone ${url} (branch ${branch})`, () => git.clone(url, dir, options), url);
    return new GitWorkspace(dir, url, branch, gitClient(dir, env, timeoutMs), env);
  }

  /** Clone only the branch's tip (depth 1). */
  static cloneShallow(
    url: string,
    branch: string,
    dir: string,
    env: Record<string, string>,
    timeoutMs = DEFAULT_GIT_TIMEOUT_MS,
  ): Promise<GitWorkspace> {
    return GitWorkspace.clone(url, branch, dir, env, timeoutMs);
  }

  /** Clone only the branch's tip and check out only `paths` (blobs fetched on demand where the server allows). */
  static async cloneSparse(
    url: string,
    branch: string,
    dir: string,
    paths: readonly string[],
    env: Record<string, string>,
    timeoutMs = DEFAULT_GIT_TIMEOUT_MS,
  ): Promise<GitWorkspace> {
    const workspace = await GitWorkspace.clone(url, branch, dir, env, timeoutMs, [
      '--filter=blob:none',
      '--no-checkout',
    ]);
    await gitStep(
      'cannot check out the Dockerfile',
      async () => {
        await workspace.git.raw(['sparse-checkout', 'set', '--no-cone', ...paths.map((p) => `/${p}`)]);
        await workspace.git.raw(['checkout', '--progress', branch]);
      },
      url,
    );
    return workspace;
  }

  /** The checked-out commit. */
  async head(): Promise<string> {
    return gitStep('cannot read HEAD', () => this.git.revparse(['HEAD']));
  }

  /**
   * Commit file changes on top of the branch in one step with `git fast-import`: one pack instead of thousands of
   * loose objects (a large state is thousands of files), the working tree untouched, and the commit exists whole
   * or not at all. It is written straight to the checked-out branch (so HEAD moves with it), and its id comes back
   * through a marks file: one git process per commit, which keeps a retry under contention cheap.
   */
  async commitFiles(files: readonly FileChange[], message: string, author: GitAuthor, now: Date): Promise<string> {
    return gitStep('cannot commit', async () => {
      const ref = `refs/heads/${this.branch}`;
      const marks = join(this.dir, '.git', 'image-factory-marks');
      const chunks: Buffer[] = [];
      const text = (value: string) => chunks.push(Buffer.from(value, 'utf8'));
      const data = (value: string) => {
        const bytes = Buffer.from(value, 'utf8');
        text(`data ${bytes.length}\n`);
        chunks.push(bytes);
        text('\n');
      };
      const seconds = Math.floor(now.getTime() / 1000);
      text(`commit ${ref}\nmark :1\n`);
      text(`author ${author.name} <${author.email}> ${seconds} +0000\n`);
      text(`committer ${author.name} <${author.email}> ${seconds} +0000\n`);
      data(message);
      // `^0` makes fast-import load the branch's current commit from the repository as the parent.
      text(`from ${ref}^0\n`);
      for (const file of files) {
        if (/["\n\\]|^\s|\s$/.test(file.path)) throw new Error(`unsupported path ${JSON.stringify(file.path)}`);
        if (file.content === null) {
          text(`D ${file.path}\n`);
        } else {
          text(`M 100644 inline ${file.path}\n`);
          data(file.content);
        }
      }
      text('done\n');
      await runWithInput(
        this.dir,
        ['fast-import', '--quiet', '--done', '--force', `--export-marks=${marks}`],
        Buffer.concat(chunks),
        this.env,
      );
      const commit = /^:1 ([0-9a-f]{40,64})$/m.exec(await readFile(marks, 'utf8'))?.[1];
      if (commit === undefined) throw new Error('git fast-import did not report the commit it made');
      return commit;
    });
  }

  /**
   * Push HEAD to the branch, or to `target.branch` (a request branch); with `target.expected`, only while that branch
   * is still at that commit (a force-with-lease: a push made meanwhile is never overwritten). Never forced otherwise.
   * Returns 'rejected' when the remote branch is not where this push needs it (someone else pushed first, a new
   * branch that already exists, a lease that no longer holds); throws for anything else (authentication, a hook that
   * refuses, an unreachable remote).
   */
  async push(
    target: { readonly branch: string; readonly expected?: string } | null = null,
  ): Promise<'pushed' | 'rejected'> {
    const branch = target?.branch ?? this.branch;
    const lease = target?.expected === undefined ? [] : [`--force-with-lease=refs/heads/${branch}:${target.expected}`];
    try {
      await this.git.raw(['push', '--porcelain', '--progress', ...lease, 'origin', `HEAD:refs/heads/${branch}`]);
      return 'pushed';
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      // Someone else's push won: a non-fast-forward (`[rejected] (already exists)` for a new branch), a stale lease,
      // or a lost race for the ref lock on the server. A hook that declines ("[remote rejected] ... hook declined") is final.
      if (/\[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref|stale info/i.test(text)) {
        return 'rejected';
      }
      throw describeGitFailure(`push to ${redact(this.url)} (branch ${branch}) was refused`, this.url, error);
    }
  }

  /** Paths (repository-relative) that differ between two commits under `pathspec`. */
  async changedFiles(from: string, to: string, pathspec: string): Promise<string[]> {
    const out = await gitStep('cannot compare commits', () =>
      this.git.raw(['diff', '--name-only', '--no-renames', '-z', from, to, '--', pathspec]),
    );
    return out.split('\0').filter((path) => path.length > 0);
  }

  /**
   * Fetch the branch's new tip and make the working copy exactly that (drops local commits and files).
   * Returns the new tip's commit id.
   */
  async resetToRemote(): Promise<string> {
    await gitStep(
      `cannot fetch ${this.branch}`,
      async () => {
        await this.git.raw([
          'fetch',
          '--depth',
          '1',
          '--no-tags',
          '--progress',
          'origin',
          `+refs/heads/${this.branch}:refs/remotes/origin/${this.branch}`,
        ]);
        // The working tree is only ever written by git itself (commits go through fast-import), so a hard reset
        // is all it takes to make it the new head: no `clean`.
        await this.git.raw(['reset', '--hard', '--quiet', `origin/${this.branch}`]);
      },
      this.url,
    );
    // The fetched ref is a loose file right after the fetch: reading it saves a process on every retry.
    const loose = await readFile(join(this.dir, '.git', 'refs', 'remotes', 'origin', this.branch), 'utf8').catch(
      () => null,
    );
    return loose?.trim().match(/^[0-9a-f]{40,64}$/)?.[0] ?? this.head();
  }
}
