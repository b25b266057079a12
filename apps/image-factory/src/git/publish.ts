/**
 * Commit a state change and push it, safely under concurrency: on a rejected push, fetch the new head,
 * recompute the change on it (never a textual merge), and try again with jittered exponential backoff until a
 * deadline (not a fixed count: a base-image update can finish dozens of builds at once, and every one must land).
 */
import { FactoryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { FileChange, GitAuthor, GitWorkspace } from './workspace.js';

/** How a job paces and bounds its retries on a moved branch (`--retry-deadline`, `--retry-backoff`, `--max-attempts`). */
export interface RetrySettings {
  readonly deadlineMs: number;
  readonly backoffMs: number;
  /** No cap on attempts when absent: the deadline alone ends the retries. */
  readonly maxAttempts?: number;
}

/** publishChange's options for a job that commits as `author` and retries as `retry` says. */
export function jobPublishOptions(author: GitAuthor, retry: RetrySettings): PublishOptions {
  return {
    author,
    deadlineMs: retry.deadlineMs,
    backoffMs: retry.backoffMs,
    ...(retry.maxAttempts === undefined ? {} : { maxAttempts: retry.maxAttempts }),
  };
}

/** What one attempt computed on the current head. */
export interface PreparedChange<P = undefined> {
  readonly message: string;
  /** Files to write or delete (repository-relative); empty when the state is already up to date. */
  readonly files: readonly FileChange[];
  /** What the attempt planned, handed back with the result of the attempt that ended the run (the winning one). */
  readonly plan?: P;
}

/** Options for publishChange. */
export interface PublishOptions {
  readonly author: GitAuthor;
  /** Stop retrying once the next attempt would start after this many ms from the first. @default 480000 (8 min) */
  readonly deadlineMs?: number;
  /** An optional cap on attempts, on top of the deadline. @default unlimited */
  readonly maxAttempts?: number;
  /** First backoff ceiling in ms; doubles each attempt. @default 500 */
  readonly backoffMs?: number;
  /** Upper bound of one backoff in ms. @default 8 × the larger of backoffMs and the attempt's duration */
  readonly maxBackoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => Date;
}

/** How publishing ended. */
export type PublishResult<P = undefined> =
  | { readonly status: 'pushed'; readonly commit: string; readonly attempts: number; readonly plan?: P }
  | { readonly status: 'unchanged'; readonly attempts: number; readonly plan?: P };

/** Retry for at most 8 minutes: below the AnalysisTemplate's activeDeadlineSeconds (600), with room to clone. */
export const DEFAULT_DEADLINE_MS = 480_000;
/** First backoff ceiling. */
export const DEFAULT_BACKOFF_MS = 500;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Prepare (read state on the current head, plan, write), commit and push; on rejection start over on the
 * new head. `prepare` must be a function of the working copy's content only; it is told the new head's id on a
 * retry (null on the first attempt, when the working copy is the clone).
 */
export async function publishChange<P = undefined>(
  workspace: GitWorkspace,
  prepare: (head: string | null) => Promise<PreparedChange<P>>,
  log: Logger,
  options: PublishOptions,
): Promise<PublishResult<P>> {
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const clock = () => (options.now ?? (() => new Date()))().getTime();
  const started = clock();
  let attempt = 0;
  for (;;) {
    attempt++;
    const attemptStarted = clock();
    // The head the change is planned on: the clone's on the first attempt, the fetched tip on a retry.
    const head = attempt > 1 ? await workspace.resetToRemote() : null;
    const change = await prepare(head);
    if (change.files.length === 0) {
      log.info('commit', 'state already up to date: nothing to commit', { attempt });
      return { status: 'unchanged', attempts: attempt, ...(change.plan === undefined ? {} : { plan: change.plan }) };
    }
    const commit = await workspace.commitFiles(
      change.files,
      change.message,
      options.author,
      (options.now ?? (() => new Date()))(),
    );
    log.info('commit', `committed ${change.files.length} file change(s) as ${commit.slice(0, 12)}`, { attempt });
    const pushed = await workspace.push();
    if (pushed === 'pushed') {
      log.info('push', `pushed ${commit.slice(0, 12)} to ${workspace.branch}`, { attempt });
      return {
        status: 'pushed',
        commit,
        attempts: attempt,
        ...(change.plan === undefined ? {} : { plan: change.plan }),
      };
    }
    // Equal jitter: at least half of an exponentially growing ceiling, plus a random half. Full jitter let
    // a job that kept losing draw short waits late on and starve (seen with 16 jobs on one branch). The ceiling
    // stays small (8 × the first) so that a job that lost many times still retries as often as a newcomer.
    // The unit is the backoff or, when longer, what this attempt took (fetch to rejected push): that is the window
    // in which another job's push makes ours fail, so slow attempts (a large state, a slow remote, a busy node)
    // spread out in proportion instead of colliding again (32 jobs on a 2-core machine: a third fewer retries).
    const unit = Math.max(backoffMs, clock() - attemptStarted);
    const ceiling = Math.min(options.maxBackoffMs ?? unit * 8, unit * 2 ** (attempt - 1));
    const wait = Math.round(ceiling / 2 + (random() * ceiling) / 2);
    const elapsed = clock() - started;
    if (attempt >= maxAttempts || elapsed + wait > deadlineMs) {
      throw new FactoryError(
        'conflict',
        `gave up after ${attempt} attempt(s) in ${Math.round(elapsed / 1000)} s: ${workspace.branch} kept moving on ` +
          'while other jobs pushed; the remote is unchanged by this run. It is safe to run again ' +
          '(or raise --retry-deadline).',
      );
    }
    log.warn('push', `the branch moved on; recomputing on the new head in ${wait} ms`, { attempt });
    await sleep(wait);
  }
}
