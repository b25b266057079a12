/**
 * Rebuild triggers (DESIGN §10): GitHub Actions `workflow_dispatch` and GitLab pipeline creation. A request is built
 * by a pure function (what `--dry-run` prints: method, URL, headers without the token, body); `sendTrigger` adds the
 * token and sends it, retrying transient failures 1 s / 2 s / 4 s (429 waits for Retry-After), and turns the answer
 * into an outcome: triggered (with the run GitHub or GitLab reports), failed (4xx with the forge's message, or a
 * redirect, which is never followed with a token), or transient (left due for the next sweep). Every text of an
 * outcome is the forge's answer bounded while reading (64 KiB) and redacted: nothing secret reaches git or a log.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type Exchange, type HttpRequest, type SendEffects, sendWithRetry } from '../util/send-with-retry.js';

/** Where a rebuild runs and with what. */
export interface TriggerTarget {
  readonly provider: 'github' | 'gitlab';
  /** `owner/name` (GitHub) or the project path (GitLab, groups included). */
  readonly repo: string;
  readonly branch: string;
  /** GitHub: the workflow file (`build.yaml`) or id. GitLab: unused (the pipeline runs on `branch`). */
  readonly workflow?: string;
  /** Workflow inputs / pipeline variables: only those images.yaml declares (GitHub rejects undeclared inputs). */
  readonly inputs?: Readonly<Record<string, string>>;
}

/** A request as it will be sent, minus the token. */
export interface TriggerRequest extends HttpRequest {
  readonly provider: 'github' | 'gitlab';
  readonly method: 'POST';
}

/** A CI run a forge reports: GitHub's workflow run, GitLab's pipeline. */
export interface TriggeredRun {
  readonly id: string;
  /** Its page (`html_url`, `web_url`), when the forge named one. */
  readonly url: string | null;
}

export type TriggerOutcome =
  | {
      readonly status: 'triggered';
      readonly httpStatus: number;
      readonly attempts: number;
      readonly detail: string | null;
      /** The run started, when the forge said which (GitHub with `return_run_details`, GitLab always). */
      readonly run?: TriggeredRun;
    }
  | { readonly status: 'failed'; readonly httpStatus: number; readonly attempts: number; readonly message: string }
  | {
      readonly status: 'transient';
      readonly attempts: number;
      readonly message: string;
      /** The forge refused it for its rate limit: nothing more is sent to that forge in this run. */
      readonly rateLimited?: true;
    }
  /**
   * Sent, and it may have been received (a timeout, a connection broken after the request): not sent again here and
   * not recorded, so the claim stays; after the claim timeout the sweep looks for a run started with its key and
   * sends again only when there is none.
   */
  | { readonly status: 'unknown'; readonly attempts: number; readonly message: string };

/** GitHub's REST API version the requests are written against. */
export const GITHUB_API_VERSION = '2022-11-28';
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
export const DEFAULT_GITLAB_URL = 'https://gitlab.com';
/** Waits before the 2nd, 3rd and 4th attempt of a transient failure. */
export const TRIGGER_BACKOFF_MS: readonly number[] = [1000, 2000, 4000];
/** A Retry-After longer than this is not waited for: the trigger stays due for the next sweep. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Bytes of a forge's answer read; the rest is cancelled unread. */
export const MAX_ANSWER_BYTES = 64 * 1024;

const stripSlash = (url: string) => url.replace(/\/+$/, '');
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** The headers of every GitHub REST request (the token is added when sending). */
export const GITHUB_HEADERS: Readonly<Record<string, string>> = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': GITHUB_API_VERSION,
  'user-agent': 'image-factory',
};

/**
 * `POST {api}/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches` with `{"ref", "inputs"?,
 * "return_run_details": true}`: GitHub then answers 200 with the run it started (an older GitHub Enterprise Server
 * ignores the field and answers 204).
 */
