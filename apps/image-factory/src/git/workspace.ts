/** A git working copy driven through simple-git, with credentials passed by environment, never by URL. */
import { mkdir } from 'node:fs/promises';
import { type SimpleGit, simpleGit } from 'simple-git';
import { FactoryError } from '../errors.js';
import { redact, registerBasicAuth } from '../log/redact.js';
import type { GitCredentials } from './credentials.js';

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

/** Run a git step, turning its failure into a redacted FactoryError that says what was being done. */
export async function gitStep<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const detail = redact((error as Error).message ?? String(error))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .join(' | ');
    throw new FactoryError('git', `${what}: ${detail}`, { cause: error });
  }
}

function client(dir: string, env: Record<string, string>): SimpleGit {
  return simpleGit({
    baseDir: dir,
    maxConcurrentProcesses: 4,
    trimmed: true,
    // GIT_CONFIG_COUNT is set by gitEnvironment (the auth header); GIT_SSH_COMMAND only if the operator set it.
    unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeSshCommand: env.GIT_SSH_COMMAND !== undefined },
  }).env(env);
}

/** A checked-out repository. */
export class GitWorkspace {
  private constructor(
    readonly dir: string,
    readonly url: string,
    readonly branch: string,
    private readonly git: SimpleGit,
  ) {}

  /** Clone only the branch's tip (depth 1). */
  static async cloneShallow(
    url: string,
    branch: string,
    dir: string,
    env: Record<string, string>,
  ): Promise<GitWorkspace> {
    await mkdir(dir, { recursive: true });
    const git = client(dir, env);
    await gitStep(`cannot clone ${url} (branch ${branch})`, () =>
      git.clone(url, dir, ['--depth', '1', '--single-branch', '--branch', branch, '--no-tags']),
    );
    return new GitWorkspace(dir, url, branch, client(dir, env));
  }

  /** Clone only the branch's tip and check out only `paths` (blobs fetched on demand where the server allows). */
  static async cloneSparse(
    url: string,
    branch: string,
    dir: string,
    paths: readonly string[],
    env: Record<string, string>,
  ): Promise<GitWorkspace> {
    await mkdir(dir, { recursive: true });
    const git = client(dir, env);
    await gitStep(`cannot clone ${url} (branch ${branch})`, () =>
      git.clone(url, dir, [
        '--depth',
        '1',
        '--single-branch',
        '--branch',
        branch,
        '--no-tags',
        '--filter=blob:none',
        '--no-checkout',
      ]),
    );
    const workspace = new GitWorkspace(dir, url, branch, client(dir, env));
    await gitStep('cannot check out the Dockerfile', async () => {
      await workspace.git.raw(['sparse-checkout', 'set', '--no-cone', ...paths.map((p) => `/${p}`)]);
      await workspace.git.raw(['checkout', branch]);
    });
    return workspace;
  }

  /** The checked-out commit. */
  async head(): Promise<string> {
    return gitStep('cannot read HEAD', () => this.git.revparse(['HEAD']));
  }

  /** Stage `paths` (additions, changes and deletions) and commit; null when nothing changed. */
  async commit(paths: readonly string[], message: string): Promise<string | null> {
    return gitStep('cannot commit', async () => {
      await this.git.raw(['add', '--all', '--', ...paths]);
      const staged = await this.git.raw(['diff', '--cached', '--name-only']);
      if (staged.trim() === '') return null;
      await this.git.raw(['commit', '--quiet', '--no-verify', '-m', message]);
      return this.git.revparse(['HEAD']);
    });
  }

  /**
   * Push HEAD to the branch. Returns 'rejected' when the remote moved on (someone else pushed first);
   * throws for anything else (authentication, a hook that refuses, an unreachable remote).
   */
  async push(): Promise<'pushed' | 'rejected'> {
    try {
      await this.git.raw(['push', '--porcelain', 'origin', `HEAD:refs/heads/${this.branch}`]);
      return 'pushed';
    } catch (error) {
      const text = (error as Error).message ?? '';
      // Someone else's push won: a non-fast-forward, or a lost race for the ref lock on the server.
      // A hook that declines ("[remote rejected] ... hook declined") is final and not retried.
      if (/\[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref|stale info/i.test(text)) {
        return 'rejected';
      }
      const detail = redact(text)
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' | ');
      throw new FactoryError('git', `push to ${redact(this.url)} (branch ${this.branch}) was refused: ${detail}`, {
        cause: error,
      });
    }
  }

  /** Fetch the branch's new tip and make the working copy exactly that (drops local commits and files). */
  async resetToRemote(): Promise<void> {
    await gitStep(`cannot fetch ${this.branch}`, async () => {
      await this.git.raw([
        'fetch',
        '--depth',
        '1',
        '--no-tags',
        'origin',
        `+refs/heads/${this.branch}:refs/remotes/origin/${this.branch}`,
      ]);
      await this.git.raw(['reset', '--hard', `origin/${this.branch}`]);
      await this.git.raw(['clean', '-fdq']);
    });
  }
}
