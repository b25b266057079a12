/**
 * The forge side of image requests: open the pull request (GitHub) or merge request (GitLab) of a request with the
 * tier's reviewers, labels or approval rule; find a branch's pull request; read who approved it and whether they
 * count for the tier (GitHub: the latest review of each user, team membership asked of GitHub; GitLab: the merge
 * request's approvals, group membership asked of GitLab); comment on it. Every call goes through the forge exchange
 * of the rebuild triggers (retries 1 s / 2 s / 4 s, token in its header only, no redirects, answers bounded and
 * redacted), and every answer is read through a schema. Nothing here throws: each call ends in a ForgeAnswer.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { forgeExchange, forgeMessage, GITHUB_HEADERS, redirectMessage, type TriggerEffects } from '../rebuild/index.js';
import { compareCodeUnits } from '../util/compare.js';
import type { HttpRequest } from '../util/send-with-retry.js';
import type { RequestTier } from './schema.js';

/** The repository requests are proposed to, and how to reach its forge. */
export interface RequestForge {
  readonly provider: 'github' | 'gitlab';
  /** GitHub: the API base (https://api.github.com, https://HOST/api/v3). GitLab: the instance (https://gitlab.com). */
  readonly apiUrl: string;
  /** GitHub `owner/name`; GitLab the project path (groups included) or numeric id. */
  readonly repo: string;
  readonly token: string;
  readonly effects: TriggerEffects;
}

/** How a forge call ended: its value, or a refusal (`transient`: worth running again; else final). */
export type ForgeAnswer<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly transient: boolean; readonly status: number | null; readonly message: string };

/** A pull request (GitHub) or merge request (GitLab). */
export interface PullRequestRef {
  /** GitHub's number, GitLab's iid. */
  readonly number: number;
  readonly url: string | null;
  readonly state: 'open' | 'merged' | 'closed';
  /** The branch it proposes and the branch it targets. */
  readonly head: string;
  readonly base: string;
  /** The head commit, when the forge says. */
  readonly sha: string | null;
  /** Who opened it. */
  readonly author: string | null;
}

/** What a request's pull request is opened with. */
export interface PullRequestInput {
  readonly branch: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
  readonly tier: RequestTier;
}

/** The label every request's pull request carries, and its tier's. */
export const REQUEST_LABEL = 'image-request';
/** `tier:<name>`. */
export const tierLabel = (tier: string): string => `tier:${tier}`;
/** The name of the GitLab approval rule a request's merge request gets. */
export const approvalRuleName = (tier: string): string => `image-request tier ${tier}`;

const MAX_BYTES = 1024 * 1024;
const enc = encodeURIComponent;
const encodePath = (path: string) => path.split('/').map(enc).join('/');

function base(forge: RequestForge): string {
  const root = forge.apiUrl.replace(/\/+$/, '');
  return forge.provider === 'github'
    ? `${root}/repos/${encodePath(forge.repo)}`
    : `${root}/api/v4/projects/${enc(forge.repo)}`;
}

function apiRoot(forge: RequestForge): string {
  const root = forge.apiUrl.replace(/\/+$/, '');
  return forge.provider === 'github' ? root : `${root}/api/v4`;
}

function request(forge: RequestForge, method: 'GET' | 'POST', url: string, body?: unknown): HttpRequest {
  const headers: Record<string, string> =
    forge.provider === 'github' ? { ...GITHUB_HEADERS } : { accept: 'application/json', 'user-agent': 'image-factory' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { method, url, headers, body: body === undefined ? null : JSON.stringify(body) };
}

/** One exchange, its answer read through `schema` when its status is one of `ok` (404 → `absent` when given). */
async function call<S extends TSchema, A = never>(
  forge: RequestForge,
  sent: HttpRequest,
  ok: readonly number[],
  schema: S,
  absent?: { readonly status: number; readonly value: A },
): Promise<ForgeAnswer<Static<S> | A>> {
  const exchange = await forgeExchange({ ...sent, provider: forge.provider }, forge.token, forge.effects, MAX_BYTES);
  const what = `${sent.method} ${sent.url.replace(/\?.*$/, '')}`;
  if (exchange.kind !== 'answer') {
    return { ok: false, transient: true, status: null, message: `${what}: ${exchange.message}` };
  }
  const { status, text } = exchange;
  if (absent !== undefined && status === absent.status) return { ok: true, value: absent.value };
  if (!ok.includes(status)) {
    const message = status >= 300 && status < 400 ? redirectMessage(status, exchange.location) : forgeMessage(text);
    return { ok: false, transient: false, status, message: `${what}: HTTP ${status}: ${message}` };
  }
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    return { ok: false, transient: false, status, message: `${what}: HTTP ${status} with an answer that is not JSON` };
  }
  if (!Value.Check(schema, body)) {
    return {
      ok: false,
      transient: false,
      status,
      message: `${what}: HTTP ${status} with an answer of an unknown shape`,
    };
  }
  return { ok: true, value: body };
}