export function githubDispatch(apiUrl: string, target: TriggerTarget): TriggerRequest {
  if (target.workflow === undefined) throw new Error(`GitHub trigger for ${target.repo} needs a workflow`);
  const inputs = target.inputs === undefined || Object.keys(target.inputs).length === 0 ? undefined : target.inputs;
  return {
    provider: 'github',
    method: 'POST',
    url: `${stripSlash(apiUrl)}/repos/${encodePath(target.repo)}/actions/workflows/${encodeURIComponent(target.workflow)}/dispatches`,
    headers: { ...GITHUB_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify({ ref: target.branch, ...(inputs === undefined ? {} : { inputs }), return_run_details: true }),
  };
}

/** `POST {url}/api/v4/projects/{url-encoded path}/pipeline?ref={branch}` with `{"variables"}` when declared. */
export function gitlabPipeline(gitlabUrl: string, target: TriggerTarget): TriggerRequest {
  const variables = Object.entries(target.inputs ?? {}).map(([key, value]) => ({ key, value }));
  return {
    provider: 'gitlab',
    method: 'POST',
    url: `${stripSlash(gitlabUrl)}/api/v4/projects/${encodeURIComponent(target.repo)}/pipeline?ref=${encodeURIComponent(target.branch)}`,
    headers: { 'content-type': 'application/json', 'user-agent': 'image-factory' },
    body: variables.length === 0 ? null : JSON.stringify({ variables }),
  };
}

/** The network, the clock and the waits of a trigger (and of a run lookup). */
export type TriggerEffects = SendEffects;

/** The header carrying the token: `Authorization: Bearer` for GitHub, `PRIVATE-TOKEN` for GitLab. */
export function tokenHeader(provider: 'github' | 'gitlab', token: string): Record<string, string> {
  return provider === 'github' ? { authorization: `Bearer ${token}` } : { 'private-token': token };
}

const ForgeErrorSchema = Type.Object({
  message: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
});
/** GitLab's 201: the pipeline created. */
const GitlabPipelineSchema = Type.Object({ id: Type.Integer({ minimum: 1 }), web_url: Type.Optional(Type.String()) });
/** GitHub's 200 to `return_run_details: true`: the run started. */
const GithubRunDetailsSchema = Type.Object({
  workflow_run_id: Type.Integer({ minimum: 1 }),
  run_url: Type.Optional(Type.String()),
  html_url: Type.Optional(Type.String()),
});

/** The forge's own words for a refusal: GitHub's `message`, GitLab's `message` (text or field map) or `error`. */
export function forgeMessage(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (Value.Check(ForgeErrorSchema, body)) {
      if (typeof body.message === 'string') return body.message;
      if (body.message !== undefined) return JSON.stringify(body.message);
      if (body.error !== undefined) return body.error;
    }
  } catch {
    // not JSON: the text itself, shortened
  }
  return text.slice(0, 200) || '(no message)';
}

/** A page URL a forge reported, kept only when it is one (http/https, of a sane length). */
export function pageUrl(value: string | undefined): string | null {
  if (value === undefined || value.length > 2048 || !URL.canParse(value)) return null;
  const { protocol } = new URL(value);
  return protocol === 'https:' || protocol === 'http:' ? value : null;
}

/** The run a 2xx answer names: GitHub's run details, GitLab's pipeline; none for GitHub's 204. */
export function triggeredRun(provider: 'github' | 'gitlab', text: string): TriggeredRun | undefined {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
  if (provider === 'github' && Value.Check(GithubRunDetailsSchema, body))
    return { id: String(body.workflow_run_id), url: pageUrl(body.html_url) };
  if (provider === 'gitlab' && Value.Check(GitlabPipelineSchema, body))
    return { id: String(body.id), url: pageUrl(body.web_url) };
  return undefined;
}

/** GitHub's refusal of a body key it does not know (`"return_run_details" is not a permitted key`). */
const refusesRunDetails = (status: number, text: string) =>
  (status === 422 || status === 400) && text.includes('return_run_details');

