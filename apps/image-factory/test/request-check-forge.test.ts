/**
 * The forge calls request provision relies on (issue 23), against the GitHub and GitLab stubs that check each
 * request's documented shape: find the pull request of a request branch (GitHub's `head=owner:branch`, GitLab's
 * `source_branch`; none → null), read the approvers who count for a tier, comment with the pull string; every
 * refusal is an answer, never a throw, and a 5xx after the retries is transient.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { approversOf, comment, findPullRequest, openPullRequest, type RequestForge } from '../src/requests/index.js';
import type { RequestTier } from '../src/requests/schema.js';
import { createRemote, git } from './support/git-repos.js';
import { startGithubRequestStub, startGitlabRequestStub } from './support/request-forge-stubs.js';

const TOKEN = 'forge-token-for-the-calls-0042';
const effects = { fetch, sleep: async () => {}, now: () => Date.now() };
const tier: RequestTier = {
  name: 'production',
  approvers: {
    github: { users: ['carol'], teams: ['acme/managers'] },
    gitlab: { users: ['carol'], groups: ['acme/security'] },
  },
  approvals: 2,
  justification: { required: false, minLength: 1 },
  autoApprove: false,
};
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function repoWithBranch(branch: string): string {
  const bare = createRemote({ 'images.yaml': 'images: []\n' });
  git(bare, 'branch', branch, 'main');
  return bare;
}

describe('forge calls on GitHub', () => {
  it('finds the pull request of a branch, counts its approvers for the tier, comments on it', async () => {
    const branch = 'image-factory/request/req-0123456789ab';
    const bare = repoWithBranch(branch);
    const stub = await startGithubRequestStub({
      repo: 'acme/gitops',
      bare,
      token: TOKEN,
      collaborators: ['carol', 'erin'],
      teams: { 'acme/managers': ['erin'] },
    });
    closers.push(stub.close);
    const forge: RequestForge = { provider: 'github', apiUrl: stub.url, repo: 'acme/gitops', token: TOKEN, effects };
    expect(await findPullRequest(forge, branch)).toEqual({ ok: true, value: null });
    const opened = await openPullRequest(forge, { branch, base: 'main', title: 't', body: 'b', tier });
    expect(opened.ok).toBe(true);
    const found = await findPullRequest(forge, branch);
    expect(found).toMatchObject({ ok: true, value: { number: 1, state: 'open', head: branch, base: 'main' } });
    expect(stub.requests.at(-1)?.query).toEqual({ head: `acme:${branch}`, state: 'all', per_page: '100' });
    stub.review(1, 'erin', 'APPROVED');
    stub.review(1, 'carol', 'COMMENTED');
    expect(await approversOf(forge, 1, tier)).toEqual({ ok: true, value: ['erin'] });
    expect(await comment(forge, 1, 'Provisioned: pull cgr.dev/acme/python:latest-dev')).toEqual({
      ok: true,
      value: null,
    });
    expect(stub.pulls[0]?.comments).toEqual(['Provisioned: pull cgr.dev/acme/python:latest-dev']);
    const missing = await comment(forge, 9, 'x');
    expect(missing).toMatchObject({ ok: false, transient: false, status: 404 });
  });

  it('a forge that keeps failing is transient after the retries, and the token is never in a message', async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `upstream said ${TOKEN}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const forge: RequestForge = {
      provider: 'github',
      apiUrl: `http://127.0.0.1:${port}`,
      repo: 'acme/gitops',
      token: TOKEN,
      effects,
    };
    const answer = await findPullRequest(forge, 'image-factory/request/req-0123456789ab');
    expect(answer).toMatchObject({ ok: false, transient: true });
    expect(calls).toBe(4);
    expect(JSON.stringify(answer)).not.toContain(TOKEN);
  });
});

describe('forge calls on GitLab', () => {
  it('finds the merge request of a branch, counts approvers in the tier users or groups, adds a note', async () => {
    const branch = 'image-factory/request/req-0123456789ab';
    const bare = repoWithBranch(branch);
    const stub = await startGitlabRequestStub({
      project: 'acme/gitops',
      bare,
      token: TOKEN,
      users: { 'factory-bot': 1, carol: 2, sam: 3, mallory: 4 },
      groups: { 'acme/security': ['sam'] },
    });
    closers.push(stub.close);
    const forge: RequestForge = { provider: 'gitlab', apiUrl: stub.url, repo: 'acme/gitops', token: TOKEN, effects };
    expect(await findPullRequest(forge, branch)).toEqual({ ok: true, value: null });
    await openPullRequest(forge, { branch, base: 'main', title: 't', body: 'b', tier });
    expect(await findPullRequest(forge, branch)).toMatchObject({ ok: true, value: { number: 1, state: 'open' } });
    stub.approve(1, 'sam');
    stub.approve(1, 'mallory');
    expect(await approversOf(forge, 1, tier)).toEqual({ ok: true, value: ['sam'] });
    expect(await comment(forge, 1, 'Provisioned')).toEqual({ ok: true, value: null });
    expect(stub.pulls[0]?.comments).toEqual(['Provisioned']);
  });
});
