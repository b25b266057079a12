/** Stable, machine-readable error codes used across the tool. */
export type FactoryErrorCode =
  | 'usage'
  | 'io'
  | 'invalid-dockerfile'
  | 'invalid-enrolment'
  | 'invalid-state'
  | 'git'
  | 'conflict'
  | 'invalid-manifest'
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