/** A GitHub dispatch without `return_run_details`; undefined for any other request. */
function withoutRunDetails(request: TriggerRequest): TriggerRequest | undefined {
  if (request.provider !== 'github' || request.body === null) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || !('return_run_details' in body)) return undefined;
  const { return_run_details: _, ...rest } = body;
  return { ...request, body: JSON.stringify(rest) };
}

/** The message of a redirect that was not followed. */
export function redirectMessage(status: number, location: string | null): string {
  return `the forge answered ${status} to ${location ?? '(no Location)'}: redirects are not followed with a token`;
}

/**
 * Whether a forge's answer says the token is over its rate limit. GitHub answers a primary or secondary rate limit
 * with 403 or 429, and `x-ratelimit-remaining: 0`, a `Retry-After`, or a message saying so ("You have exceeded a
 * secondary rate limit"); it asks clients to wait what `Retry-After` says, else at least a minute, never to retry at
 * once (docs.github.com, REST API "Rate limits for the REST API" and "Troubleshooting"). Any other 403 is a refusal
 * (a token without the `actions: write` permission). GitLab answers its rate limits with 429.
 */
export function forgeRateLimited(provider: 'github' | 'gitlab') {
  return (status: number, headers: Headers, text: string): boolean =>
    provider === 'gitlab'
      ? status === 429
      : (status === 403 || status === 429) &&
        (headers.get('x-ratelimit-remaining') === '0' || headers.has('retry-after') || /rate limit/i.test(text));
}

/**
 * One exchange with a forge under the forge's retry policy (1 s / 2 s / 4 s, `Retry-After` up to a minute, no
 * redirects), its token sent only in the header its API reads and redacted from the answer.
 */
export function forgeExchange(
  request: HttpRequest & { readonly provider: 'github' | 'gitlab' },
  token: string,
  effects: TriggerEffects,
  maxBytes: number,
): Promise<Exchange> {
  return sendWithRetry(
    request,
    tokenHeader(request.provider, token),
    [token],
    {
      backoffMs: TRIGGER_BACKOFF_MS,
      maxRetryAfterMs: MAX_RETRY_AFTER_MS,
      maxBytes,
      rateLimited: forgeRateLimited(request.provider),
    },
    effects,
    forgeMessage,
  );
}

/**
 * Send a trigger with its token (`Authorization: Bearer` for GitHub, `PRIVATE-TOKEN` for GitLab). Never throws:
 * every end is an outcome to record, its texts bounded and redacted.
 */
export async function sendTrigger(
  request: TriggerRequest,
  token: string,
  effects: TriggerEffects,
): Promise<TriggerOutcome> {
  const send = (sent: TriggerRequest) => forgeExchange(sent, token, effects, MAX_ANSWER_BYTES);
  let exchange = await send(request);
  const plain = withoutRunDetails(request);
  if (plain !== undefined && exchange.kind === 'answer' && refusesRunDetails(exchange.status, exchange.text)) {
    // A GitHub Enterprise Server older than return_run_details refuses the key: the same dispatch without it.
    const first = exchange.attempts;
    const again = await send(plain);
    exchange = { ...again, attempts: first + again.attempts };
  }
  if (exchange.kind === 'transient') {
    const { attempts, message } = exchange;
    return { status: 'transient', attempts, message, ...(exchange.rateLimited ? { rateLimited: true as const } : {}) };
  }
  if (exchange.kind === 'unknown') return { status: 'unknown', attempts: exchange.attempts, message: exchange.message };
  const { status, attempts } = exchange;
  if (status >= 200 && status < 300) {
    const run = triggeredRun(request.provider, exchange.text);
    if (run === undefined) return { status: 'triggered', httpStatus: status, attempts, detail: null };
    const detail = run.url ?? `${request.provider === 'github' ? 'run' : 'pipeline'} ${run.id}`;
    return { status: 'triggered', httpStatus: status, attempts, detail, run };
  }
  const message =
    status >= 300 && status < 400 ? redirectMessage(status, exchange.location) : forgeMessage(exchange.text);
  return { status: 'failed', httpStatus: status, attempts, message };
}