const GithubPull = Type.Object({
  number: Type.Integer({ minimum: 1 }),
  html_url: Type.Optional(Type.String()),
  state: Type.String(),
  merged_at: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  head: Type.Object({ ref: Type.String(), sha: Type.Optional(Type.String()) }),
  base: Type.Object({ ref: Type.String() }),
  user: Type.Optional(Type.Union([Type.Object({ login: Type.String() }), Type.Null()])),
});
const GitlabMergeRequest = Type.Object({
  iid: Type.Integer({ minimum: 1 }),
  web_url: Type.Optional(Type.String()),
  state: Type.String(),
  source_branch: Type.String(),
  target_branch: Type.String(),
  sha: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  author: Type.Optional(Type.Union([Type.Object({ username: Type.String() }), Type.Null()])),
});
const ANY = Type.Unknown();

function fromGithub(pull: Static<typeof GithubPull>): PullRequestRef {
  const merged = typeof pull.merged_at === 'string';
  return {
    number: pull.number,
    url: pull.html_url ?? null,
    state: merged ? 'merged' : pull.state === 'open' ? 'open' : 'closed',
    head: pull.head.ref,
    base: pull.base.ref,
    sha: pull.head.sha ?? null,
    author: pull.user?.login ?? null,
  };
}

function fromGitlab(mr: Static<typeof GitlabMergeRequest>): PullRequestRef {
  return {
    number: mr.iid,
    url: mr.web_url ?? null,
    state: mr.state === 'merged' ? 'merged' : mr.state === 'opened' ? 'open' : 'closed',
    head: mr.source_branch,
    base: mr.target_branch,
    sha: mr.sha ?? null,
    author: mr.author?.username ?? null,
  };
}

/** The slug of `organisation/team-slug` (GitHub's team_reviewers take the slug of a team of the repository's owner). */
const teamSlug = (team: string): string => team.slice(team.indexOf('/') + 1);

/**
 * Open the pull request of a request: GitHub `POST /repos/{o}/{r}/pulls`, then the tier's reviewers and team
 * reviewers (`POST …/pulls/{n}/requested_reviewers`) and the labels `image-request`, `tier:<name>` (`POST
 * …/issues/{n}/labels`); GitLab `POST /projects/{id}/merge_requests` with the labels, then the tier's approval rule
 * (`POST …/merge_requests/{iid}/approval_rules`, groups by their ids asked of GitLab).
 */
export async function openPullRequest(
  forge: RequestForge,
  input: PullRequestInput,
): Promise<ForgeAnswer<PullRequestRef>> {
  const labels = [REQUEST_LABEL, tierLabel(input.tier.name)];
  if (forge.provider === 'github') {
    const opened = await call(
      forge,
      request(forge, 'POST', `${base(forge)}/pulls`, {
        title: input.title,
        head: input.branch,
        base: input.base,
        body: input.body,
        maintainer_can_modify: false,
      }),
      [201],
      GithubPull,
    );
    if (!opened.ok) return opened;
    const pull = fromGithub(opened.value);
    const { users, teams } = input.tier.approvers.github;
    if (users.length > 0 || teams.length > 0) {
      const asked = await call(
        forge,
        request(forge, 'POST', `${base(forge)}/pulls/${pull.number}/requested_reviewers`, {
          reviewers: [...users],
          team_reviewers: teams.map(teamSlug),
        }),
        [201],
        ANY,
      );
      if (!asked.ok) return asked;
    }
    const labelled = await call(
      forge,
      request(forge, 'POST', `${base(forge)}/issues/${pull.number}/labels`, { labels }),
      [200],
      ANY,
    );
    if (!labelled.ok) return labelled;
    return { ok: true, value: pull };
  }
  const groupIds: number[] = [];
  for (const group of input.tier.approvers.gitlab.groups) {
    const found = await call(
      forge,
      request(forge, 'GET', `${apiRoot(forge)}/groups/${enc(group)}`),
      [200],
      Type.Object({ id: Type.Integer({ minimum: 1 }) }),
    );
    if (!found.ok) return found;
    groupIds.push(found.value.id);
  }
  const opened = await call(
    forge,
    request(forge, 'POST', `${base(forge)}/merge_requests`, {
      source_branch: input.branch,
      target_branch: input.base,
      title: input.title,
      description: input.body,
      labels: labels.join(','),
      remove_source_branch: true,
    }),
    [201],
    GitlabMergeRequest,
  );
  if (!opened.ok) return opened;
  const mr = fromGitlab(opened.value);
  const { users } = input.tier.approvers.gitlab;
  const rule = await call(
    forge,
    request(forge, 'POST', `${base(forge)}/merge_requests/${mr.number}/approval_rules`, {
      name: approvalRuleName(input.tier.name),
      approvals_required: input.tier.approvals,
      ...(users.length > 0 ? { usernames: [...users] } : {}),
      ...(groupIds.length > 0 ? { group_ids: groupIds } : {}),
    }),
    [201],
    ANY,
  );
  if (!rule.ok) return rule;
  return { ok: true, value: mr };
}

