/**
 * Stateful HTTP stubs of the forge APIs image requests use (GitHub, GitLab: SaaS that cannot run here), over a real
 * bare git repository (a pull request's branches are the repository's). Each checks every request against the
 * documented shape and answers as the real service does; a shape the service documents nowhere gets a 400
 * `stub: …` naming what is wrong, so a test fails on a malformed request, not on a stub's leniency.
 *
 * GitHub (REST API 2022-11-28; `Authorization: Bearer`, `Accept: application/vnd.github+json`,
 * `X-GitHub-Api-Version: 2022-11-28`; a wrong token is 401 `Bad credentials`):
 * - `POST /repos/{o}/{r}/pulls` `{title, head, base, body?, maintainer_can_modify?, draft?}` → 201 the pull request;
 *   422 `Validation Failed` with `errors: [{resource: "PullRequest", field: "head", code: "invalid"}]` when the head
 *   branch does not exist, `A pull request already exists for o:branch.` when one is open for it.
 * - `POST /repos/{o}/{r}/pulls/{n}/requested_reviewers` `{reviewers?, team_reviewers?}` → 201; 422 `Reviews may only
 *   be requested from collaborators. …` for a user who is not one or a team slug the owner has not, `Review cannot be
 *   requested from pull request author.`.
 * - `POST /repos/{o}/{r}/issues/{n}/labels` `{labels: string[]}` → 200 the labels of the issue.
 * - `GET /repos/{o}/{r}/pulls?head=o:branch&state=open|closed|all&per_page=` → the pull requests, newest first.
 * - `GET /repos/{o}/{r}/pulls/{n}` → the pull request, 404 `Not Found`.
 * - `GET /repos/{o}/{r}/pulls/{n}/reviews?per_page=&page=` → reviews oldest first `{id, user: {login}, state,
 *   commit_id, submitted_at}`.
 * - `GET /orgs/{org}/teams/{slug}/memberships/{user}` → 200 `{state: active|pending, role}` or 404 `Not Found`.
 * - `POST /repos/{o}/{r}/issues/{n}/comments` `{body}` → 201.
 * GitLab (API v4; `PRIVATE-TOKEN`; a wrong token is 401 `401 Unauthorized`):
 * - `POST /api/v4/projects/{id}/merge_requests` `{source_branch, target_branch, title, description?, labels?
 *   (comma-separated), remove_source_branch?}` → 201; 409 `["Another open merge request already exists for this
 *   source branch: !N"]`; 422 `["Source branch \"x\" does not exist"]` (the stub's reading of "the branch must exist").
 * - `POST …/merge_requests/{iid}/approval_rules` `{name, approvals_required, user_ids?, group_ids?, usernames?}` → 201.
 * - `GET /api/v4/groups/{id or URL-encoded path}` → `{id, full_path}`, 404 `404 Group Not Found`.
 * - `GET …/merge_requests?source_branch=&state=&per_page=`, `GET …/merge_requests/{iid}`.
 * - `GET …/merge_requests/{iid}/approvals` → `{approved_by: [{user: {id, username, name}}], approvals_required,
 *   approvals_left, approved}`.
 * - `GET /api/v4/groups/{id}/members/all/{user_id}` → the member or 404 `404 Not found`.
 * - `POST …/merge_requests/{iid}/notes` `{body}` → 201.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { git, tempDir } from './git-repos.js';

export interface StubRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
}

interface PullState {
  readonly number: number;
  readonly head: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
  readonly author: string;
  state: 'open' | 'closed' | 'merged';
  reviewers: string[];
  teams: string[];
  labels: string[];
  approvalRules: { name: string; approvals_required: number; usernames: string[]; group_ids: number[] }[];
  comments: string[];
}

/** What both stubs share: the requests seen, the pull requests made, and the ways a test acts as a person. */
export interface RequestForgeStub {
  readonly url: string;
  readonly requests: StubRequest[];
  readonly pulls: PullState[];
  /** Merge pull request `number` into its base in the bare repository (a merge commit), as the merge button does. */
  merge(number: number): void;
  close(): Promise<void>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');
const stubProblem = (problem: string): Answer => ({ status: 400, body: { message: `stub: ${problem}` } });
const unknownKey = (body: Record<string, unknown>, allowed: readonly string[]) =>
  Object.keys(body).find((k) => !allowed.includes(k));

function branchExists(bare: string, branch: string): string | null {
  try {
    return git(bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
  } catch {
    return null;
  }
}

function mergeInto(bare: string, pull: PullState): void {
  const dir = join(tempDir('if-merge-'), 'w');
  git(bare, 'clone', '--quiet', '--branch', pull.base, bare, dir);
  git(dir, 'fetch', '--quiet', 'origin', pull.head);
  git(dir, 'merge', '--quiet', '--no-ff', '--no-edit', 'FETCH_HEAD');
  git(dir, 'push', '--quiet', 'origin', `HEAD:refs/heads/${pull.base}`);
  pull.state = 'merged';
}

async function serve(
  handle: (r: StubRequest) => Answer,
): Promise<{ url: string; requests: StubRequest[]; server: Server }> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => {
      text += d.toString();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      let body: unknown;
      let malformed = false;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        malformed = true;
      }
      const recorded: StubRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      const answer = malformed ? { status: 400, body: { message: 'Problems parsing JSON' } } : handle(recorded);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

// ---------------------------------------------------------------------------------------------------------------
// GitHub

export interface GithubRequestStubOptions {
  /** `owner/name`. */
  readonly repo: string;
  readonly bare: string;
  readonly token: string;
  /** The login the token belongs to (the author of the pull requests it opens). */
  readonly login?: string;
  /** Users who may be asked for reviews (collaborators). */
  readonly collaborators: readonly string[];
  /** Teams of the owner, `org/slug` → active members. */
  readonly teams: Readonly<Record<string, readonly string[]>>;
}

export interface GithubRequestStub extends RequestForgeStub {
  /** `user` submits a review of `state` on pull request `number`. */
  review(number: number, user: string, state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED'): void;
}

export async function startGithubRequestStub(options: GithubRequestStubOptions): Promise<GithubRequestStub> {
  const pulls: PullState[] = [];
  const reviews = new Map<number, { id: number; user: string; state: string; commit_id: string }[]>();
  const login = options.login ?? 'factory-bot';
  const owner = options.repo.split('/')[0] ?? '';
  const repoPath = `/repos/${options.repo}`;
  let base = '';
  const notFound: Answer = {
    status: 404,
    body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' },
  };
  const json = (pull: PullState) => ({
    number: pull.number,
    html_url: `${base}/${options.repo}/pull/${pull.number}`,
    state: pull.state === 'open' ? 'open' : 'closed',
    merged_at: pull.state === 'merged' ? '2026-12-01T10:00:00Z' : null,
    title: pull.title,
    head: { ref: pull.head, sha: branchExists(options.bare, pull.head) ?? '0'.repeat(40) },
    base: { ref: pull.base },
    user: { login: pull.author },
    labels: pull.labels.map((name) => ({ name })),
    requested_reviewers: pull.reviewers.map((l) => ({ login: l })),
    requested_teams: pull.teams.map((slug) => ({ slug })),
  });

  const handle = (r: StubRequest): Answer => {
    if (r.headers.authorization !== `Bearer ${options.token}`)
      return { status: 401, body: { message: 'Bad credentials' } };
    if (r.headers.accept !== 'application/vnd.github+json')
      return stubProblem('Accept must be application/vnd.github+json');
    if (r.headers['x-github-api-version'] !== '2022-11-28')
      return stubProblem('X-GitHub-Api-Version must be 2022-11-28');
    if (r.method === 'POST' && r.headers['content-type'] !== 'application/json')
      return stubProblem('a POST body is application/json');
    const membership = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(r.path);
    if (membership !== null && r.method === 'GET') {
      const members = options.teams[`${membership[1]}/${membership[2]}`];
      if (members === undefined || !members.includes(membership[3] ?? '')) return notFound;
      return { status: 200, body: { url: 'x', role: 'member', state: 'active' } };
    }
    if (!r.path.startsWith(`${repoPath}/`)) return notFound;
    const rest = r.path.slice(repoPath.length);
    if (rest === '/pulls' && r.method === 'POST') {
      if (!isObject(r.body)) return stubProblem('body must be a JSON object');
      const extra = unknownKey(r.body, [
        'title',
        'head',
        'base',
        'body',
        'maintainer_can_modify',
        'draft',
        'issue',
        'head_repo',
      ]);
      if (extra !== undefined) return stubProblem(`"${extra}" is not a parameter of POST /pulls`);
      const { title, head, base: target, body } = r.body;
      if (typeof title !== 'string' || typeof head !== 'string' || typeof target !== 'string')
        return stubProblem('title, head and base are required strings');
      if (body !== undefined && typeof body !== 'string') return stubProblem('body must be a string');
      if (branchExists(options.bare, head) === null || branchExists(options.bare, target) === null) {
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'PullRequest',
                field: branchExists(options.bare, head) === null ? 'head' : 'base',
                code: 'invalid',
              },
            ],
          },
        };
      }
      if (pulls.some((p) => p.head === head && p.state === 'open')) {
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'PullRequest',
                code: 'custom',
                message: `A pull request already exists for ${owner}:${head}.`,
              },
            ],
          },
        };
      }
      const pull: PullState = {
        number: pulls.length + 1,
        head,
        base: target,
        title,
        body: typeof body === 'string' ? body : '',
        author: login,
        state: 'open',
        reviewers: [],
        teams: [],
        labels: [],
        approvalRules: [],
        comments: [],
      };
      pulls.push(pull);
      return { status: 201, body: json(pull) };
    }
    if (rest === '/pulls' && r.method === 'GET') {
      const extra = Object.keys(r.query).find(
        (k) => !['state', 'head', 'base', 'sort', 'direction', 'per_page', 'page'].includes(k),
      );
      if (extra !== undefined) return stubProblem(`"${extra}" is not a parameter of GET /pulls`);
      const state = r.query.state ?? 'open';
      if (!['open', 'closed', 'all'].includes(state)) return { status: 422, body: { message: 'Validation Failed' } };
      let found = [...pulls].reverse();
      if (r.query.head !== undefined) {
        // GitHub's documented form is user:ref-name; a bare branch name matches nothing.
        const [user, ref] = r.query.head.split(/:(.*)/s);
        found = found.filter((p) => user === owner && p.head === ref);
      }
      found = found.filter((p) => state === 'all' || (state === 'open' ? p.state === 'open' : p.state !== 'open'));
      return { status: 200, body: found.map(json) };
    }
    const one = /^\/(pulls|issues)\/([0-9]+)(\/[a-z_]+)?$/.exec(rest);
    if (one === null) return notFound;
    const pull = pulls.find((p) => p.number === Number(one[2]));
    if (pull === undefined) return notFound;
    const what = `${one[1]}${one[3] ?? ''}`;
    if (what === 'pulls' && r.method === 'GET') return { status: 200, body: json(pull) };
    if (what === 'pulls/requested_reviewers' && r.method === 'POST') {
      if (!isObject(r.body)) return stubProblem('body must be a JSON object');
      const extra = unknownKey(r.body, ['reviewers', 'team_reviewers']);
      if (extra !== undefined) return stubProblem(`"${extra}" is not a parameter of requested_reviewers`);
      const users = r.body.reviewers ?? [];
      const teams = r.body.team_reviewers ?? [];
      if (!isStrings(users) || !isStrings(teams)) return stubProblem('reviewers and team_reviewers are string arrays');
      if (users.length + teams.length === 0) return stubProblem('reviewers or team_reviewers is required');
      if (users.includes(pull.author))
        return { status: 422, body: { message: 'Review cannot be requested from pull request author.' } };
      if (
        users.some((u) => !options.collaborators.includes(u)) ||
        teams.some((t) => t.includes('/') || options.teams[`${owner}/${t}`] === undefined)
      ) {
        return {
          status: 422,
          body: {
            message: `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${options.repo} repository.`,
          },
        };
      }
      pull.reviewers.push(...users);
      pull.teams.push(...teams);
      return { status: 201, body: json(pull) };
    }
    if (what === 'issues/labels' && r.method === 'POST') {
      if (!isObject(r.body) || !isStrings(r.body.labels) || unknownKey(r.body, ['labels']) !== undefined)
        return stubProblem('body must be {"labels": string[]}');
      for (const label of r.body.labels) if (!pull.labels.includes(label)) pull.labels.push(label);
      return { status: 200, body: pull.labels.map((name) => ({ name })) };
    }
    if (what === 'pulls/reviews' && r.method === 'GET') {
      const perPage = Number(r.query.per_page ?? '30');
      const page = Number(r.query.page ?? '1');
      if (!(perPage >= 1 && perPage <= 100) || !(page >= 1)) return stubProblem('per_page 1..100 and page >= 1');
      const all = reviews.get(pull.number) ?? [];
      const slice = all.slice((page - 1) * perPage, page * perPage);
      return {
        status: 200,
        body: slice.map((v) => ({
          id: v.id,
          user: { login: v.user },
          state: v.state,
          commit_id: v.commit_id,
          submitted_at: '2026-12-01T09:00:00Z',
        })),
      };
    }
    if (what === 'issues/comments' && r.method === 'POST') {
      if (!isObject(r.body) || typeof r.body.body !== 'string' || unknownKey(r.body, ['body']) !== undefined)
        return stubProblem('body must be {"body": string}');
      pull.comments.push(r.body.body);
      return { status: 201, body: { id: pull.comments.length, body: r.body.body } };
    }
    return notFound;
  };

  const started = await serve(handle);
  base = started.url;
  let nextReview = 1;
  return {
    url: started.url,
    requests: started.requests,
    pulls,
    review(number, user, state) {
      const pull = pulls.find((p) => p.number === number);
      if (pull === undefined) throw new Error(`no pull request ${number}`);
      if (user === pull.author) throw new Error('GitHub refuses a review of your own pull request');
      const list = reviews.get(number) ?? [];
      list.push({ id: nextReview++, user, state, commit_id: branchExists(options.bare, pull.head) ?? '' });
      reviews.set(number, list);
    },
    merge(number) {
      const pull = pulls.find((p) => p.number === number);
      if (pull === undefined) throw new Error(`no pull request ${number}`);
      mergeInto(options.bare, pull);
    },
    close: () => closeServer(started.server),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// GitLab

export interface GitlabRequestStubOptions {
  /** The project path (`group/project`). */
  readonly project: string;
  readonly bare: string;
  readonly token: string;
  readonly username?: string;
  /** Users by username → id. */
  readonly users: Readonly<Record<string, number>>;
  /** Groups by full path → member usernames (inherited membership included). */
  readonly groups: Readonly<Record<string, readonly string[]>>;
}

export interface GitlabRequestStub extends RequestForgeStub {
  /** `user` approves merge request `iid`. */
  approve(iid: number, user: string): void;
}

export async function startGitlabRequestStub(options: GitlabRequestStubOptions): Promise<GitlabRequestStub> {
  const pulls: PullState[] = [];
  const approvals = new Map<number, string[]>();
  const author = options.username ?? 'factory-bot';
  const projectPath = `/api/v4/projects/${encodeURIComponent(options.project)}`;
  const groupIds = Object.keys(options.groups).map((path, index) => ({ path, id: 100 + index }));
  let base = '';
  const notFound: Answer = { status: 404, body: { message: '404 Not found' } };
  const userJson = (username: string) => ({ id: options.users[username] ?? 0, username, name: username });
  const json = (mr: PullState) => ({
    id: 1000 + mr.number,
    iid: mr.number,
    web_url: `${base}/${options.project}/-/merge_requests/${mr.number}`,
    state: mr.state === 'open' ? 'opened' : mr.state,
    source_branch: mr.head,
    target_branch: mr.base,
    title: mr.title,
    description: mr.body,
    sha: branchExists(options.bare, mr.head),
    author: userJson(mr.author),
    labels: mr.labels,
  });
  const handle = (r: StubRequest): Answer => {
    if (r.headers['private-token'] !== options.token) return { status: 401, body: { message: '401 Unauthorized' } };
    if (r.method === 'POST' && r.headers['content-type'] !== 'application/json')
      return stubProblem('a POST body is application/json here');
    const member = /^\/api\/v4\/groups\/([^/]+)\/members\/all\/([0-9]+)$/.exec(r.path);
    if (member !== null && r.method === 'GET') {
      const key = decodeURIComponent(member[1] ?? '');
      const group = groupIds.find((g) => g.path === key || String(g.id) === key);
      const username = Object.entries(options.users).find(([, id]) => id === Number(member[2]))?.[0];
      if (group === undefined) return { status: 404, body: { message: '404 Group Not Found' } };
      if (username === undefined || !(options.groups[group.path] ?? []).includes(username)) return notFound;
      return { status: 200, body: { ...userJson(username), access_level: 30 } };
    }
    const groupGet = /^\/api\/v4\/groups\/([^/]+)$/.exec(r.path);
    if (groupGet !== null && r.method === 'GET') {
      const key = decodeURIComponent(groupGet[1] ?? '');
      const group = groupIds.find((g) => g.path === key || String(g.id) === key);
      if (group === undefined) return { status: 404, body: { message: '404 Group Not Found' } };
      return { status: 200, body: { id: group.id, full_path: group.path, name: group.path } };
    }
    if (!r.path.startsWith(projectPath)) return { status: 404, body: { message: '404 Project Not Found' } };
    const rest = r.path.slice(projectPath.length);
    if (rest === '/merge_requests' && r.method === 'POST') {
      if (!isObject(r.body)) return stubProblem('body must be a JSON object');
      const extra = unknownKey(r.body, [
        'source_branch',
        'target_branch',
        'title',
        'description',
        'labels',
        'remove_source_branch',
        'assignee_ids',
        'reviewer_ids',
        'squash',
      ]);
      if (extra !== undefined) return stubProblem(`"${extra}" is not a parameter of POST merge_requests`);
      const { source_branch: head, target_branch: target, title, description, labels } = r.body;
      if (typeof head !== 'string' || typeof target !== 'string' || typeof title !== 'string')
        return { status: 400, body: { error: 'source_branch, target_branch, title are missing' } };
      if (labels !== undefined && typeof labels !== 'string') return stubProblem('labels is a comma-separated string');
      if (branchExists(options.bare, head) === null)
        return { status: 422, body: { message: [`Source branch "${head}" does not exist`] } };
      const open = pulls.find((p) => p.head === head && p.state === 'open');
      if (open !== undefined)
        return {
          status: 409,
          body: { message: [`Another open merge request already exists for this source branch: !${open.number}`] },
        };
      const mr: PullState = {
        number: pulls.length + 1,
        head,
        base: target,
        title,
        body: typeof description === 'string' ? description : '',
        author,
        state: 'open',
        reviewers: [],
        teams: [],
        labels: typeof labels === 'string' ? labels.split(',').filter((l) => l !== '') : [],
        approvalRules: [],
        comments: [],
      };
      pulls.push(mr);
      return { status: 201, body: json(mr) };
    }
    if (rest === '/merge_requests' && r.method === 'GET') {
      const extra = Object.keys(r.query).find(
        (k) => !['source_branch', 'target_branch', 'state', 'per_page', 'page'].includes(k),
      );
      if (extra !== undefined) return stubProblem(`"${extra}" is not a parameter the client should need`);
      const state = r.query.state ?? 'all';
      if (!['opened', 'closed', 'merged', 'locked', 'all'].includes(state))
        return { status: 400, body: { error: 'state does not have a valid value' } };
      const found = [...pulls]
        .reverse()
        .filter((p) => r.query.source_branch === undefined || p.head === r.query.source_branch)
        .filter((p) => state === 'all' || json(p).state === state);
      return { status: 200, body: found.map(json) };
    }
    const one = /^\/merge_requests\/([0-9]+)(\/[a-z_]+)?$/.exec(rest);
    if (one === null) return notFound;
    const mr = pulls.find((p) => p.number === Number(one[1]));
    if (mr === undefined) return notFound;
    const what = one[2] ?? '';
    if (what === '' && r.method === 'GET') return { status: 200, body: json(mr) };
    if (what === '/approval_rules' && r.method === 'POST') {
      if (!isObject(r.body)) return stubProblem('body must be a JSON object');
      const extra = unknownKey(r.body, [
        'name',
        'approvals_required',
        'user_ids',
        'group_ids',
        'usernames',
        'approval_project_rule_id',
      ]);
      if (extra !== undefined) return stubProblem(`"${extra}" is not a parameter of approval_rules`);
      const { name, approvals_required: required, usernames, group_ids: groups } = r.body;
      if (typeof name !== 'string' || typeof required !== 'number' || !Number.isInteger(required))
        return { status: 400, body: { error: 'name is missing, approvals_required is missing' } };
      if (usernames !== undefined && !isStrings(usernames)) return stubProblem('usernames is a string array');
      if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'number')))
        return stubProblem('group_ids is an integer array');
      const rule = {
        name,
        approvals_required: required,
        usernames: usernames ?? [],
        group_ids: (groups ?? []).filter((g): g is number => typeof g === 'number'),
      };
      mr.approvalRules.push(rule);
      return { status: 201, body: { id: mr.approvalRules.length, ...rule } };
    }
    if (what === '/approvals' && r.method === 'GET') {
      const by = approvals.get(mr.number) ?? [];
      const required = mr.approvalRules.reduce((n, rule) => n + rule.approvals_required, 0);
      return {
        status: 200,
        body: {
          iid: mr.number,
          approved_by: by.map((u) => ({ user: userJson(u) })),
          approvals_required: required,
          approvals_left: Math.max(0, required - by.length),
          approved: by.length >= required,
        },
      };
    }
    if (what === '/notes' && r.method === 'POST') {
      if (!isObject(r.body) || typeof r.body.body !== 'string')
        return { status: 400, body: { error: 'body is missing' } };
      mr.comments.push(r.body.body);
      return { status: 201, body: { id: mr.comments.length, body: r.body.body } };
    }
    return notFound;
  };
  const started = await serve(handle);
  base = started.url;
  return {
    url: started.url,
    requests: started.requests,
    pulls,
    approve(iid, user) {
      if (options.users[user] === undefined) throw new Error(`no GitLab user ${user}`);
      const list = approvals.get(iid) ?? [];
      if (!list.includes(user)) list.push(user);
      approvals.set(iid, list);
    },
    merge(number) {
      const mr = pulls.find((p) => p.number === number);
      if (mr === undefined) throw new Error(`no merge request ${number}`);
      mergeInto(options.bare, mr);
    },
    close: () => closeServer(started.server),
  };
}
