/** Stable, machine-readable error codes used across the tool. */
export type FactoryErrorCode =
  | 'usage'
  | 'io'
  | 'invalid-dockerfile'
  | 'invalid-enrolment'
  | 'invalid-state'
  | 'git'
  | 'conflict'
  | 'timeout'
  | 'invalid-manifest'
  /** A configuration file (a Docker config.json) is malformed. */
  | 'invalid-config'
  /** A registry has no such repository, tag or digest. */
  | 'not-found'
  /** A registry refused the credentials (401/403), or needs some and none are configured. */
  | 'unauthorized'
  /** A registry answered something other than the distribution API says (bad manifest, other 4xx). */
  | 'registry'
  /** A registry kept failing (5xx, network, 429 beyond the wait allowed) until the retries ran out. */
  | 'unavailable'
  | 'internal';

/** An error meant for a person: a code, a message naming file/line/field, and the underlying cause. */
export class FactoryError extends Error {
  readonly code: FactoryErrorCode;

  constructor(code: FactoryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FactoryError';
    this.code = code;
  }
}

/** Narrow an unknown thrown value to a message without losing non-Error throws. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Exit statuses, one table for every command and the chart's entry point. */
export const EXIT = {
  /** Success (also: nothing to do). */
  ok: 0,
  /** The input is wrong: fix it and run again. */
  invalid: 1,
  /** Usage error, or a file that cannot be read. */
  usage: 2,
  /** A transient failure that exhausted its retries or timed out: safe to run again as is. */
  transient: 3,
} as const;

/** The exit status for an error code. */
export function exitCodeOf(code: FactoryErrorCode): number {
  switch (code) {
    case 'usage':
    case 'io':
      return EXIT.usage;
    case 'conflict':
    case 'timeout':
    case 'unavailable':
      return EXIT.transient;
    default:
      return EXIT.invalid;
  }
}