/**
 * The newest pull request proposing `branch` (any state), or null: GitHub `GET …/pulls?head={owner}:{branch}&state=all`,
 * GitLab `GET …/merge_requests?source_branch={branch}&state=all`.
 */
export async function findPullRequest(
  forge: RequestForge,
  branch: string,
): Promise<ForgeAnswer<PullRequestRef | null>> {
  if (forge.provider === 'github') {
    const owner = forge.repo.slice(0, forge.repo.indexOf('/'));
    const found = await call(
      forge,
      request(forge, 'GET', `${base(forge)}/pulls?head=${enc(`${owner}:${branch}`)}&state=all&per_page=100`),
      [200],
      Type.Array(GithubPull),
    );
    if (!found.ok) return found;
    const newest = [...found.value].sort((a, b) => b.number - a.number)[0];
    return { ok: true, value: newest === undefined ? null : fromGithub(newest) };
  }
  const found = await call(
    forge,
    request(forge, 'GET', `${base(forge)}/merge_requests?source_branch=${enc(branch)}&state=all&per_page=100`),
    [200],
    Type.Array(GitlabMergeRequest),
  );
  if (!found.ok) return found;
  const newest = [...found.value].sort((a, b) => b.iid - a.iid)[0];
  return { ok: true, value: newest === undefined ? null : fromGitlab(newest) };
}

/** Pull request (GitHub) or merge request iid (GitLab) `number`: `GET …/pulls/{n}`, `GET …/merge_requests/{iid}`. */
export async function getPullRequest(forge: RequestForge, number: number): Promise<ForgeAnswer<PullRequestRef>> {
  if (forge.provider === 'github') {
    const got = await call(forge, request(forge, 'GET', `${base(forge)}/pulls/${number}`), [200], GithubPull);
    return got.ok ? { ok: true, value: fromGithub(got.value) } : got;
  }
  const got = await call(
    forge,
    request(forge, 'GET', `${base(forge)}/merge_requests/${number}`),
    [200],
    GitlabMergeRequest,
  );
  return got.ok ? { ok: true, value: fromGitlab(got.value) } : got;
}

