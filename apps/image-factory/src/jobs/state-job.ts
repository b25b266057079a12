/**
 * The jobs that change state in git: `analyze` (one new build), `analyze --all` and `sync`.
 * Clone the GitOps repository shallowly, then per attempt: load images.yaml and state from the clone,
 * plan, write, commit, push (publishChange retries on a moved branch).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { loadEnrolment } from '../enrolment/load.js';
import type { Enrolment, ManagedImage } from '../enrolment/types.js';
import { FactoryError } from '../errors.js';
import type { GitCredentials } from '../git/credentials.js';
import { jobPublishOptions, publishChange } from '../git/index.js';
import { type ForgeURLs, resolveRepoURL } from '../git/remote.js';
import { type GitAuthor, GitWorkspace, gitEnvironment } from '../git/workspace.js';
import type { Logger } from '../log/logger.js';
import { redact } from '../log/redact.js';
import { analyseDockerfile, type ImageAnalysis } from '../state/analysis.js';
import { describeBaseImageChanges, describeImageChanges } from '../state/describe.js';
import { planStateUpdate } from '../state/plan.js';
import { StateFolder, type StateWrite } from '../state/store.js';
import { removeOnExit } from '../util/cleanup.js';
import { checkRelativePath, confinedPath, readConfinedFile } from '../util/confined.js';
import { readSources, type SourceRequest } from './sources.js';

/** What the job should record. */
export type StateJobMode =
  | {
      readonly kind: 'analyze';
      readonly image: string;
      readonly tag: string;
      readonly digest: string;
      readonly dockerfile?: string;
      readonly sourceRepo?: string;
      readonly sourceProvider?: 'github' | 'gitlab';
    }
  | { readonly kind: 'analyze-all'; readonly sourceRepo?: string; readonly sourceProvider?: 'github' | 'gitlab' }
  | { readonly kind: 'sync' };

/** Where and how the job runs. */
export interface StateJobOptions {
  readonly gitRepo: string;
  readonly gitBranch: string;
  /** Folder holding state/, relative to the GitOps repository's root. */
  readonly imageFactoryDir: string;
  /** images.yaml, relative to the GitOps repository's root. */
  readonly images: string;
  readonly dryRun: boolean;
  /** How retries on a moved branch are paced and bounded (`--retry-deadline`, `--retry-backoff`, `--max-attempts`). */
  readonly retry: { readonly deadlineMs: number; readonly backoffMs: number; readonly maxAttempts?: number };
  /** A git network operation that makes no progress for this long is stopped (`--git-timeout`). */
  readonly gitTimeoutMs: number;
  readonly credentials: GitCredentials | null;
  readonly author: GitAuthor;
  readonly forges: ForgeURLs;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly log: Logger;
  readonly workDir?: string;
}

