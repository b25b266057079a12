/**
 * One HTTP exchange with a token-bearing API (a forge), in the registry's retry loop (http-retry.ts withRetries) under
 * the forge's policy: never follows a redirect (the token would go to the host the server names), retries transient
 * failures (429 and 5xx wait for `Retry-After` up to a bound, else the given backoff; network errors the backoff),
 * bounds each attempt by a timeout that covers the body, reads at most `maxBytes` of an answer and redacts it before
 * anything else sees it.
 */
import { messageOf } from '../errors.js';
import { redactAnswer } from '../log/redact.js';
import { type AttemptResult, causeCode, retryAfterMs, withRetries } from './http-retry.js';
import { readBounded } from './read-bounded.js';

/** The clock, the network and the waits, injected so the rules are testable. */
export interface SendEffects {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** Per-attempt timeout covering the headers and the body. When unspecified, 30 s. */
  readonly timeoutMs?: number;
}

/** A request as it is sent, minus the credential headers. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

export interface RetryRules {
  /** Waits before the 2nd, 3rd, … attempt of a transient failure; its length + 1 is the number of attempts. */
  readonly backoffMs: readonly number[];
  /** A `Retry-After` longer than this is not waited for: the exchange ends transient. */
  readonly maxRetryAfterMs: number;
  /** Bytes of an answer read; the rest is cancelled, not read. */
  readonly maxBytes: number;
  /**
   * Whether an answer says the client is over the service's rate limit (GitHub: a 403 or 429 saying so). Such an
   * answer is waited out only when it says how long (`Retry-After`, up to the bound); otherwise the exchange ends
   * transient at once, marked `rateLimited`: retrying on the backoff is what the service asks clients not to do.
   */
  readonly rateLimited?: (status: number, headers: Headers, text: string) => boolean;
}

/** How an exchange ended: an answer (any status that is not retried, 3xx included) or a transient failure. */
export type Exchange =
  | {
      readonly kind: 'answer';
      readonly attempts: number;
      readonly status: number;
      /** The `Location` header of a redirect (redacted), which was not followed. */
      readonly location: string | null;
      /** The answer's first `maxBytes`, redacted. */
      readonly text: string;
      readonly truncated: boolean;
    }
  | {
      readonly kind: 'transient';
      readonly attempts: number;
      readonly message: string;
      /** The last attempt was refused for the rate limit (RetryRules.rateLimited). */
      readonly rateLimited?: true;
    }
  /**
   * A POST that may have reached the server (it timed out, or the connection broke after it was sent): sending it
   * again could act twice, so it is not retried here; whether it acted is for the caller to find out.
   */
  | { readonly kind: 'unknown'; readonly attempts: number; readonly message: string };

/** Network failures that happen before a request can have reached the server: safe to send again. */
const NOT_DELIVERED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Send `request` with `credentials` (headers added here only, never echoed), retrying by `rules`. `held` are the
 * secrets in the credentials, redacted from every answer and message even when not registered. `describe` turns a
 * (redacted) answer into the server's own words for a transient message. Never throws.
 */
export async function sendWithRetry(
  request: HttpRequest,
  credentials: Readonly<Record<string, string>>,
  held: readonly string[],
  rules: RetryRules,
  effects: SendEffects,
  describe: (text: string) => string,
): Promise<Exchange> {
  const timeoutMs = effects.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy = {
    attempts: rules.backoffMs.length + 1,
    backoffMs: (attempt: number) => rules.backoffMs[attempt - 1] ?? 0,
    maxRetryAfterMs: rules.maxRetryAfterMs,
    timeoutMs,
  };
  let limitedLast = false;
  const result = await withRetries(policy, effects.sleep, async (signal, attempt): Promise<AttemptResult<Exchange>> => {
    limitedLast = false;
    try {
      const response = await effects.fetch(request.url, {
        method: request.method,
        headers: { ...request.headers, ...credentials },
        ...(request.body === null ? {} : { body: request.body }),
        redirect: 'manual',
        signal,
      });
      const { text, truncated } = await readBounded(response, rules.maxBytes);
      const safe = redactAnswer(text, { held, truncated });
      const limited = rules.rateLimited?.(response.status, response.headers, safe) === true;
      if (!limited && response.status !== 429 && response.status < 500) {
        const location = response.headers.get('location');
        return {
          kind: 'done',
          value: {
            kind: 'answer',
            attempts: attempt,
            status: response.status,
            location: location === null ? null : redactAnswer(location, { held }),
            text: safe,
            truncated,
          },
        };
      }
      const after = retryAfterMs(response.headers.get('retry-after'), effects.now());
      const reason = `HTTP ${response.status}${after === undefined ? '' : ` (Retry-After ${Math.ceil(after / 1000)} s)`}: ${describe(safe)}`;
      limitedLast = limited;
      if (limited && after === undefined) {
        const message = `${reason} (rate limited: not sent again in this run)`;
        return { kind: 'done', value: { kind: 'transient', attempts: attempt, message, rateLimited: true } };
      }
      return { kind: 'retry', reason, ...(after === undefined ? {} : { retryAfterMs: after }) };
    } catch (error) {
      const code = causeCode(error);
      const reason = signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : `network error: ${redactAnswer(messageOf(error), { held })}${code === undefined ? '' : ` (${code})`}`;
      // A GET is safe to repeat; a POST that may have arrived is not (a forge that accepts slowly would start one
      // run per attempt).
      if (request.method === 'POST' && (signal.aborted || code === undefined || !NOT_DELIVERED.has(code))) {
        return {
          kind: 'done',
          value: { kind: 'unknown', attempts: attempt, message: `${reason}: it may have been received` },
        };
      }
      return { kind: 'retry', reason };
    }
  });
  if (result.kind === 'done') return result.value;
  return {
    kind: 'transient',
    attempts: result.attempts,
    message: result.reason,
    ...(limitedLast ? { rateLimited: true as const } : {}),
  };
}
