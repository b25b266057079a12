/**
 * A registry's refusals as errors a person can act on: 401/403 say which config.json entry to check (never its
 * secret), 404 says what is unknown (repository, blob, tag or digest), anything else names the host, the status
 * and the registry's own message (the distribution API's error JSON, read to at most 64 KiB), redacted: a registry
 * may echo the request's `Authorization` header, and the message is printed and may be kept.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FactoryError } from '../errors.js';
import { redactAnswer } from '../log/redact.js';
import { type CredentialStore, secretsOf } from './docker-config.js';
import { readJson } from './http.js';
import type { RepositoryRef } from './repository.js';

const ErrorBodySchema = Type.Object({
  errors: Type.Array(Type.Object({ code: Type.Optional(Type.String()), message: Type.Optional(Type.String()) })),
});

const MAX_ERROR_BYTES = 64 * 1024;

/** A refused pull, with what to check in the credentials (never the credentials themselves). */
export function unauthorized(status: number, ref: RepositoryRef, credentials: CredentialStore): FactoryError {
  const hint = credentials.hint(ref.registry);
  return new FactoryError('unauthorized', `${status} from ${ref.registry} for ${ref.repository} (pull): ${hint}`);
}

/** Turn an error status (`reference`: the tag or digest asked for, or `tags`) into an error a person can act on. */
export async function refuse(
  response: Response,
  ref: RepositoryRef,
  reference: string,
  credentials: CredentialStore,
): Promise<never> {
  const what = `${ref.registry}/${ref.repository}`;
  let detail: { code?: string; message?: string } | undefined;
  if (response.body !== null) {
    try {
      const body = await readJson(response, MAX_ERROR_BYTES, what);
      if (Value.Check(ErrorBodySchema, body)) detail = body.errors[0];
    } catch {
      // A body that is not the distribution error JSON: the status alone says enough.
    }
  }
  const status = response.status;
  if (status === 401 || status === 403) throw unauthorized(status, ref, credentials);
  if (status === 404) {
    const target = reference.includes(':') ? `digest ${reference}` : `tag ${reference}`;
    if (detail?.code === 'NAME_UNKNOWN' || reference === 'tags')
      throw new FactoryError('not-found', `repository unknown: ${what}`);
    if (detail?.code === 'BLOB_UNKNOWN') throw new FactoryError('not-found', `blob unknown: ${reference} of ${what}`);
    throw new FactoryError('not-found', `manifest unknown: ${target} of ${what}`);
  }
  const said = detail?.message ?? detail?.code;
  const message =
    said === undefined ? undefined : redactAnswer(said, { held: secretsOf(credentials.lookup(ref.registry)) });
  throw new FactoryError(
    'registry',
    `${response.url ? new URL(response.url).host : ref.registry}: HTTP ${status} for ${reference} of ${what}${message === undefined ? '' : `: ${message}`}`,
  );
}
