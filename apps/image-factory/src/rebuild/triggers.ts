/**
 * Rebuild triggers (DESIGN §10): GitHub Actions `workflow_dispatch` and GitLab pipeline creation. A request is built
 * by a pure function (what `--dry-run` prints: method, URL, headers without the token, body); `sendTrigger` adds the
 * token and sends it, retrying transient failures 1 s / 2 s / 4 s (429 waits for Retry-After), and turns the answer
 * into an outcome: triggered, failed (4xx, with the forge's message), or transient (left due for the next sweep).
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { messageOf } from '../errors.js';
import { causeCode, retryAfterMs } from '../registry/http.js';

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
export interface TriggerRequest {
  readonly provider: 'github' | 'gitlab';
  readonly method: 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

export type TriggerOutcome =
  | {
      readonly status: 'triggered';
      readonly httpStatus: number;
      readonly attempts: number;
      readonly detail: string | null;
    }
  | { readonly status: 'failed'; readonly httpStatus: number; readonly attempts: number; readonly message: string }
  | { readonly status: 'transient'; readonly attempts: number; readonly message: string };

/** GitHub's REST API version the requests are written against. */
export const GITHUB_API_VERSION = '2022-11-28';
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
export const DEFAULT_GITLAB_URL = 'https://gitlab.com';
/** Waits before the 2nd, 3rd and 4th attempt of a transient failure. */
export const TRIGGER_BACKOFF_MS: readonly number[] = [1000, 2000, 4000];
/** A Retry-After longer than this is not waited for: the trigger stays due for the next sweep. */
const MAX_RETRY_AFTER_MS = 60_000;
const MAX_ANSWER_BYTES = 64 * 1024;

const stripSlash = (url: string) => url.replace(/\/+$/, '');
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** `POST {api}/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches` with `{"ref", "inputs"?}`. */
export function githubDispatch(apiUrl: string, target: TriggerTarget): TriggerRequest {
  if (target.workflow === undefined) throw new Error(`GitHub trigger for ${target.repo} needs a workflow`);
  const inputs = target.inputs === undefined || Object.keys(target.inputs).length === 0 ? undefined : target.inputs;
  return {
    provider: 'github',
    method: 'POST',
    url: `${stripSlash(apiUrl)}/repos/${encodePath(target.repo)}/actions/workflows/${encodeURIComponent(target.workflow)}/dispatches`,
    headers: {
      accept: 'application/vnd.github+json',
      'content-type': 'application/json',
      'x-github-api-version': GITHUB_API_VERSION,
      'user-agent': 'image-factory',
    },
    body: JSON.stringify({ ref: target.branch, ...(inputs === undefined ? {} : { inputs }) }),
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

export interface TriggerEffects {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

const ForgeErrorSchema = Type.Object({
  message: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
});
const GitlabPipelineSchema = Type.Object({ id: Type.Number(), web_url: Type.Optional(Type.String()) });

async function answerText(response: Response): Promise<string> {
  const text = await response.text();
  return text.length > MAX_ANSWER_BYTES ? text.slice(0, MAX_ANSWER_BYTES) : text;
}

/** The forge's own words for a refusal: GitHub's `message`, GitLab's `message` (text or field map) or `error`. */
function forgeMessage(text: string): string {
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

/**
 * Send a trigger with its token (`Authorization: Bearer` for GitHub, `PRIVATE-TOKEN` for GitLab). Never throws:
 * every end is an outcome to record.
 */
export async function sendTrigger(
  request: TriggerRequest,
  token: string,
  effects: TriggerEffects,
): Promise<TriggerOutcome> {
  const auth: Record<string, string> =
    request.provider === 'github' ? { authorization: `Bearer ${token}` } : { 'private-token': token };
  let last = '';
  let made = 0;
  const attempts = TRIGGER_BACKOFF_MS.length + 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    made = attempt;
    let wait = TRIGGER_BACKOFF_MS[attempt - 1] ?? 0;
    try {
      const response = await effects.fetch(request.url, {
        method: request.method,
        headers: { ...request.headers, ...auth },
        ...(request.body === null ? {} : { body: request.body }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await answerText(response);
      if (response.status >= 200 && response.status < 300) {
        let detail: string | null = null;
        try {
          const body: unknown = text === '' ? undefined : JSON.parse(text);
          if (Value.Check(GitlabPipelineSchema, body)) detail = body.web_url ?? `pipeline ${body.id}`;
        } catch {
          // GitHub answers 204 without a body
        }
        return { status: 'triggered', httpStatus: response.status, attempts: attempt, detail };
      }
      if (response.status === 429 || response.status >= 500) {
        const after = retryAfterMs(response.headers.get('retry-after'), effects.now());
        last = `HTTP ${response.status}${after === undefined ? '' : ` (Retry-After ${Math.ceil(after / 1000)} s)`}: ${forgeMessage(text)}`;
        if (after !== undefined) {
          if (after > MAX_RETRY_AFTER_MS) break;
          wait = after;
        }
      } else {
        return { status: 'failed', httpStatus: response.status, attempts: attempt, message: forgeMessage(text) };
      }
    } catch (error) {
      const code = causeCode(error);
      last = `network error: ${messageOf(error)}${code === undefined ? '' : ` (${code})`}`;
    }
    if (attempt < attempts) await effects.sleep(wait);
  }
  return { status: 'transient', attempts: made, message: last };
}
