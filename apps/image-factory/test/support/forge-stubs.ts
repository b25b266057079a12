/**
 * HTTP stubs for the hosted CI APIs (GitHub, GitLab: SaaS that cannot run here). Each checks every request against
 * the documented shape and answers as the real service does: 401 without the right token, GitHub's 404/422 for an
 * unknown workflow or an input its `workflow_dispatch:` block does not declare, GitLab's 400 for a malformed filter;
 * a shape the service documents nowhere gets a 400 `stub: …` naming what is wrong, so a test fails on a malformed
 * request, not on a stub's leniency. Answers can be queued (204/201, 422, 502, 429 with Retry-After, a function of
 * the request).
 *
 * GitHub (REST API 2022-11-28):
 * - `POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches`, `Authorization: Bearer`,
 *   `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`, body `{"ref": string, "inputs"?:
 *   {string: string}, "return_run_details"?: boolean}` with at most 25 inputs, each one the workflow declares
 *   (otherwise 422 `Unexpected inputs provided: ["x"]`); a key GitHub does not know is a 422
 *   `Invalid request.\n\n"x" is not a permitted key.`. Success is 204 No Content, or, with `return_run_details`,
 *   200 with the run: GitHub's changelog of 2026-02-19 ("Workflow dispatch API now returns run IDs"): "you can pass
 *   in a new optional boolean parameter, return_run_details, which will return a 200 OK response containing the
 *   workflow ID, API URL, and workflow URL. If you do not pass in this parameter, it will continue to return the
 *   current 204 No Content status code." — the fields are `workflow_run_id`, `run_url`, `html_url`. A GitHub
 *   Enterprise Server older than that refuses the key (`runDetails: 'unsupported'`) or ignores it (`'ignored'`).
 * - `GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs?event=&branch=&created=&per_page=&page=`
 *   (per_page at most 100; `created` in GitHub's date-search syntax, here `>=`/`>` an ISO 8601 time): `{total_count,
 *   workflow_runs: [{id, name, display_title, event, head_branch, created_at, html_url, path}]}`, newest first.
 *   `name` is the workflow's name; `display_title` is what its `run-name:` renders (the workflow's name without one).
 * GitLab (API v4):
 * - `POST /api/v4/projects/{id or URL-encoded path}/pipeline?ref=`, `PRIVATE-TOKEN`, optional
 *   `variables: [{key, value, variable_type?}]`; success is 201 with the pipeline (`source: "api"`).
 * - `GET /api/v4/projects/{id}/pipelines?ref=&updated_after=&source=&per_page=&page=&order_by=&sort=`: the
 *   pipelines, newest first; an unknown `source` is 400 `{"error":"source does not have a valid value"}`, an
 *   unreadable `updated_after` 400 `{"error":"updated_after is invalid"}`; per_page above 100 is cut to 100.
 * - `GET /api/v4/projects/{id}/pipelines/{pipeline_id}/variables`: `[{variable_type, key, value}]`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** A JSON body. */
  readonly body?: unknown;
  /** A body sent as is (instead of `body`). */
  readonly text?: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface ForgeStub {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answers for the next well-formed requests, in order; then the service's own answer. */
  readonly answers: (Answer | ((request: RecordedRequest) => Answer))[];
  close(): Promise<void>;
}

/** A check's verdict on a request: undefined when well formed, else the answer the real service gives. */
type Check = (request: RecordedRequest) => Answer | undefined;

const stubProblem = (problem: string): Answer => ({ status: 400, body: { message: `stub: ${problem}` } });

async function startStub(check: Check, success: (r: RecordedRequest) => Answer): Promise<ForgeStub> {
  const requests: RecordedRequest[] = [];
  const answers: ForgeStub['answers'] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => {
      text += d.toString();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = Symbol('not JSON');
      }
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      const refusal = check(recorded);
      const queued = refusal === undefined ? answers.shift() : undefined;
      const answer = refusal ?? (typeof queued === 'function' ? queued(recorded) : (queued ?? success(recorded)));
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answers,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const isStringRecord = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => typeof v === 'string');

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whole seconds, as GitHub and GitLab write times. */
const stamp = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** The query parameters a list endpoint documents: any other is a typo the real service would silently ignore. */
function unknownParameter(query: Record<string, string>, documented: readonly string[]): string | undefined {
  return Object.keys(query).find((k) => !documented.includes(k));
}