/** How the job ended. */
export interface StateJobResult {
  readonly status: 'pushed' | 'unchanged' | 'dry-run';
  readonly commit?: string;
  readonly attempts: number;
  readonly change: StateWrite;
  readonly summary: readonly string[];
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
/** Commit bodies list changes one per line up to this many; the diff has the rest. */
const MAX_BODY_LINES = 200;
const TAG_RE = /^[\w][\w.-]{0,127}$/;

function checkMode(mode: StateJobMode): void {
  if (mode.kind !== 'analyze') return;
  if (mode.dockerfile !== undefined) checkRelativePath(mode.dockerfile, '--dockerfile');
  if (!TAG_RE.test(mode.tag)) throw new FactoryError('usage', `--tag "${mode.tag}" is not a valid image tag`);
  if (!DIGEST_RE.test(mode.digest)) {
    throw new FactoryError(
      'usage',
      `--digest "${mode.digest}" must be sha256: followed by 64 lowercase hex characters`,
    );
  }
}

/**
 * images.yaml, loaded again only when its text changed: a retry on a new head that did not touch images.yaml
 * (another job's state commit) reuses what it loaded, which for 5,000 entries is a good part of an attempt.
 */
export function enrolmentLoader(root: string, path: string): () => Promise<Enrolment> {
  let last: { readonly text: string; readonly enrolment: Enrolment } | null = null;
  return async () => {
    const text = await readConfinedFile(root, path, '--images', 'invalid-enrolment');
    if (text === null) throw new FactoryError('invalid-enrolment', `${path} does not exist in the GitOps repository`);
    if (last?.text !== text) last = { text, enrolment: loadEnrolment(text, path) };
    return last.enrolment;
  };
}

function managedImagesFor(mode: StateJobMode, enrolment: Enrolment): ManagedImage[] {
  if (mode.kind === 'sync') return [];
  const managed = enrolment.images.filter((i): i is ManagedImage => i.kind === 'managed');
  if (mode.kind === 'analyze-all') return managed;
  const image = enrolment.images.find((i) => i.name === mode.image);
  if (image === undefined)
    throw new FactoryError('invalid-enrolment', `image ${mode.image} is not enrolled in images.yaml`);
  if (image.kind !== 'managed') {
    throw new FactoryError(
      'invalid-enrolment',
      `image ${mode.image} is external in images.yaml (no source): nothing to analyse`,
    );
  }
  return [image];
}

function commitMessage(mode: StateJobMode, analyses: readonly ImageAnalysis[], summary: readonly string[]): string {
  const subject =
    mode.kind === 'analyze'
      ? `image-factory: analyse ${mode.image} ${mode.tag}`
      : mode.kind === 'analyze-all'
        ? `image-factory: analyse all managed images (${analyses.length})`
        : 'image-factory: sync state with images.yaml';
  let body = [...summary];
  if (body.length > MAX_BODY_LINES) {
    body = [...body.slice(0, MAX_BODY_LINES), `… and ${body.length - MAX_BODY_LINES} more change(s)`];
  }
  if (mode.kind === 'analyze') body.unshift(`digest ${mode.digest}`, '');
  return body.length > 0 ? `${subject}\n\n${body.join('\n')}\n` : `${subject}\n`;
}

/** A shallow clone of the GitOps repository in a private work folder, removed when the job ends. */
export interface GitopsCheckout {
  readonly gitops: GitWorkspace;
  /** state/ in the clone, and as a repository-relative path. */
  readonly stateDir: string;
  readonly stateRel: string;
  readonly imagesRel: string;
  readonly env: ReturnType<typeof gitEnvironment>;
  readonly workDir: string;
}

/**
 * Clone the GitOps repository (shallow, one branch) into a fresh work folder, run `body` on it, and remove the
 * folder whatever happens (registered for removal before it exists, so a SIGTERM at any moment leaves nothing).
 */
export async function withGitopsCheckout<T>(
  options: StateJobOptions,
  body: (checkout: GitopsCheckout) => Promise<T>,
): Promise<T> {
  const imagesRel = checkRelativePath(options.images, '--images');
  const stateRel = posix.join(checkRelativePath(options.imageFactoryDir, '--image-factory-dir'), 'state');
  const workDir = join(options.workDir ?? tmpdir(), `image-factory-${randomBytes(6).toString('hex')}`);
  const forget = removeOnExit(workDir);
  await mkdir(workDir, { mode: 0o700 });
  try {
    const env = gitEnvironment(options.env, options.credentials, options.author);
    const url = resolveRepoURL(options.gitRepo, undefined, options.forges, options.cwd);
    const cloneStart = Date.now();
    const gitops = await GitWorkspace.cloneShallow(
      url,
      options.gitBranch,
      join(workDir, 'gitops'),
      env,
      options.gitTimeoutMs,
    );
    options.log.info('clone', `shallow clone of ${redact(url)} (${options.gitBranch})`, {
      durationMs: Date.now() - cloneStart,
    });
    const stateDir = await confinedPath(gitops.dir, stateRel, '--image-factory-dir');
    return await body({ gitops, stateDir, stateRel, imagesRel, env, workDir });
  } finally {
    await rm(workDir, { recursive: true, force: true });
    forget();
  }
}

/** Run one state job end to end. The remote is only ever changed by one complete commit. */
export async function runStateJob(mode: StateJobMode, options: StateJobOptions): Promise<StateJobResult> {
  checkMode(mode);
  const { log } = options;
  return withGitopsCheckout(options, async ({ gitops, stateDir, stateRel, imagesRel, env, workDir }) => {
    // Dockerfiles are read once; only the GitOps side is recomputed on a retry, and of the state only the files
    // the new head changed are read again.
    let analyses: ImageAnalysis[] | null = null;
    let folder: StateFolder | null = null;
    let folderHead = await gitops.head();
    // What the last attempt planned: the files it changed and the change in words (commit body and job result).
    let last: { write: StateWrite; summary: readonly string[] } | null = null;

    const loadEnrolmentFile = enrolmentLoader(gitops.dir, imagesRel);
    const prepare = async (fetched: string | null = null) => {
      const enrolment = await loadEnrolmentFile();
      if (analyses === null) {
        const images = managedImagesFor(mode, enrolment);
        const requests: SourceRequest[] = images.map((image) => ({
          image,
          ...(mode.kind !== 'sync' && mode.sourceRepo !== undefined ? { repo: mode.sourceRepo } : {}),
          ...(mode.kind !== 'sync' && mode.sourceProvider !== undefined ? { provider: mode.sourceProvider } : {}),
          ...(mode.kind === 'analyze' && mode.dockerfile !== undefined ? { dockerfile: mode.dockerfile } : {}),
        }));
        const sources = await readSources(requests, {
          forges: options.forges,
          cwd: options.cwd,
          env,
          workDir,
          gitops,
          log,
          gitTimeoutMs: options.gitTimeoutMs,
        });
        analyses = images.map((image) => {
          const source = sources.get(image.name);
          if (source === undefined) throw new FactoryError('internal', `no source read for ${image.name}`);
          const uses = analyseDockerfile(source.text, source.dockerfile, image.source.buildArgs);
          log.info('parse', `${source.dockerfile}: ${uses.length} base image use(s)`, { image: image.name });
          return {
            image: image.name,
            dockerfile: source.dockerfile,
            ...(source.revision === undefined ? {} : { revision: source.revision }),
            uses,
            ...(mode.kind === 'analyze' ? { build: { tag: mode.tag, digest: mode.digest } } : {}),
          };
        });
      }
      const head = fetched ?? folderHead;
      if (folder === null) {
        folder = await StateFolder.read(stateDir, stateRel);
      } else if (head !== folderHead) {
        const changed = await gitops.changedFiles(folderHead, head, stateRel);
        await folder.refresh(changed.map((path) => posix.relative(stateRel, path)));
      }
      folderHead = head;
      const before = folder.snapshot();
      const after = planStateUpdate(before, enrolment, analyses);
      const { changes, write } = folder.changesTo(after);
      const summary = [...describeImageChanges(before, after), ...describeBaseImageChanges(before, after)];
      last = { write, summary };
      log.info(
        'plan',
        `${write.added.length} added, ${write.modified.length} modified, ${write.deleted.length} deleted`,
      );
      const files = changes.map((c) => ({ path: posix.join(stateRel, c.path), content: c.content }));
      return { message: commitMessage(mode, analyses, summary), files };
    };

    const outcome = () => {
      if (last === null) throw new FactoryError('internal', 'the state change was never planned');
      return { change: last.write, summary: last.summary };
    };
    if (options.dryRun) {
      await prepare();
      return { status: 'dry-run', attempts: 1, ...outcome() };
    }
    const result = await publishChange(gitops, prepare, log, jobPublishOptions(options.author, options.retry));
    return {
      status: result.status,
      ...(result.status === 'pushed' ? { commit: result.commit } : {}),
      attempts: result.attempts,
      ...outcome(),
    };
  });
}
