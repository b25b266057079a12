/**
 * An HTTP stub of the Chainguard registry API (SaaS that cannot run here), written from chainguard-dev/sdk
 * proto/platform/registry/v1/registry.platform.proto and how grpc-gateway serves it:
 * - `GET /registry/v1/repos` (`ListRepos(RepoFilter)`): the filter as query parameters, by proto name or JSON name
 *   (`uidp.children_of`, `uidp.descendants_of`, `name`, `id`, …) → `RepoList` `{"items": [Repo]}`.
 * - `POST /registry/v1/repos/{parent_id=**}` (`CreateRepo(CreateRepoRequest)`, `body: "repo"`): the `Repo` message
 *   as the JSON body, `prevent_existing` as a query parameter → the `Repo` created. With `prevent_existing` a name
 *   already under the parent is ALREADY_EXISTS; without it the real service updates the repository (the stub
 *   answers 400 `stub: …` then: the factory must never update a repository it did not create).
 * - `Authorization: Bearer <token>`: missing or another token → UNAUTHENTICATED; a parent the token may not use →
 *   PERMISSION_DENIED.
 * Messages are written as protobuf's JSON mapping writes them (lowerCamelCase names, `sync_config` by its
 * `json_name`, unpopulated fields emitted as grpc-gateway's default marshaler does); errors as grpc-gateway writes a
 * `google.rpc.Status` — `{"code", "message", "details": []}` — with the HTTP status runtime.HTTPStatusFromCode maps
 * the code to: INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS 409,
 * RESOURCE_EXHAUSTED 429 (here: more repositories than the organisation's entitlement allows), UNAVAILABLE 503.
 * An unknown field in the body is INVALID_ARGUMENT (`proto: … unknown field "x"`, as protojson refuses it). An
 * unknown query parameter the real gateway ignores silently — a typo would list every repository — so the stub
 * answers 400 `stub: …` for it, and for any other shape the API documents nowhere: a test fails on a malformed
 * request, not on the stub's leniency. Faults are queued in `answers` (503 UNAVAILABLE, a redirect, …).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A canned answer (a fault injected before the service's own answer). */
export interface StubAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** One request as received. */
export interface ChainguardRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/** A repository the stub holds. */
export interface StubRepo {
  readonly id: string;
  readonly name: string;
  readonly parent: string;
}

export interface ChainguardStubOptions {
  /** The token the API accepts. */
  readonly token: string;
  /** The organisation/folder ids the token may create repositories in. */
  readonly parents: readonly string[];
  /** Repositories there already. */
  readonly repos?: readonly { readonly parent: string; readonly name: string }[];
  /** How many repositories a parent may hold (the entitlement); when unspecified, no limit. */
  readonly limit?: number;
}

export interface ChainguardStub {
  readonly url: string;
  readonly requests: ChainguardRequest[];
  readonly repos: StubRepo[];
  /** Answers for the next requests that pass the checks, in order; then the service's own answer. */
  readonly answers: (StubAnswer | ((request: ChainguardRequest) => StubAnswer))[];
  close(): Promise<void>;
}

/** gRPC codes (google.rpc.Code) and the HTTP status grpc-gateway answers each with. */
const CODES = {
  INVALID_ARGUMENT: [3, 400],
  NOT_FOUND: [5, 404],
  ALREADY_EXISTS: [6, 409],
  PERMISSION_DENIED: [7, 403],
  RESOURCE_EXHAUSTED: [8, 429],
  UNAVAILABLE: [14, 503],
  UNAUTHENTICATED: [16, 401],
} as const;

/** An error as grpc-gateway writes a status. */
export function grpcError(code: keyof typeof CODES, message: string): StubAnswer {
  const [number, status] = CODES[code];
  return { status, body: { code: number, message, details: [] } };
}

const stubProblem = (problem: string): StubAnswer => grpcError('INVALID_ARGUMENT', `stub: ${problem}`);

/** The `RepoFilter` query parameters (proto and JSON names of its fields and of UIDPFilter's). */
const FILTER_PARAMETERS = [
  'uidp.ancestors_of',
  'uidp.ancestorsOf',
  'uidp.descendants_of',
  'uidp.descendantsOf',
  'uidp.children_of',
  'uidp.childrenOf',
  'uidp.in_root',
  'uidp.inRoot',
  'uidp.ids',
  'name',
  'id',
];

