/**
 * The Chainguard registry API, as far as `request provision` uses it (chainguard-dev/sdk,
 * proto/platform/registry/v1/registry.platform.proto, service `Registry`, through its grpc-gateway HTTP mapping):
 * - `ListRepos(RepoFilter)`: `GET {api}/registry/v1/repos?uidp.children_of={parent}&name={name}` → `RepoList
 *   {items: [Repo]}`;
 * - `CreateRepo(CreateRepoRequest)`: `POST {api}/registry/v1/repos/{parent_id}` with the `Repo` message as the body
 *   (`body: "repo"`) and the other field of the request, `prevent_existing`, as a query parameter → the `Repo`.
 * JSON as protobuf's JSON mapping writes it (lowerCamelCase); errors as grpc-gateway writes a `google.rpc.Status`
 * (`{"code", "message", "details"}`) with the HTTP status it maps the gRPC code to (ALREADY_EXISTS 409,
 * RESOURCE_EXHAUSTED 429, UNAVAILABLE 503, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404).
 *
 * The token goes as `Authorization: Bearer` to the API and nowhere else: redirects are never followed, and every
 * answer is redacted before anything reads it. Transient failures (5xx, a network error) are retried after 1 s, 2 s
 * and 4 s; RESOURCE_EXHAUSTED is the organisation's entitlement limit, which waiting does not lift.
 */
import { messageOf } from '../errors.js';
import { redactAnswer } from '../log/redact.js';
import { type AttemptResult, causeCode, withRetries } from '../util/http-retry.js';
import { readBounded } from '../util/read-bounded.js';

/** Waits before the 2nd, 3rd and 4th attempt of a transient failure. */
export const CHAINGUARD_BACKOFF_MS: readonly number[] = [1000, 2000, 4000];
/** Bytes of an answer read (a RepoList of one name is small; an error is smaller). */
const MAX_ANSWER_BYTES = 256 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/** The network, the waits and the per-attempt timeout, injected so tests run without waiting. */
export interface ChainguardEffects {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  /** Per attempt, covering the headers and the body. When unspecified, 30 s. */
  readonly timeoutMs?: number;
}

/** Where repositories are created: the API and the organisation (or folder) id. */
export interface ChainguardTarget {
  readonly api: string;
  readonly parent: string;
}

/**
 * What became of one repository: created, there already, refused for this request (`failed`: the entitlement
 * limit, an invalid name), refused for the whole configuration (`refused`: the token, its capabilities, the parent,
 * a redirect — nothing about the request is wrong, so nothing is recorded against it), or no answer after the
 * retries (`transient`).
 */
export type ChainguardOutcome =
  | { readonly kind: 'provisioned'; readonly repositoryId: string }
  | { readonly kind: 'already-provided'; readonly repositoryId: string | null }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'transient'; readonly message: string };

