/**
 * What the registry transport (registry/http.ts) and the forge transport (util/send-with-retry.ts) read the same way
 * when deciding whether and how long to wait before another attempt. Pure.
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
