/**
 * The rebuild world the `rebuild` job suites share: a template GitOps remote analysed once per file, a bare copy of
 * it per test, the base's state read back from the remote, and `image-factory rebuild --json` run in-process
 * against the remote, the registry and the forge stubs (with the job environment and the stubs' token).
 */
import { posix } from 'node:path';
import { afterEach } from 'vitest';
import { parse } from 'yaml';
import { cli } from '../helpers.js';
import { git, remoteFile, remoteFiles, tempDir } from './git-repos.js';
import { ENV, type RebuildWorld, rebuildArgs } from './gitops-fixtures.js';

/** Where `analyze` writes the state of the base images (one YAML file a base, named for it). */
const BASE_IMAGES = 'image-factory/state/base-images';

/** The state name of the single base image `remote` records; an error when it records none or several. */
export function onlyBaseName(remote: string): string {
  const files = remoteFiles(remote, BASE_IMAGES);
  const [file] = files;
  if (file === undefined || files.length !== 1) {
    throw new Error(
      `${remote}: expected one base image under ${BASE_IMAGES}, found ${files.length}: ${files.join(', ')}`,
    );
  }
  return posix.basename(file, '.yaml');
}

/** A bare copy of `template` for one test, in a fresh temporary folder named with `prefix`. */
export function copyOf(template: string, prefix: string): string {
  const remote = posix.join(tempDir(prefix), 'remote.git');
  git(tempDir(), 'clone', '--quiet', '--bare', template, remote);
  return remote;
}

/** A working clone of `remote` (a checkout a view such as `status --root` reads), in a fresh temporary folder. */
export function checkoutOf(remote: string, prefix: string): string {
  const dir = tempDir(prefix);
  git(dir, 'clone', '--quiet', remote, '.');
  return dir;
}

/**
 * The `rebuild:` block of base `baseName`'s state file on `remote`, parsed as the suites read it (undefined when the
 * file has none); an error naming the file when the remote has no state for that base.
 */
export function baseRecord(remote: string, baseName: string) {
  const path = `${BASE_IMAGES}/${baseName}.yaml`;
  const text = remoteFile(remote, path);
  if (text === null) throw new Error(`${remote}: no ${path} on main`);
  return parse(text)?.rebuild;
}

/** Where a runner sends `rebuild`: the world, the token the forge stubs take, the flags every run of a suite adds. */
export interface RebuildRunnerOptions extends RebuildWorld {
  /** The forge token: GITHUB_TOKEN, and GITLAB_TOKEN too when `gitlabUrl` is given. */
  readonly token: string;
  /** Arguments after each run's own (a suite's `--retry-backoff 50ms` and the like); when unspecified, none. */
  readonly extra?: readonly string[];
}

/** What a run gives: the CLI's status and output, and stdout parsed as JSON when read (undefined when empty). */
export interface RebuildRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: the suites read the CLI's JSON field by field, as JSON.parse gives it.
  readonly json: any;
}

/** `image-factory rebuild … --json` in-process against the world, with the job environment and the forge token. */
export function rebuildRunner(options: RebuildRunnerOptions): (...args: string[]) => Promise<RebuildRun> {
  const { token, extra = [], ...world } = options;
  const env = { ...ENV, GITHUB_TOKEN: token, ...(world.gitlabUrl === undefined ? {} : { GITLAB_TOKEN: token }) };
  return async (...args) => {
    const result = await cli(rebuildArgs(world, ...args, ...extra), { env });
    // Parsed when read, so that a test's assertion on the status speaks before a parse error would.
    return {
      ...result,
      get json() {
        return result.stdout === '' ? undefined : JSON.parse(result.stdout);
      },
    };
  };
}

/** A list for the servers (forge stubs) one test starts: each is closed after the test. Call at a file's top level. */
export function closedAfterEach<T extends { close(): Promise<void> }>(): T[] {
  const open: T[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()));
  });
  return open;
}