const GithubReview = Type.Object({
  user: Type.Union([Type.Object({ login: Type.String() }), Type.Null()]),
  state: Type.String(),
  commit_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
const GitlabApprovals = Type.Object({
  approved_by: Type.Array(Type.Object({ user: Type.Object({ id: Type.Integer(), username: Type.String() }) })),
});

/** Users who approved `number`, and for GitLab their ids: GitHub counts each reviewer's latest decisive review. */
async function approvalsGiven(
  forge: RequestForge,
  number: number,
): Promise<ForgeAnswer<readonly { readonly user: string; readonly id: number | null }[]>> {
  if (forge.provider === 'github') {
    // Only a review of the commit the pull request now proposes counts: an approval of an earlier commit approved
    // other content (GitHub's "dismiss stale approvals" does the same; the factory does not rely on it being on).
    const pull = await getPullRequest(forge, number);
    if (!pull.ok) return pull;
    const latest = new Map<string, string>();
    for (let page = 1; page <= 10; page++) {
      const got = await call(
        forge,
        request(forge, 'GET', `${base(forge)}/pulls/${number}/reviews?per_page=100&page=${page}`),
        [200],
        Type.Array(GithubReview),
      );
      if (!got.ok) return got;
      // Reviews come oldest first; a comment does not change a reviewer's decision, a later decision does.
      for (const review of got.value) {
        if (review.user === null) continue;
        if (review.state === 'APPROVED' || review.state === 'CHANGES_REQUESTED' || review.state === 'DISMISSED') {
          const current = pull.value.sha !== null && review.commit_id === pull.value.sha;
          latest.set(review.user.login, review.state === 'APPROVED' && !current ? 'STALE' : review.state);
        }
      }
      if (got.value.length < 100) break;
    }
    const users = [...latest].filter(([, state]) => state === 'APPROVED').map(([user]) => ({ user, id: null }));
    return { ok: true, value: users };
  }
  const got = await call(
    forge,
    request(forge, 'GET', `${base(forge)}/merge_requests/${number}/approvals`),
    [200],
    GitlabApprovals,
  );
  if (!got.ok) return got;
  return { ok: true, value: got.value.approved_by.map((a) => ({ user: a.user.username, id: a.user.id })) };
}

/** Is `user` an active member of GitHub team `organisation/slug`, or a member of GitLab group `path` (inherited too)? */
async function memberOf(
  forge: RequestForge,
  group: string,
  user: { readonly user: string; readonly id: number | null },
): Promise<ForgeAnswer<boolean>> {
  if (forge.provider === 'github') {
    const org = group.slice(0, group.indexOf('/'));
    const got = await call(
      forge,
      request(
        forge,
        'GET',
        `${apiRoot(forge)}/orgs/${enc(org)}/teams/${enc(teamSlug(group))}/memberships/${enc(user.user)}`,
      ),
      [200],
      Type.Object({ state: Type.String() }),
      { status: 404, value: null },
    );
    if (!got.ok) return got;
    return { ok: true, value: got.value !== null && got.value.state === 'active' };
  }
  if (user.id === null) return { ok: true, value: false };
  const got = await call(
    forge,
    request(forge, 'GET', `${apiRoot(forge)}/groups/${enc(group)}/members/all/${user.id}`),
    [200],
    Type.Object({ username: Type.String() }),
    { status: 404, value: null },
  );
  if (!got.ok) return got;
  return { ok: true, value: got.value !== null };
}

/**
 * The approvers of pull request `number` who count for `tier`: users who approved it (on GitHub their latest review,
 * of the commit the pull request now proposes; on GitLab the merge request's approvals, which the project's "remove
 * approvals when commits are added" keeps current) and are named in the tier's users or are members of one of its teams (GitHub) / groups (GitLab), asked of
 * the forge. Sorted, distinct.
 */
export async function approversOf(
  forge: RequestForge,
  number: number,
  tier: RequestTier,
): Promise<ForgeAnswer<readonly string[]>> {
  const given = await approvalsGiven(forge, number);
  if (!given.ok) return given;
  const users = forge.provider === 'github' ? tier.approvers.github.users : tier.approvers.gitlab.users;
  const groups = forge.provider === 'github' ? tier.approvers.github.teams : tier.approvers.gitlab.groups;
  const lower = new Set(users.map((u) => u.toLowerCase()));
  const counted = new Set<string>();
  for (const approval of given.value) {
    if (lower.has(approval.user.toLowerCase())) {
      counted.add(approval.user);
      continue;
    }
    for (const group of groups) {
      const member = await memberOf(forge, group, approval);
      if (!member.ok) return member;
      if (member.value) {
        counted.add(approval.user);
        break;
      }
    }
  }
  return { ok: true, value: [...counted].sort(compareCodeUnits) };
}

/** Comment on pull request `number`: GitHub `POST …/issues/{n}/comments`, GitLab `POST …/merge_requests/{iid}/notes`. */
export async function comment(forge: RequestForge, number: number, body: string): Promise<ForgeAnswer<null>> {
  const url =
    forge.provider === 'github'
      ? `${base(forge)}/issues/${number}/comments`
      : `${base(forge)}/merge_requests/${number}/notes`;
  const sent = await call(forge, request(forge, 'POST', url, { body }), [201], ANY);
  return sent.ok ? { ok: true, value: null } : sent;
}
