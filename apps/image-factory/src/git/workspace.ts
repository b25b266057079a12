/** A git working copy driven through simple-git, with credentials passed by environment, never by URL. */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { type SimpleGit, simpleGit } from 'simple-git';
import { FactoryError } from '../errors.js';
import { redact, registerBasicAuth } from '../log/redact.js';
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
    private readonly env: Record<string, string>,
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
    return new GitWorkspace(dir, url, branch, client(dir, env), env);
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
    const workspace = new GitWorkspace(dir, url, branch, client(dir, env), env);
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

  /**
   * Commit file changes on top of HEAD in one step with `git fast-import`: one pack instead of thousands of
   * loose objects (a large state is thousands of files), the working tree untouched, and the commit exists
   * whole or not at all. HEAD moves to the new commit. Returns its id.
   */
  async commitFiles(files: readonly FileChange[], message: string, author: GitAuthor, now: Date): Promise<string> {
    return gitStep('cannot commit', async () => {
      const parent = await this.git.revparse(['HEAD']);
      const ref = 'refs/image-factory/commit';
      const chunks: Buffer[] = [];
      const text = (value: string) => chunks.push(Buffer.from(value, 'utf8'));
      const data = (value: string) => {
        const bytes = Buffer.from(value, 'utf8');
        text(`data ${bytes.length}\n`);
        chunks.push(bytes);
        text('\n');
      };
      const seconds = Math.floor(now.getTime() / 1000);
      text(`commit ${ref}\n`);
      text(`author ${author.name} <${author.email}> ${seconds} +0000\n`);
      text(`committer ${author.name} <${author.email}> ${seconds} +0000\n`);
      data(message);
      text(`from ${parent}\n`);
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
      await runWithInput(this.dir, ['fast-import', '--quiet', '--done', '--force'], Buffer.concat(chunks), this.env);
      const commit = await this.git.revparse([ref]);
      await this.git.raw(['update-ref', '-d', ref]);
      await this.git.raw(['reset', '--quiet', '--soft', commit]);
      return commit;
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
