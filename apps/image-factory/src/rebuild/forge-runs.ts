/**
 * Before a claim whose answer was never recorded is sent again (DESIGN §10 "Delivery"), look for the run its first
 * sending may already have started, by its idempotency key:
 * - GitHub: the workflow's `workflow_dispatch` runs on the branch created since the claim, matched by the key in the
 *   run's title (`display_title`, what the workflow's `run-name:` renders; it needs one naming the key input, e.g.
 *   `run-name: "rebuild ${{ inputs.image_factory_key }}"`).
 * - GitLab: the project's API pipelines on the branch updated since the claim, matched by the key variable.
 * Three honest answers: found (the run), not-found, unknown (why). The caller decides; delivery is at-least-once
 * with the key, so it sends again on not-found and on unknown. One page of at most 100 runs or pipelines; answers
 * bounded while reading and redacted; redirects not followed; the token only to the configured API.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { HttpRequest } from '../util/send-with-retry.js';
import { addSeconds, CLOCK_SKEW_SECONDS, isInstant, parseTime } from '../util/time.js';
import {
  forgeExchange,
  forgeMessage,
  GITHUB_HEADERS,
  pageUrl,
  redirectMessage,
  type TriggerEffects,
  type TriggerTarget,
} from './triggers.js';

/** What to look for: where the claim was sent, with which key, since when. */
export interface RunLookup {
  readonly target: TriggerTarget;
  /** The claim's idempotency key. */
  readonly key: string;
  /** When the claim was committed (`YYYY-MM-DDTHH:MM:SSZ`): runs older than that are not its. */
  readonly claimedAt: string;
  /** GitLab: the pipeline variable carrying the key (images.yaml `triggerKeyInput`). GitHub: unused. */
  readonly keyVariable?: string;
}

/** A lookup's answer. */
export type StartedRun =
  | { readonly status: 'found'; readonly id: string; readonly url: string | null }
  | { readonly status: 'not-found' }
  /** `rateLimited`: the forge refused the look-up for its rate limit. */
  | { readonly status: 'unknown'; readonly reason: string; readonly rateLimited?: true };

/** A lookup request: a GET with the forge's headers, minus the token. */
export interface LookupRequest extends HttpRequest {
  readonly provider: 'github' | 'gitlab';
  readonly method: 'GET';
  readonly body: null;
}

/** Runs or pipelines looked at: one page. */
export const LOOKUP_PAGE_SIZE = 100;
/** A page of 100 GitHub runs is about 1 MB (each carries its repository); more is not a runs list. */
export const MAX_LOOKUP_BYTES = 2 * 1024 * 1024;

const stripSlash = (url: string) => url.replace(/\/+$/, '');
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** The instant from which runs are listed: the claim, less the clock skew allowed. */
const since = (lookup: RunLookup) => addSeconds(lookup.claimedAt, -CLOCK_SKEW_SECONDS);

/**
 * `GET {api}/repos/{owner}/{repo}/actions/workflows/{workflow}/runs?event=workflow_dispatch&branch=…&created=>=…
 * &per_page=100`.
 */
export function githubRunsRequest(apiUrl: string, lookup: RunLookup): LookupRequest {
  const { target } = lookup;
  if (target.workflow === undefined) throw new Error(`GitHub lookup for ${target.repo} needs a workflow`);
  const query = new URLSearchParams({
    event: 'workflow_dispatch',
    branch: target.branch,
    created: `>=${since(lookup)}`,
    per_page: String(LOOKUP_PAGE_SIZE),
  });
  return {
    provider: 'github',
    method: 'GET',
    url: `${stripSlash(apiUrl)}/repos/${encodePath(target.repo)}/actions/workflows/${encodeURIComponent(target.workflow)}/runs?${query}`,
    headers: GITHUB_HEADERS,
    body: null,
  };
}

