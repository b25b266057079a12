/**
 * HTTP stubs for the hosted CI APIs (GitHub, GitLab: SaaS that cannot run here). Each checks every request against
 * the documented shape and answers 400 naming what is wrong, so a test fails on a malformed request, not on a
 * stub's leniency; answers can be queued (204/201, 422, 502, 429 with Retry-After).
 *
 * GitHub: POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches, `Authorization: Bearer`,
 * `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`, body `{"ref": string, "inputs"?:
 * {string: string}}` with at most 25 inputs; success is 204 No Content.
 * GitLab: POST /api/v4/projects/{id or URL-encoded path}/pipeline, `PRIVATE-TOKEN`, `ref` required, optional
 * `variables: [{key, value, variable_type?}]`; success is 201 with the pipeline.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
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
  /** Answers for the next well-formed requests, in order; then the success answer. */
  readonly answers: Answer[];
  close(): Promise<void>;
}

type Check = (request: RecordedRequest) => string | undefined;

async function startStub(check: Check, success: (r: RecordedRequest) => Answer): Promise<ForgeStub> {
  const requests: RecordedRequest[] = [];
  const answers: Answer[] = [];
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
      const problem = check(recorded);
      const answer =
        problem !== undefined
          ? { status: 400, body: { message: `stub: ${problem}` } }
          : (answers.shift() ?? success(recorded));
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const isStringRecord = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => typeof v === 'string');

export function startGithubStub(token: string): Promise<ForgeStub> {
  return startStub(
    (r) => {
      if (r.method !== 'POST') return `method ${r.method}, expected POST`;
      if (!/^\/repos\/[^/]+\/[^/]+\/actions\/workflows\/[^/]+\/dispatches$/.test(r.path)) return `path ${r.path}`;
      if (r.headers.authorization !== `Bearer ${token}`) return 'Authorization is not "Bearer <token>"';
      if (r.headers.accept !== 'application/vnd.github+json') return `Accept ${r.headers.accept}`;
      if (r.headers['x-github-api-version'] !== '2022-11-28') return 'X-GitHub-Api-Version missing';
      if (!r.headers['content-type']?.startsWith('application/json')) return 'Content-Type is not JSON';
      const body = r.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body is not a JSON object';
      const keys = Object.keys(body).sort();
      if (keys.some((k) => k !== 'ref' && k !== 'inputs')) return `unexpected body fields ${keys.join(', ')}`;
      if (!('ref' in body) || typeof body.ref !== 'string') return 'body.ref missing';
      if ('inputs' in body && (!isStringRecord(body.inputs) || Object.keys(body.inputs).length > 25))
        return 'inputs must be ≤ 25 strings';
      return undefined;
    },
    () => ({ status: 204 }),
  );
}

export function startGitlabStub(token: string): Promise<ForgeStub> {
  let id = 100;
  return startStub(
    (r) => {
      if (r.method !== 'POST') return `method ${r.method}, expected POST`;
      if (!/^\/api\/v4\/projects\/[^/]+\/pipeline$/.test(r.path))
        return `path ${r.path} (the project path must be URL-encoded)`;
      if (r.headers['private-token'] !== token) return 'PRIVATE-TOKEN missing or wrong';
      if (r.query.ref === undefined || r.query.ref === '') return 'ref missing';
      if (r.body !== undefined) {
        const body = r.body;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body is not a JSON object';
        if (Object.keys(body).some((k) => k !== 'variables')) return 'unexpected body fields';
        const variables = 'variables' in body ? body.variables : undefined;
        if (
          !Array.isArray(variables) ||
          !variables.every((v) => typeof v?.key === 'string' && typeof v?.value === 'string')
        ) {
          return 'variables must be [{key, value}]';
        }
      }
      return undefined;
    },
    () => {
      id += 1;
      return { status: 201, body: { id, status: 'created', web_url: `https://gitlab.example.com/pipelines/${id}` } };
    },
  );
}