function perPage(query: Record<string, string>): number | Answer {
  const value = query.per_page ?? '30';
  if (!/^[1-9][0-9]*$/.test(value)) return stubProblem(`per_page ${value} is not a positive integer`);
  return Number(value);
}

// ---------------------------------------------------------------------------------------------------------------
// GitHub

/** A workflow as its YAML declares it. */
export interface GithubWorkflow {
  /** The inputs its `on.workflow_dispatch.inputs` block declares (none when unspecified). */
  readonly inputs?: readonly string[];
  /** Its `run-name:`, with `${{ inputs.NAME }}` expressions; when unspecified, runs are titled with its `name`. */
  readonly runName?: string;
  /** Its `name:`; when unspecified, the file name. */
  readonly name?: string;
}

export interface GithubStubOptions {
  /**
   * The repository's workflows by `owner/repo/file` (`acme/api/build.yaml`): a dispatch to another is GitHub's 404.
   * When unspecified, every workflow exists and declares no inputs.
   */
  readonly workflows?: Readonly<Record<string, GithubWorkflow>>;
  /**
   * How `return_run_details: true` is answered: `returned` (github.com since 2026-02-19: 200 with the run; the
   * default), `ignored` (204), `unsupported` (an older GitHub Enterprise Server: 422, not a permitted key).
   */
  readonly runDetails?: 'returned' | 'ignored' | 'unsupported';
  /** The clock runs are created by; when unspecified, the real one. */
  readonly now?: () => number;
}

/** A workflow run as GitHub lists it (the fields the factory reads), with the workflow it belongs to. */
export interface GithubRun {
  readonly workflow: string;
  readonly id: number;
  readonly name: string;
  readonly display_title: string;
  readonly event: string;
  readonly head_branch: string;
  readonly created_at: string;
  readonly html_url: string;
  readonly path: string;
}

export interface GithubStub extends ForgeStub {
  /** Every run, oldest first: those dispatched, and those a test starts. */
  readonly runs: GithubRun[];
  /** Start a run of `owner/repo/file` as a dispatch would (without answering anyone): the answer a crash lost. */
  startRun(workflow: string, ref: string, inputs?: Readonly<Record<string, string>>, createdAt?: number): GithubRun;
}

const DISPATCH_PATH = /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/dispatches$/;
const RUNS_PATH = /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/runs$/;
const RUNS_PARAMETERS = [
  'actor',
  'branch',
  'event',
  'status',
  'per_page',
  'page',
  'created',
  'exclude_pull_requests',
  'check_suite_id',
  'head_sha',
];
const GITHUB_NOT_FOUND: Answer = {
  status: 404,
  body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' },
};
const notPermitted = (key: string): Answer => ({
  status: 422,
  body: {
    message: `Invalid request.\n\n"${key}" is not a permitted key.`,
    documentation_url: 'https://docs.github.com/rest',
  },
});

/** `run-name:` rendered: `${{ inputs.NAME }}` replaced by the input's value (empty when not given, as in Actions). */
function renderRunName(template: string, inputs: Readonly<Record<string, string>>): string {
  return template.replace(/\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}/g, (_, name: string) => inputs[name] ?? '');
}

/** `created` in GitHub's date-search syntax: `>=T` or `>T` with an ISO 8601 time (the forms a lookup sends). */
function createdFilter(value: string | undefined): ((at: number) => boolean) | Answer | undefined {
  if (value === undefined) return undefined;
  const m = /^(>=|>)(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))$/.exec(value);
  const since = m?.[2] === undefined ? Number.NaN : Date.parse(m[2]);
  if (m === null || Number.isNaN(since)) return stubProblem(`created "${value}" is not >=/> an ISO 8601 time`);
  return m[1] === '>=' ? (at) => at >= since : (at) => at > since;
}