/** `GET {url}/api/v4/projects/{path}/pipelines?ref=…&updated_after=…&source=api&per_page=100`. */
export function gitlabPipelinesRequest(gitlabUrl: string, lookup: RunLookup): LookupRequest {
  const query = new URLSearchParams({
    ref: lookup.target.branch,
    updated_after: since(lookup),
    source: 'api',
    per_page: String(LOOKUP_PAGE_SIZE),
  });
  return {
    provider: 'gitlab',
    method: 'GET',
    url: `${stripSlash(gitlabUrl)}/api/v4/projects/${encodeURIComponent(lookup.target.repo)}/pipelines?${query}`,
    headers: { 'user-agent': 'image-factory' },
    body: null,
  };
}

/** `GET {url}/api/v4/projects/{path}/pipelines/{id}/variables`. */
export function gitlabVariablesRequest(gitlabUrl: string, repo: string, pipelineId: number): LookupRequest {
  if (!Number.isSafeInteger(pipelineId) || pipelineId < 1) throw new Error(`pipeline id ${pipelineId} is not an id`);
  return {
    provider: 'gitlab',
    method: 'GET',
    url: `${stripSlash(gitlabUrl)}/api/v4/projects/${encodeURIComponent(repo)}/pipelines/${pipelineId}/variables`,
    headers: { 'user-agent': 'image-factory' },
    body: null,
  };
}

const GithubRunsSchema = Type.Object({
  total_count: Type.Integer({ minimum: 0 }),
  workflow_runs: Type.Array(
    Type.Object({
      id: Type.Integer({ minimum: 1 }),
      display_title: Type.Optional(Type.String()),
      event: Type.String(),
      head_branch: Type.Union([Type.String(), Type.Null()]),
      created_at: Type.String(),
      html_url: Type.Optional(Type.String()),
    }),
  ),
});
const GitlabPipelinesSchema = Type.Array(
  Type.Object({ id: Type.Integer({ minimum: 1 }), ref: Type.String(), web_url: Type.Optional(Type.String()) }),
);
const GitlabVariablesSchema = Type.Array(Type.Object({ key: Type.String(), value: Type.String() }));