/** gRPC codes by the HTTP status grpc-gateway answers them with (runtime.HTTPStatusFromCode), for messages. */
const GRPC_NAMES: Readonly<Record<number, string>> = {
  3: 'INVALID_ARGUMENT',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

/** An answer (redacted), or the transient failure every attempt ended in. */
type Attempt =
  | { readonly kind: 'answer'; readonly status: number; readonly text: string; readonly location: string | null }
  | { readonly kind: 'exhausted'; readonly message: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The server's own words in a `google.rpc.Status` answer (`CODE_NAME: message`), else the start of its text. */
export function statusMessage(text: string): string {
  const body = parseJson(text);
  if (isObject(body) && typeof body.message === 'string') {
    const name = typeof body.code === 'number' ? GRPC_NAMES[body.code] : undefined;
    return `${name === undefined ? '' : `${name}: `}${body.message}`.slice(0, 500);
  }
  const plain = text.replace(/\s+/g, ' ').trim();
  return plain === '' ? 'no message' : plain.slice(0, 200);
}

/**
 * Send with the retries of the one retry loop (util/http-retry.ts): a 5xx or a network failure is tried again after
 * each wait of CHAINGUARD_BACKOFF_MS. No redirect is followed; the answer is bounded and redacted (the token with
 * it). A create may be sent again safely: `prevent_existing` turns a repeat that finds its own repository into
 * ALREADY_EXISTS.
 */
async function exchange(
  method: 'GET' | 'POST',
  url: string,
  body: string | null,
  token: string,
  effects: ChainguardEffects,
): Promise<Attempt> {
  const timeoutMs = effects.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const held = { held: [token] };
  const result = await withRetries(
    {
      attempts: CHAINGUARD_BACKOFF_MS.length + 1,
      backoffMs: (n) => CHAINGUARD_BACKOFF_MS[n - 1] ?? 0,
      maxRetryAfterMs: 0,
      timeoutMs,
    },
    effects.sleep,
    async (signal): Promise<AttemptResult<Extract<Attempt, { kind: 'answer' }>>> => {
      try {
        const response = await effects.fetch(url, {
          method,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${token}`,
            ...(body === null ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === null ? {} : { body }),
          redirect: 'manual',
          signal,
        });
        const { text, truncated } = await readBounded(response, MAX_ANSWER_BYTES);
        const safe = redactAnswer(text, { ...held, truncated });
        if (response.status >= 500) return { kind: 'retry', reason: `HTTP ${response.status} ${statusMessage(safe)}` };
        const location = response.headers.get('location');
        return {
          kind: 'done',
          value: {
            kind: 'answer',
            status: response.status,
            text: safe,
            location: location === null ? null : redactAnswer(location, held),
          },
        };
      } catch (error) {
        const code = causeCode(error);
        return {
          kind: 'retry',
          reason: signal.aborted
            ? `no answer within ${timeoutMs} ms`
            : `network error: ${redactAnswer(messageOf(error), held)}${code === undefined ? '' : ` (${code})`}`,
        };
      }
    },
  );
  return result.kind === 'done'
    ? result.value
    : { kind: 'exhausted', message: `${result.reason} (after ${result.attempts} attempts)` };
}

/** An answer that is neither success nor a case the caller handles: what it means for the request. */
function refusal(what: string, a: Attempt): ChainguardOutcome {
  if (a.kind === 'exhausted') return { kind: 'transient', message: `${what}: ${a.message}` };
  const words = statusMessage(a.text);
  if (a.status >= 300 && a.status < 400) {
    return {
      kind: 'refused',
      message: `${what}: HTTP ${a.status} redirect to ${a.location ?? 'nowhere'} not followed (the token is only sent to the API named in requests.provision.chainguard.api)`,
    };
  }
  if (a.status === 401) {
    return {
      kind: 'refused',
      message: `${what}: HTTP 401 ${words}: the Chainguard token ($CHAINGUARD_TOKEN or --token-file) was refused`,
    };
  }
  if (a.status === 403) {
    return {
      kind: 'refused',
      message: `${what}: HTTP 403 ${words}: the token's identity lacks the capability (registry.repos.list / registry.repos.create on the parent)`,
    };
  }
  if (a.status === 404) {
    return {
      kind: 'refused',
      message: `${what}: HTTP 404 ${words}: check requests.provision.chainguard.parent and .api`,
    };
  }
  if (a.status === 429) {
    return { kind: 'failed', message: `the organisation's entitlement limit is reached (HTTP 429 ${words})` };
  }
  return { kind: 'failed', message: `${what}: HTTP ${a.status} ${words}` };
}

/** The repositories of a `RepoList` answer, as `{id, name}` (other fields are not read). */
export function repoItems(text: string): { id: string; name: string }[] | undefined {
  const body = parseJson(text);
  if (!isObject(body)) return undefined;
  // protobuf's JSON mapping leaves out an empty repeated field: `{}` is an empty list.
  if (body.items === undefined) return [];
  if (!Array.isArray(body.items)) return undefined;
  const items: { id: string; name: string }[] = [];
  for (const item of body.items) {
    if (!isObject(item) || typeof item.id !== 'string' || typeof item.name !== 'string') return undefined;
    items.push({ id: item.id, name: item.name });
  }
  return items;
}

/** The API's base URL without trailing slashes. */
const base = (target: ChainguardTarget) => target.api.replace(/\/+$/, '');

const listUrl = (target: ChainguardTarget, name: string) =>
  `${base(target)}/registry/v1/repos?${new URLSearchParams({ 'uidp.children_of': target.parent, name }).toString()}`;

/** The id of the repository `name` directly under the parent, null when there is none. */
async function findRepo(
  target: ChainguardTarget,
  name: string,
  token: string,
  effects: ChainguardEffects,
): Promise<{ ok: true; id: string | null } | { ok: false; outcome: ChainguardOutcome }> {
  const answer = await exchange('GET', listUrl(target, name), null, token, effects);
  if (answer.kind !== 'answer' || answer.status !== 200)
    return { ok: false, outcome: refusal('listing the repositories', answer) };
  const items = repoItems(answer.text);
  if (items === undefined) {
    return {
      ok: false,
      outcome: { kind: 'failed', message: `listing the repositories: not a RepoList: ${statusMessage(answer.text)}` },
    };
  }
  return { ok: true, id: items.find((i) => i.name === name)?.id ?? null };
}

/**
 * Provide repository `name` under the parent: list first (there already: already-provided), then create it with
 * `prevent_existing` (ALREADY_EXISTS: created meanwhile, already-provided). Never throws.
 */
export async function provisionRepository(
  target: ChainguardTarget,
  name: string,
  token: string,
  effects: ChainguardEffects,
): Promise<ChainguardOutcome> {
  const found = await findRepo(target, name, token, effects);
  if (!found.ok) return found.outcome;
  if (found.id !== null) return { kind: 'already-provided', repositoryId: found.id };
  const url = `${base(target)}/registry/v1/repos/${target.parent}?prevent_existing=true`;
  const answer = await exchange('POST', url, JSON.stringify({ name }), token, effects);
  if (answer.kind === 'answer' && answer.status === 200) {
    const repo = parseJson(answer.text);
    if (isObject(repo) && typeof repo.id === 'string' && repo.id !== '')
      return { kind: 'provisioned', repositoryId: repo.id };
    return { kind: 'failed', message: `creating ${name}: not a Repo: ${statusMessage(answer.text)}` };
  }
  if (answer.kind === 'answer' && answer.status === 409) {
    const again = await findRepo(target, name, token, effects);
    return { kind: 'already-provided', repositoryId: again.ok ? again.id : null };
  }
  return refusal(`creating ${name}`, answer);
}

/** The Chainguard repository name a reference asks for: the last segment of its repository path. */
export function repositoryNameOf(repository: string): string {
  return repository.slice(repository.lastIndexOf('/') + 1);
}