export async function startGithubStub(token: string, options: GithubStubOptions = {}): Promise<GithubStub> {
  const runs: GithubRun[] = [];
  const now = options.now ?? Date.now;
  let nextId = 9000;
  let url = '';
  const workflowOf = (repo: string, file: string): GithubWorkflow | undefined =>
    options.workflows === undefined ? {} : options.workflows[`${repo}/${file}`];
  const startRun = (
    workflow: string,
    ref: string,
    inputs: Readonly<Record<string, string>> = {},
    createdAt = now(),
  ): GithubRun => {
    const file = workflow.split('/').at(-1) ?? workflow;
    const repo = workflow.split('/').slice(0, 2).join('/');
    const declared = workflowOf(repo, file) ?? {};
    const name = declared.name ?? file;
    nextId += 1;
    const run: GithubRun = {
      workflow,
      id: nextId,
      name,
      display_title: declared.runName === undefined ? name : renderRunName(declared.runName, inputs),
      event: 'workflow_dispatch',
      head_branch: ref,
      created_at: stamp(createdAt),
      html_url: `https://github.example.com/${repo}/actions/runs/${nextId}`,
      path: `.github/workflows/${file}`,
    };
    runs.push(run);
    return run;
  };

  const check: Check = (r) => {
    if (r.headers.authorization !== `Bearer ${token}`)
      return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    if (r.headers.accept !== 'application/vnd.github+json') return stubProblem(`Accept ${r.headers.accept}`);
    if (r.headers['x-github-api-version'] !== '2022-11-28') return stubProblem('X-GitHub-Api-Version missing');
    const dispatch = DISPATCH_PATH.exec(r.path);
    const list = RUNS_PATH.exec(r.path);
    if (r.method === 'POST' && dispatch !== null) {
      const [, owner, name, file] = dispatch;
      const declared = workflowOf(`${owner}/${name}`, decodeURIComponent(file ?? ''));
      if (declared === undefined) return GITHUB_NOT_FOUND;
      if (!r.headers['content-type']?.startsWith('application/json')) return stubProblem('Content-Type is not JSON');
      const body = r.body;
      if (!isObject(body)) return stubProblem('body is not a JSON object');
      const unknown = Object.keys(body).find(
        (k) => k !== 'ref' && k !== 'inputs' && (k !== 'return_run_details' || options.runDetails === 'unsupported'),
      );
      if (unknown !== undefined) return notPermitted(unknown);
      if (typeof body.ref !== 'string') return stubProblem('body.ref missing');
      if ('return_run_details' in body && typeof body.return_run_details !== 'boolean')
        return stubProblem('return_run_details is not a boolean');
      if ('inputs' in body && (!isStringRecord(body.inputs) || Object.keys(body.inputs).length > 25))
        return stubProblem('inputs must be ≤ 25 strings');
      const undeclared = Object.keys(isStringRecord(body.inputs) ? body.inputs : {}).filter(
        (k) => !(declared.inputs ?? []).includes(k),
      );
      if (undeclared.length > 0)
        return { status: 422, body: { message: `Unexpected inputs provided: ${JSON.stringify(undeclared)}` } };
      return undefined;
    }
    if (r.method === 'GET' && list !== null) {
      const [, owner, name, file] = list;
      if (workflowOf(`${owner}/${name}`, decodeURIComponent(file ?? '')) === undefined) return GITHUB_NOT_FOUND;
      const unknown = unknownParameter(r.query, RUNS_PARAMETERS);
      if (unknown !== undefined) return stubProblem(`query parameter ${unknown} is not documented`);
      const size = perPage(r.query);
      if (typeof size !== 'number') return size;
      if (size > 100) return stubProblem(`per_page ${size} is more than 100`);
      const created = createdFilter(r.query.created);
      if (created !== undefined && typeof created !== 'function') return created;
      return undefined;
    }
    return stubProblem(`${r.method} ${r.path} is not an endpoint this stub knows`);
  };

  const success = (r: RecordedRequest): Answer => {
    const dispatch = DISPATCH_PATH.exec(r.path);
    if (dispatch !== null) {
      const [, owner, name, file] = dispatch;
      const body = isObject(r.body) ? r.body : {};
      const run = startRun(
        `${owner}/${name}/${decodeURIComponent(file ?? '')}`,
        typeof body.ref === 'string' ? body.ref : '',
        isStringRecord(body.inputs) ? body.inputs : {},
      );
      if (body.return_run_details !== true || options.runDetails === 'ignored') return { status: 204 };
      return {
        status: 200,
        body: {
          workflow_run_id: run.id,
          run_url: `${url}/repos/${owner}/${name}/actions/runs/${run.id}`,
          html_url: run.html_url,
        },
      };
    }
    const [, owner, name, file] = RUNS_PATH.exec(r.path) ?? [];
    const workflow = `${owner}/${name}/${decodeURIComponent(file ?? '')}`;
    const created = createdFilter(r.query.created);
    const matching = runs
      .filter(
        (run) =>
          run.workflow === workflow &&
          (r.query.event === undefined || run.event === r.query.event) &&
          (r.query.branch === undefined || run.head_branch === r.query.branch) &&
          (typeof created !== 'function' || created(Date.parse(run.created_at))),
      )
      .reverse();
    const size = Number(r.query.per_page ?? '30');
    const page = Number(r.query.page ?? '1');
    return {
      status: 200,
      body: {
        total_count: matching.length,
        workflow_runs: matching.slice((page - 1) * size, page * size).map(({ workflow: _, ...run }) => run),
      },
    };
  };

  const stub = await startStub(check, success);
  url = stub.url;
  return { ...stub, runs, startRun };
}