/** Whether `key` is a whole word of `title` (so `api-1f…` is not found in `xapi-1f…`). */
export function titleNamesKey(title: string, key: string): boolean {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9._-])${escaped}($|[^A-Za-z0-9._-])`).test(title);
}

/** Created at or after `from`, as instants (GitHub writes whole seconds in UTC; anything unreadable is not). */
function createdSince(createdAt: string, from: string): boolean {
  const at = parseTime(createdAt);
  const start = parseTime(from);
  return at.ok && start.ok && at.ms >= start.ms;
}

/** The run of a GitHub runs list (parsed JSON) started for the lookup's key: the earliest when several are. */
export function githubRunForKey(body: unknown, lookup: RunLookup): StartedRun {
  if (!Value.Check(GithubRunsSchema, body))
    return { status: 'unknown', reason: 'the runs list is not in GitHub’s shape' };
  const from = since(lookup);
  const matching = body.workflow_runs
    .filter(
      (run) =>
        run.event === 'workflow_dispatch' &&
        run.head_branch === lookup.target.branch &&
        createdSince(run.created_at, from) &&
        titleNamesKey(run.display_title ?? '', lookup.key),
    )
    .sort((a, b) => a.id - b.id);
  const first = matching[0];
  if (first !== undefined) return { status: 'found', id: String(first.id), url: pageUrl(first.html_url) };
  if (body.total_count > body.workflow_runs.length)
    return {
      status: 'unknown',
      reason: `${body.total_count} runs since the claim; the newest ${body.workflow_runs.length} do not name the key`,
    };
  return { status: 'not-found' };
}

type GitlabPipelines = Static<typeof GitlabPipelinesSchema>;

/** Whether a pipeline's variables (parsed JSON) carry the key. */
export function variablesCarryKey(body: unknown, keyVariable: string, key: string): boolean | undefined {
  if (!Value.Check(GitlabVariablesSchema, body)) return undefined;
  return body.some((v) => v.key === keyVariable && v.value === key);
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** One lookup exchange: the parsed answer of a 200, or why there is none. */
async function getJson(
  request: LookupRequest,
  token: string,
  effects: TriggerEffects,
): Promise<{ ok: true; body: unknown } | { ok: false; reason: string; rateLimited?: true }> {
  const exchange = await forgeExchange(request, token, effects, MAX_LOOKUP_BYTES);
  if (exchange.kind === 'transient' && exchange.rateLimited === true)
    return { ok: false, reason: exchange.message, rateLimited: true };
  if (exchange.kind === 'transient' || exchange.kind === 'unknown') return { ok: false, reason: exchange.message };
  if (exchange.status >= 300 && exchange.status < 400)
    return { ok: false, reason: redirectMessage(exchange.status, exchange.location) };
  if (exchange.status !== 200) return { ok: false, reason: `HTTP ${exchange.status}: ${forgeMessage(exchange.text)}` };
  if (exchange.truncated) return { ok: false, reason: `the answer is more than ${MAX_LOOKUP_BYTES} bytes` };
  const body = parseJson(exchange.text);
  return body === undefined ? { ok: false, reason: 'the answer is not JSON' } : { ok: true, body };
}

/**
 * Look for a run already started for `lookup.key` (see the module's comment). `baseUrl` is the GitHub API URL or the
 * GitLab URL of the target's provider, as configured: no request goes anywhere else. Never throws.
 */
export async function findStartedRun(
  baseUrl: string,
  lookup: RunLookup,
  token: string,
  effects: TriggerEffects,
): Promise<StartedRun> {
  if (!isInstant(lookup.claimedAt))
    return { status: 'unknown', reason: `the claim time "${lookup.claimedAt}" is not an instant` };
  const unknown = (reason: string, rateLimited?: true): StartedRun => ({
    status: 'unknown',
    reason,
    ...(rateLimited ? { rateLimited } : {}),
  });
  if (lookup.target.provider === 'github') {
    if (lookup.target.workflow === undefined) return unknown(`no workflow named for ${lookup.target.repo}`);
    const answer = await getJson(githubRunsRequest(baseUrl, lookup), token, effects);
    return answer.ok ? githubRunForKey(answer.body, lookup) : unknown(answer.reason, answer.rateLimited);
  }
  if (lookup.keyVariable === undefined)
    return unknown('no key variable (images.yaml source.triggerKeyInput): a pipeline cannot be matched to the key');
  const answer = await getJson(gitlabPipelinesRequest(baseUrl, lookup), token, effects);
  if (!answer.ok) return unknown(answer.reason, answer.rateLimited);
  if (!Value.Check(GitlabPipelinesSchema, answer.body)) return unknown('the pipelines list is not in GitLab’s shape');
  const pipelines: GitlabPipelines = [...answer.body]
    .filter((p) => p.ref === lookup.target.branch)
    .sort((a, b) => a.id - b.id);
  for (const pipeline of pipelines) {
    const variables = await getJson(gitlabVariablesRequest(baseUrl, lookup.target.repo, pipeline.id), token, effects);
    if (!variables.ok) return unknown(`pipeline ${pipeline.id}: ${variables.reason}`, variables.rateLimited);
    const carries = variablesCarryKey(variables.body, lookup.keyVariable, lookup.key);
    if (carries === undefined) return unknown(`pipeline ${pipeline.id}: the variables are not in GitLab’s shape`);
    if (carries) return { status: 'found', id: String(pipeline.id), url: pageUrl(pipeline.web_url) };
  }
  if (answer.body.length >= LOOKUP_PAGE_SIZE)
    return unknown(
      `${LOOKUP_PAGE_SIZE} or more pipelines since the claim; the newest ${LOOKUP_PAGE_SIZE} do not carry the key`,
    );
  return { status: 'not-found' };
}
