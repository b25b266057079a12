/**
 * What the registry transport (registry/http.ts) and the forge transport (util/send-with-retry.ts) share: the one
 * retry loop, parameterised by policy (attempts, backoff, the longest Retry-After waited for, a timeout), and how a
 * failure and a Retry-After are read. Which statuses are transient, redirects and bodies are each transport's own.
 */

/** The system error code under a fetch failure (ECONNREFUSED, ENOTFOUND, a TLS code), if any. */
export function causeCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if ('code' in current && typeof current.code === 'string') return current.code;
    current = current.cause;
  }
  return undefined;
}

/** Milliseconds a `Retry-After` value asks for (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How often and how long the retry loop tries: the registry's and the forge's policies are two values of it. */
export interface RetryLoopPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The wait after the `attempt`-th attempt failed transiently, when the server asked for none. */
  readonly backoffMs: (attempt: number) => number;
  /** A `Retry-After` longer than this is not waited for: the loop ends exhausted. */
  readonly maxRetryAfterMs: number;
  /** Per-attempt timeout; it keeps running after a `done` attempt, so it also covers a body the caller reads then. */
  readonly timeoutMs: number;
}

/** What one attempt came to: an end to return, or a transient failure (said) with the wait the server asked for. */
export type AttemptResult<T> =
  | { readonly kind: 'done'; readonly value: T }
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number };

/** How the loop ended: an attempt's end, or every attempt failed transiently (the last one's reason). */
export type RetryResult<T> =
  | { readonly kind: 'done'; readonly value: T; readonly attempts: number }
  | { readonly kind: 'exhausted'; readonly reason: string; readonly attempts: number };

/**
 * The one retry loop of the registry and forge transports: run `attempt` under a per-attempt timeout (its signal),
 * and after a transient failure wait what the server asked (`Retry-After`, up to the bound) or the policy's backoff,
 * until an attempt ends or the attempts run out. What is transient, and what an answer means, is the attempt's to
 * say; an error it throws ends the loop as it is.
 */
export async function withRetries<T>(
  policy: RetryLoopPolicy,
  sleep: (ms: number) => Promise<void>,
  attempt: (signal: AbortSignal, n: number) => Promise<AttemptResult<T>>,
): Promise<RetryResult<T>> {
  let reason = '';
  let made = 0;
  for (let n = 1; n <= policy.attempts; n++) {
    made = n;
    // A controller and a timer rather than AbortSignal.timeout(): that one costs a transferable signal per request
    // (a fifth of the registry client's CPU over 1,000 HEADs).
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), policy.timeoutMs);
    timer.unref();
    let result: AttemptResult<T>;
    try {
      result = await attempt(controller.signal, n);
    } catch (error) {
      clearTimeout(timer);
      throw error;
    }
    if (result.kind === 'done') return { kind: 'done', value: result.value, attempts: n };
    clearTimeout(timer);
    reason = result.reason;
    if (result.retryAfterMs !== undefined && result.retryAfterMs > policy.maxRetryAfterMs) break;
    if (n < policy.attempts) await sleep(result.retryAfterMs ?? policy.backoffMs(n));
  }
  return { kind: 'exhausted', reason, attempts: made };
}