// ---------------------------------------------------------------------------------------------------------------
// GitLab

/** A pipeline as GitLab lists it (the fields the factory reads), with its project path and variables. */
export interface GitlabPipeline {
  readonly project: string;
  readonly id: number;
  readonly iid: number;
  readonly ref: string;
  readonly source: string;
  readonly status: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly web_url: string;
  readonly variables: readonly { key: string; value: string }[];
}

export interface GitlabStub extends ForgeStub {
  /** Every pipeline, oldest first: those created by the API, and those a test starts. */
  readonly pipelines: GitlabPipeline[];
  /** Create a pipeline of a project path as the API would (without answering anyone): the answer a crash lost. */
  startPipeline(
    project: string,
    ref: string,
    variables?: Readonly<Record<string, string>>,
    options?: { createdAt?: number; source?: string },
  ): GitlabPipeline;
}

export interface GitlabStubOptions {
  /** The clock pipelines are created by; when unspecified, the real one. */
  readonly now?: () => number;
}

const CREATE_PATH = /^\/api\/v4\/projects\/([^/]+)\/pipeline$/;
const LIST_PATH = /^\/api\/v4\/projects\/([^/]+)\/pipelines$/;
const VARIABLES_PATH = /^\/api\/v4\/projects\/([^/]+)\/pipelines\/([^/]+)\/variables$/;
const LIST_PARAMETERS = [
  'scope',
  'status',
  'source',
  'ref',
  'sha',
  'yaml_errors',
  'username',
  'updated_before',
  'updated_after',
  'created_before',
  'created_after',
  'order_by',
  'sort',
  'name',
  'per_page',
  'page',
];
/** GitLab's pipeline sources (`Ci::Pipeline.sources`). */
const SOURCES = [
  'push',
  'web',
  'trigger',
  'schedule',
  'api',
  'external',
  'pipeline',
  'chat',
  'webide',
  'merge_request_event',
  'external_pull_request_event',
  'parent_pipeline',
  'ondemand_dast_scan',
  'ondemand_dast_validation',
  'security_orchestration_policy',
  'container_registry_push',
];
const GITLAB_NOT_FOUND: Answer = { status: 404, body: { message: '404 Not found' } };
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export async function startGitlabStub(token: string, options: GitlabStubOptions = {}): Promise<GitlabStub> {
  const pipelines: GitlabPipeline[] = [];
  const now = options.now ?? Date.now;
  let nextId = 100;
  const startPipeline: GitlabStub['startPipeline'] = (project, ref, variables = {}, extra = {}) => {
    nextId += 1;
    const at = stamp(extra.createdAt ?? now());
    const pipeline: GitlabPipeline = {
      project,
      id: nextId,
      iid: nextId - 100,
      ref,
      source: extra.source ?? 'api',
      status: 'created',
      created_at: at,
      updated_at: at,
      web_url: `https://gitlab.example.com/${project}/-/pipelines/${nextId}`,
      variables: Object.entries(variables).map(([key, value]) => ({ key, value })),
    };
    pipelines.push(pipeline);
    return pipeline;
  };
  const listed = ({ project: _, variables: __, ...pipeline }: GitlabPipeline) => pipeline;

  const check: Check = (r) => {
    if (r.headers['private-token'] !== token) return { status: 401, body: { message: '401 Unauthorized' } };
    if (r.method === 'POST' && CREATE_PATH.test(r.path)) {
      if (r.query.ref === undefined || r.query.ref === '') return { status: 400, body: { error: 'ref is missing' } };
      if (r.body !== undefined) {
        const body = r.body;
        if (!isObject(body)) return stubProblem('body is not a JSON object');
        if (Object.keys(body).some((k) => k !== 'variables')) return stubProblem('unexpected body fields');
        const variables = body.variables;
        if (
          !Array.isArray(variables) ||
          !variables.every((v) => typeof v?.key === 'string' && typeof v?.value === 'string')
        ) {
          return { status: 400, body: { error: 'variables is invalid' } };
        }
      }
      return undefined;
    }
    if (r.method === 'GET' && LIST_PATH.test(r.path)) {
      const unknown = unknownParameter(r.query, LIST_PARAMETERS);
      if (unknown !== undefined) return stubProblem(`query parameter ${unknown} is not documented`);
      if (r.query.source !== undefined && !SOURCES.includes(r.query.source))
        return { status: 400, body: { error: 'source does not have a valid value' } };
      for (const field of ['updated_after', 'updated_before', 'created_after', 'created_before']) {
        const value = r.query[field];
        if (value !== undefined && (!ISO_8601.test(value) || Number.isNaN(Date.parse(value))))
          return { status: 400, body: { error: `${field} is invalid` } };
      }
      const size = perPage(r.query);
      return typeof size === 'number' ? undefined : size;
    }
    if (r.method === 'GET' && VARIABLES_PATH.test(r.path)) return undefined;
    return stubProblem(
      `${r.method} ${r.path} is not an endpoint this stub knows (the project path must be URL-encoded)`,
    );
  };

  const success = (r: RecordedRequest): Answer => {
    const create = CREATE_PATH.exec(r.path);
    if (create !== null) {
      const body = isObject(r.body) && Array.isArray(r.body.variables) ? r.body.variables : [];
      const variables = Object.fromEntries(body.filter(isObject).map((v) => [String(v.key), String(v.value)] as const));
      const pipeline = startPipeline(decodeURIComponent(create[1] ?? ''), r.query.ref ?? '', variables);
      return { status: 201, body: listed(pipeline) };
    }
    const list = LIST_PATH.exec(r.path);
    if (list !== null) {
      const project = decodeURIComponent(list[1] ?? '');
      const after = r.query.updated_after === undefined ? undefined : Date.parse(r.query.updated_after);
      const matching = pipelines
        .filter(
          (p) =>
            p.project === project &&
            (r.query.ref === undefined || p.ref === r.query.ref) &&
            (r.query.source === undefined || p.source === r.query.source) &&
            (after === undefined || Date.parse(p.updated_at) > after),
        )
        .reverse();
      const size = Math.min(Number(r.query.per_page ?? '20'), 100);
      const page = Number(r.query.page ?? '1');
      return { status: 200, body: matching.slice((page - 1) * size, page * size).map(listed) };
    }
    const [, encoded, id] = VARIABLES_PATH.exec(r.path) ?? [];
    const pipeline = pipelines.find((p) => p.project === decodeURIComponent(encoded ?? '') && String(p.id) === id);
    if (pipeline === undefined) return GITLAB_NOT_FOUND;
    return { status: 200, body: pipeline.variables.map((v) => ({ variable_type: 'env_var', ...v })) };
  };

  const stub = await startStub(check, success);
  return { ...stub, pipelines, startPipeline };
}
