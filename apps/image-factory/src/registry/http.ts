/**
 * One HTTP exchange with a registry, with the retry rules of the distribution API: 429 waits for `Retry-After`
 * (up to a bound), 5xx and network errors back off and retry, each attempt has a timeout. Effects are injected
 * (`fetch`, `sleep`, clock) so the rules are testable; the defaults are Node's own.
 */
import { FactoryError, messageOf } from '../errors.js';
import { type AttemptResult, causeCode, retryAfterMs, withRetries } from '../util/http-retry.js';
import { keepAliveFetch } from './head-transport.js';

/** Re-exported for the registry's rule tests; defined with the forge transport's in util/http-retry.ts. */
export { causeCode, retryAfterMs };

export interface HttpEffects {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly random: () => number;
}

export const NODE_EFFECTS: HttpEffects = {
  // HEADs on kept-alive connections (fetch closes one after every HEAD: head-transport.ts).
  fetch: keepAliveFetch,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  random: () => Math.random(),
};

export interface RetryPolicy {
  /** Attempts per request, the first included (default 4). */
  readonly maxAttempts: number;
  /** First backoff after a 5xx or network error; doubles each time, with jitter (default 500 ms). */
  readonly backoffMs: number;
  /** The longest `Retry-After` a 429 may ask for before the request fails as unavailable (default 60 s). */
  readonly maxRetryAfterMs: number;
  /** Per-attempt timeout (default 30 s). */
  readonly timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  backoffMs: 500,
  maxRetryAfterMs: 60_000,
  timeoutMs: 30_000,
};

/** TLS failures: retrying cannot help; the message says how to trust a private CA. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const RETRIED_STATUS = new Set([500, 502, 503, 504]);

/**
 * Send a request, retrying what the rules allow (the one loop, util/http-retry.ts withRetries). Returns the final
 * response (any status but a retried one); throws 'unavailable' when the retries ran out and 'registry' on a TLS
 * failure. `what` names the request in messages (`HEAD 127.0.0.1:5000/acme/app:1.0`), never with credentials. The
 * attempt's timer covers the body the caller reads after.
 */
export async function send(
  url: string,
  init: RequestInit,
  what: string,
  policy: RetryPolicy,
  effects: HttpEffects,
): Promise<Response> {
  const loop = {
    attempts: policy.maxAttempts,
    backoffMs: (attempt: number) => backoff(policy, attempt, effects),
    maxRetryAfterMs: policy.maxRetryAfterMs,
    timeoutMs: policy.timeoutMs,
  };
  const result = await withRetries(loop, effects.sleep, async (signal): Promise<AttemptResult<Response>> => {
    let response: Response;
    try {
      response = await effects.fetch(url, { ...init, signal });
    } catch (error) {
      const code = causeCode(error);
      if (code !== undefined && TLS_CODES.has(code)) {
        throw new FactoryError(
          'registry',
          `${what}: the TLS certificate is not trusted (${code}); for a private CA set NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or name a plain-HTTP registry with --insecure-registry`,
          { cause: error },
        );
      }
      if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
        throw new FactoryError(
          'registry',
          `${what}: the server does not speak TLS (${code}); a plain-HTTP registry must be named with --insecure-registry HOST:PORT`,
          { cause: error },
        );
      }
      const reason =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
          ? `no answer within ${policy.timeoutMs} ms`
          : `network error${code === undefined ? '' : ` ${code}`}`;
      return { kind: 'retry', reason };
    }
    if (response.status === 429) {
      const wait = retryAfterMs(response.headers.get('retry-after'), effects.now());
      await response.body?.cancel();
      return {
        kind: 'retry',
        reason: `rate limited (429${wait === undefined ? '' : `, Retry-After ${Math.ceil(wait / 1000)} s`})`,
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
      };
    }
    if (RETRIED_STATUS.has(response.status)) {
      await response.body?.cancel();
      return { kind: 'retry', reason: `HTTP ${response.status}` };
    }
    return { kind: 'done', value: response };
  });
  if (result.kind === 'done') return result.value;
  throw new FactoryError(
    'unavailable',
    `${what}: ${result.reason} after ${policy.maxAttempts} attempt(s); safe to run again`,
  );
}

/** Exponential backoff with jitter: half the doubled base, plus up to the other half at random. */
function backoff(policy: RetryPolicy, attempt: number, effects: HttpEffects): number {
  const base = policy.backoffMs * 2 ** (attempt - 1);
  return Math.round(base / 2 + (base / 2) * effects.random());
}

/** Read a body of at most `maxBytes`; a larger one is refused rather than buffered. */
export async function readBody(response: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new FactoryError('registry', `${what}: the body is ${declared} bytes, more than the ${maxBytes} allowed`);
  }
  if (response.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      // The request's timer fired while the body was arriving, or the connection broke: worth another run.
      throw new FactoryError(
        'unavailable',
        `${what}: the answer stopped arriving (${messageOf(error)}); safe to run again`,
        {
          cause: error,
        },
      );
    }
    const { done, value } = chunk;
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new FactoryError('registry', `${what}: the body is more than the ${maxBytes} bytes allowed`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Read a JSON body of at most `maxBytes`; a body that is not JSON is a 'registry' error naming `what`. */
export async function readJson(response: Response, maxBytes: number, what: string): Promise<unknown> {
  const bytes = await readBody(response, maxBytes, what);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new FactoryError('registry', `${what}: the answer is not JSON`);
  }
}
