/**
 * The id of a request: `req-` and the first 12 hex digits of the SHA-256 of its normalised reference, team,
 * environment and requestedAt, one per line. Deterministic (the same request made at the same second has the same
 * id, and so the same branch and file); written once into the request file and never recomputed from it.
 */
import { createHash } from 'node:crypto';

/** The id of a request for `reference` by `team` for `environment` made at `requestedAt`. */
export function requestId(reference: string, team: string, environment: string, requestedAt: string): string {
  const digest = createHash('sha256').update(`${reference}\n${team}\n${environment}\n${requestedAt}\n`).digest('hex');
  return `req-${digest.slice(0, 12)}`;
}