/** The `Repo` fields, JSON name → proto name (protojson accepts either when reading). */
const REPO_FIELDS: Readonly<Record<string, string>> = {
  id: 'id',
  name: 'name',
  catalogTier: 'catalog_tier',
  bundles: 'bundles',
  readme: 'readme',
  sync_config: 'sync_config',
  customOverlay: 'custom_overlay',
  aliases: 'aliases',
  createTime: 'create_time',
  activeTags: 'active_tags',
  description: 'description',
};
const STRING_FIELDS = new Set(['id', 'name', 'readme', 'description']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A `Repo` as grpc-gateway's default marshaler writes it: every field, unpopulated ones included. */
function repoMessage(repo: StubRepo): Record<string, unknown> {
  return {
    id: repo.id,
    name: repo.name,
    catalogTier: 'UNKNOWN',
    bundles: [],
    readme: '',
    sync_config: null,
    customOverlay: null,
    aliases: [],
    createTime: null,
    activeTags: [],
    description: '',
  };
}

/** Why a create body is not a `Repo` (protojson's words), or undefined. */
function repoBodyProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'proto: syntax error (line 1:1): unexpected token';
  const proto = new Set(Object.values(REPO_FIELDS));
  for (const [key, value] of Object.entries(body)) {
    if (REPO_FIELDS[key] === undefined && !proto.has(key)) return `proto: (line 1:2): unknown field "${key}"`;
    const name = REPO_FIELDS[key] ?? key;
    if (STRING_FIELDS.has(name) && typeof value !== 'string')
      return `proto: (line 1:2): invalid value for string field ${key}: ${JSON.stringify(value)}`;
  }
  return undefined;
}

const newId = (parent: string) => `${parent}/${randomBytes(8).toString('hex')}`;

const CREATE_PATH = /^\/registry\/v1\/repos\/([0-9a-f]{40}(?:\/[0-9a-f]{16})*)$/;

/** What is wrong with a request's shape (the gateway's or the stub's answer), or undefined when well formed. */
function shapeProblem(request: ChainguardRequest): StubAnswer | undefined {
  if (request.method === 'GET' && request.path === '/registry/v1/repos') {
    const unknown = Object.keys(request.query).find((k) => !FILTER_PARAMETERS.includes(k));
    return unknown === undefined ? undefined : stubProblem(`unknown query parameter ${unknown}`);
  }
  if (request.method === 'POST' && CREATE_PATH.test(request.path)) {
    const unknown = Object.keys(request.query).find((k) => k !== 'prevent_existing' && k !== 'preventExisting');
    if (unknown !== undefined) return stubProblem(`unknown query parameter ${unknown}`);
    if (request.headers['content-type']?.split(';')[0]?.trim() !== 'application/json')
      return stubProblem(`content-type ${request.headers['content-type'] ?? 'missing'}, not application/json`);
    const problem = repoBodyProblem(request.body);
    if (problem !== undefined) return grpcError('INVALID_ARGUMENT', problem);
    const name = isObject(request.body) ? request.body.name : undefined;
    if (typeof name !== 'string' || name === '') return grpcError('INVALID_ARGUMENT', 'repo name is required');
    return undefined;
  }
  return grpcError('NOT_FOUND', 'Not Found');
}

/** The service's own answer to a well-formed, authenticated request. */
function serve(request: ChainguardRequest, options: ChainguardStubOptions, repos: StubRepo[]): StubAnswer {
  const q = request.query;
  if (request.method === 'GET') {
    const children = q['uidp.children_of'] ?? q['uidp.childrenOf'];
    const descendants = q['uidp.descendants_of'] ?? q['uidp.descendantsOf'];
    const items = repos.filter(
      (r) =>
        (children === undefined || r.parent === children) &&
        (descendants === undefined || r.id.startsWith(`${descendants}/`)) &&
        (q.name === undefined || r.name === q.name) &&
        (q.id === undefined || r.id === q.id),
    );
    return { status: 200, body: { items: items.map(repoMessage) } };
  }
  const parent = CREATE_PATH.exec(request.path)?.[1] ?? '';
  const name = isObject(request.body) && typeof request.body.name === 'string' ? request.body.name : '';
  if (!options.parents.includes(parent)) return grpcError('PERMISSION_DENIED', 'PERMISSION_DENIED');
  const prevent = q.prevent_existing ?? q.preventExisting;
  if (repos.some((r) => r.parent === parent && r.name === name)) {
    if (prevent === 'true') return grpcError('ALREADY_EXISTS', `repo "${name}" already exists`);
    return stubProblem('create without prevent_existing=true would update an existing repository');
  }
  if (options.limit !== undefined && repos.filter((r) => r.parent === parent).length >= options.limit)
    return grpcError('RESOURCE_EXHAUSTED', `entitlement limit of ${options.limit} repositories reached`);
  const repo = { id: newId(parent), name, parent };
  repos.push(repo);
  return { status: 200, body: repoMessage(repo) };
}

/** Start the stub on 127.0.0.1. */
export async function startChainguardStub(options: ChainguardStubOptions): Promise<ChainguardStub> {
  const requests: ChainguardRequest[] = [];
  const answers: ChainguardStub['answers'] = [];
  const repos: StubRepo[] = (options.repos ?? []).map((r) => ({ ...r, id: newId(r.parent) }));
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
      const recorded: ChainguardRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      let answer: StubAnswer | undefined =
        req.headers.authorization === `Bearer ${options.token}`
          ? shapeProblem(recorded)
          : grpcError('UNAUTHENTICATED', 'Unauthenticated');
      if (answer === undefined) {
        const queued = answers.shift();
        answer =
          queued === undefined
            ? serve(recorded, options, repos)
            : typeof queued === 'function'
              ? queued(recorded)
              : queued;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    repos,
    answers,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
