/**
 * `image-factory request add` and `request check` end to end (issue 23): a real GitOps remote, the real registry
 * for the catalogue HEAD, and stubs of GitHub and GitLab that check every request's documented shape. Each tier
 * goes add → check fails without its approvals → check passes with them; an auto-approve tier lands on the target
 * branch directly, also when several requests race for it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { cli } from './helpers.js';
import { createRemote, git, remoteFile, remoteFiles, remoteHead, tempDir } from './support/git-repos.js';
import { analyze, ENV } from './support/gitops-fixtures.js';
import { basicAuthEntry, dockerConfig, pushImage, startRegistry, type TestRegistry } from './support/registry.js';
import {
  type GithubRequestStub,
  type GitlabRequestStub,
  startGithubRequestStub,
  startGitlabRequestStub,
} from './support/request-forge-stubs.js';

const TOKEN = 'forge-token-never-printed-0123';
const NOW = new Date('2026-12-01T08:30:00Z');
let registry: TestRegistry;
let config: string;
let template: string;

const POLICY = `requests:
  environments: [dev, staging, production]
  teams: [data, web]
  tiers:
    - name: base-images
      when:
        kind: [base]
      approvers:
        github:
          teams: [acme/security]
        gitlab:
          groups: [acme/security]
      approvals: 1
      justification:
        required: true
        minLength: 20
    - name: production
      when:
        environment: [production]
      approvers:
        github:
          users: [carol, dave]
          teams: [acme/managers]
        gitlab:
          users: [carol, dave]
      approvals: 2
      justification:
        required: true
        minLength: 10
      sla: 2d
    - name: dev
      approvers: {}
      approvals: 0
      autoApprove: true
`;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  const api = await pushImage(registry, 'acme/api', '1.0');
  await pushImage(registry, 'base/node', '22', { layer: 'node22' });
  await pushImage(registry, 'base/node', '23', { layer: 'node23' });
  for (const repository of ['cg/python', 'cg/go', 'cg/ruby', 'cg/rust', 'cg/java', 'cg/php', 'cg/perl'])
    await pushImage(registry, repository, 'latest-dev', { layer: repository });
  template = createRemote({
    'images.yaml': `images:\n  - name: api\n    registry: ${registry.host}\n    repository: acme/api\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: apps/api/Dockerfile\n      workflow: build.yaml\n\n${POLICY}`,
    'apps/api/Dockerfile': `FROM ${registry.host}/base/node:22\n`,
  });
  const analysed = await analyze(template, 'api', '1.0', api.digest);
  expect(analysed.status, analysed.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

const stubs: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const stub of stubs.splice(0)) await stub.close();
});

/** A fresh copy of the template remote. */
function remote(): string {
  const bare = join(tempDir('if-request-'), 'gitops.git');
  git(tempDir(), 'clone', '--quiet', '--bare', template, bare);
  return bare;
}

async function github(bare: string): Promise<GithubRequestStub> {
  const stub = await startGithubRequestStub({
    repo: 'acme/gitops',
    bare,
    token: TOKEN,
    collaborators: ['carol', 'dave', 'erin', 'mallory', 'sam'],
    teams: { 'acme/managers': ['erin'], 'acme/security': ['sam'] },
  });
  stubs.push(stub);
  return stub;
}

async function gitlab(bare: string): Promise<GitlabRequestStub> {
  const stub = await startGitlabRequestStub({
    project: 'acme/gitops',
    bare,
    token: TOKEN,
    users: { 'factory-bot': 1, carol: 2, dave: 3, sam: 4, mallory: 5 },
    groups: { 'acme/security': ['sam'] },
  });
  stubs.push(stub);
  return stub;
}

/** `request …` against `bare` and a forge stub, the token in the environment only. */
function request(bare: string, forge: { provider: 'github' | 'gitlab'; url: string } | null, ...args: string[]) {
  const forgeArgs =
    forge === null
      ? []
      : forge.provider === 'github'
        ? ['--forge', 'github', '--forge-repo', 'acme/gitops', '--github-api-url', forge.url]
        : ['--forge', 'gitlab', '--forge-repo', 'acme/gitops', '--gitlab-url', forge.url];
  return cli(
    [
      'request',
      ...args,
      '--git-repo',
      bare,
      '--registry-config',
      config,
      '--insecure-registry',
      registry.host,
      ...forgeArgs,
    ],
    {
      env: { ...ENV, GITHUB_TOKEN: TOKEN, GITLAB_TOKEN: TOKEN, GITHUB_ACTOR: '', GITLAB_USER_LOGIN: '' },
      now: NOW,
    },
  );
}

const add = (
  bare: string,
  forge: { provider: 'github' | 'gitlab'; url: string } | null,
  reference: string,
  env: string,
  ...extra: string[]
) =>
  request(
    bare,
    forge,
    'add',
    reference,
    '--team',
    'data',
    '--environment',
    env,
    '--justification',
    'Nightly ETL jobs need this runtime for the new pipeline',
    '--requested-by',
    'alice',
    '--json',
    ...extra,
  );

function noSecretOut(...texts: string[]) {
  for (const text of texts) expect(text).not.toContain(TOKEN);
}

describe('request add → check on GitHub', () => {
  test('production tier: a pull request with the tier reviewers and labels; check needs two approvals that count', async () => {
    const bare = remote();
    const mainBefore = remoteHead(bare);
    const stub = await github(bare);
    const forge = { provider: 'github' as const, url: stub.url };
    const reference = `${registry.host}/cg/python:latest-dev`;
    const added = await add(bare, forge, reference, 'production');
    expect(added.status, added.stderr).toBe(0);
    noSecretOut(added.stdout, added.stderr);
    const json = JSON.parse(added.stdout);
    expect(Object.keys(json)).toEqual(['id', 'tier', 'status', 'pullRequest', 'reference', 'name']);
    expect(json).toMatchObject({ tier: 'production', status: 'pending', reference, name: 'python' });
    expect(json.id).toMatch(/^req-[0-9a-f]{12}$/);
    expect(json.pullRequest).toEqual({ number: 1, url: `${stub.url}/acme/gitops/pull/1` });

    // The target branch is untouched; the request is one commit on its own branch.
    expect(remoteHead(bare)).toBe(mainBefore);
    const branch = `image-factory/request/${json.id}`;
    const file = remoteFile(bare, `image-factory/requests/production/${json.id}.yaml`, branch);
    expect(parse(file ?? '')).toEqual({
      id: json.id,
      reference,
      name: 'python',
      team: 'data',
      environment: 'production',
      justification: 'Nightly ETL jobs need this runtime for the new pipeline',
      requestedBy: 'alice',
      tier: 'production',
      requestedAt: '2026-12-01T08:30:00Z',
      status: 'pending',
    });
    const images = parse(remoteFile(bare, 'images.yaml', branch) ?? '');
    expect(images.images).toContainEqual({
      name: 'python',
      registry: registry.host,
      repository: 'cg/python',
      allowTags: '^latest-dev$',
      imageSelectionStrategy: 'Digest',
      constraint: 'latest-dev',
      request: json.id,
    });
    expect(git(bare, 'rev-list', '--count', `${mainBefore}..refs/heads/${branch}`)).toBe('1');

    const pull = stub.pulls[0];
    expect(pull).toMatchObject({ head: branch, base: 'main', reviewers: ['carol', 'dave'], teams: ['managers'] });
    expect(pull?.labels).toEqual(['image-request', 'tier:production']);
    for (const r of stub.requests) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);

    // No approval, then one that counts, then one that does not (mallory is neither named nor in the team).
    const check = () => request(bare, forge, 'check', '--pull-request', '1');
    let checked = await check();
    expect(checked.status).toBe(1);
    expect(checked.stdout).toContain(
      'tier production needs 2 approval(s) from carol, dave, team acme/managers; none given',
    );
    stub.review(1, 'carol', 'APPROVED');
    stub.review(1, 'mallory', 'APPROVED');
    checked = await check();
    expect(checked.status).toBe(1);
    expect(checked.stdout).toContain('has 1 (carol)');
    // A member of acme/managers (membership asked of GitHub) is the second.
    stub.review(1, 'erin', 'APPROVED');
    checked = await check();
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain('every check passed');
    // A later "changes requested" withdraws carol's approval.
    stub.review(1, 'carol', 'CHANGES_REQUESTED');
    checked = await request(bare, forge, 'check', '--pull-request', '1', '--json');
    expect(checked.status).toBe(1);
    expect(JSON.parse(checked.stdout).requests[0].approvals).toEqual({ required: 2, counted: ['erin'] });
    noSecretOut(checked.stdout, checked.stderr);
  }, 60_000);

  test('a base image of a managed image is kind base: the security tier, approved by a member of acme/security', async () => {
    const bare = remote();
    const stub = await github(bare);
    const forge = { provider: 'github' as const, url: stub.url };
    const added = await add(bare, forge, `${registry.host}/base/node:23`, 'dev', '--name', 'node-23');
    expect(added.status, added.stderr).toBe(0);
    const json = JSON.parse(added.stdout);
    expect(json).toMatchObject({ tier: 'base-images', status: 'pending', name: 'node-23' });
    expect(stub.pulls[0]).toMatchObject({
      reviewers: [],
      teams: ['security'],
      labels: ['image-request', 'tier:base-images'],
    });
    const failed = await request(bare, forge, 'check', '--pull-request', '1');
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('tier base-images needs 1 approval(s) from team acme/security; none given');
    stub.review(1, 'sam', 'APPROVED');
    const passed = await request(bare, forge, 'check', '--pull-request', '1');
    expect(passed.status, passed.stdout).toBe(0);
  }, 60_000);

  test('check refuses a request whose tier the policy does not compute, or a pull request that rewrites the audit log', async () => {
    const bare = remote();
    const stub = await github(bare);
    const forge = { provider: 'github' as const, url: stub.url };
    // An auto-approved request puts two lines in the audit log on main.
    const auto = await add(bare, null, `${registry.host}/cg/go:latest-dev`, 'dev');
    expect(auto.status, auto.stderr).toBe(0);
    const added = await add(bare, forge, `${registry.host}/cg/ruby:latest-dev`, 'production');
    const { id } = JSON.parse(added.stdout);
    const branch = `image-factory/request/${id}`;
    // Someone moves the request to the auto-approve folder and drops an audit line, on the request's branch.
    const work = join(tempDir(), 'w');
    git(tempDir(), 'clone', '--quiet', '--branch', branch, bare, work);
    const text = remoteFile(bare, `image-factory/requests/production/${id}.yaml`, branch) ?? '';
    git(work, 'rm', '--quiet', `image-factory/requests/production/${id}.yaml`);
    const dev = join(work, 'image-factory/requests/dev');
    mkdirSync(dev, { recursive: true });
    writeFileSync(join(dev, `${id}.yaml`), text.replace('tier: production', 'tier: dev'));
    const audit = remoteFile(bare, 'image-factory/requests/audit.jsonl') ?? '';
    writeFileSync(join(work, 'image-factory/requests/audit.jsonl'), `${audit.split('\n')[0]}\n`);
    git(work, 'add', '-A');
    git(work, '-c', 'user.name=m', '-c', 'user.email=m@x', 'commit', '--quiet', '-m', 'weaker tier');
    git(work, 'push', '--quiet', 'origin', branch);
    const checked = await request(bare, forge, 'check', '--pull-request', '1');
    expect(checked.status).toBe(1);
    expect(checked.stdout).toContain(`tier dev, but the policy computes tier production (kind external)`);
    expect(checked.stdout).toContain('audit.jsonl: line 2 was changed or removed: the audit log only grows');
  }, 60_000);
});

describe('request check on a moving target, and forge refusals', () => {
  test('another request lands on main after the pull request opened: check compares with where the branch began', async () => {
    const bare = remote();
    const stub = await github(bare);
    const forge = { provider: 'github' as const, url: stub.url };
    const added = await add(bare, forge, `${registry.host}/cg/python:latest-dev`, 'production');
    expect(added.status, added.stderr).toBe(0);
    // An auto-approved request commits to main meanwhile: main's images.yaml and audit log move on.
    const auto = await add(bare, null, `${registry.host}/cg/go:latest-dev`, 'dev');
    expect(auto.status, auto.stderr).toBe(0);
    stub.review(1, 'carol', 'APPROVED');
    stub.review(1, 'dave', 'APPROVED');
    const checked = await request(bare, forge, 'check', '--pull-request', '1');
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    // The pull request never touched the audit log: main's two new lines are not a rewrite by it.
    expect(checked.stdout).toContain('2/2 approval(s) (carol, dave)');
  }, 60_000);

  test('an approval of an earlier commit does not count: a change pushed after it needs approving again', async () => {
    const bare = remote();
    const stub = await github(bare);
    const forge = { provider: 'github' as const, url: stub.url };
    const added = await add(bare, forge, `${registry.host}/cg/python:latest-dev`, 'production');
    const { id } = JSON.parse(added.stdout);
    const branch = `image-factory/request/${id}`;
    stub.review(1, 'carol', 'APPROVED');
    stub.review(1, 'dave', 'APPROVED');
    expect((await request(bare, forge, 'check', '--pull-request', '1')).status).toBe(0);
    // The author pushes another justification after the approvals.
    const work = join(tempDir(), 'w');
    git(tempDir(), 'clone', '--quiet', '--branch', branch, bare, work);
    const path = `image-factory/requests/production/${id}.yaml`;
    const text = remoteFile(bare, path, branch) ?? '';
    writeFileSync(join(work, path), `${text.replace('justification: Nightly', 'justification: Also nightly')}\n`);
    git(work, '-c', 'user.name=m', '-c', 'user.email=m@x', 'commit', '--quiet', '-am', 'edit');
    git(work, 'push', '--quiet', 'origin', branch);
    const stale = await request(bare, forge, 'check', '--pull-request', '1');
    expect(stale.status).toBe(1);
    expect(stale.stdout).toContain(
      'tier production needs 2 approval(s) from carol, dave, team acme/managers; none given',
    );
    stub.review(1, 'carol', 'APPROVED');
    stub.review(1, 'erin', 'APPROVED');
    expect((await request(bare, forge, 'check', '--pull-request', '1')).status).toBe(0);
  }, 60_000);

  test('two pending requests: once one is merged the other conflicts; refresh proposes it again on main', async () => {
    const bare = remote();
    const stub = await github(bare);
    const forge = { provider: 'github' as const, url: stub.url };
    const first = await add(bare, forge, `${registry.host}/cg/python:latest-dev`, 'production');
    const second = await add(bare, forge, `${registry.host}/cg/ruby:latest-dev`, 'production');
    expect(first.status, first.stderr).toBe(0);
    expect(second.status, second.stderr).toBe(0);
    const { id } = JSON.parse(second.stdout);
    stub.merge(1);
    // Both appended to images.yaml at the same place: the second no longer merges.
    expect(() => stub.merge(2)).toThrow();
    const refreshed = await request(bare, forge, 'refresh', '--pull-request', '2', '--json');
    expect(refreshed.status, refreshed.stderr).toBe(0);
    expect(JSON.parse(refreshed.stdout)).toMatchObject({ id, status: 'refreshed', pullRequest: { number: 2 } });
    const branch = `image-factory/request/${id}`;
    expect(git(bare, 'rev-parse', `refs/heads/${branch}^`)).toBe(remoteHead(bare));
    expect(parse(remoteFile(bare, `image-factory/requests/production/${id}.yaml`, branch) ?? '').id).toBe(id);
    const again = await request(bare, forge, 'refresh', '--pull-request', '2');
    expect(again.stdout).toBe(`${id}: pull request 2 is already on the target's head\n`);
    stub.review(2, 'carol', 'APPROVED');
    stub.review(2, 'dave', 'APPROVED');
    expect((await request(bare, forge, 'check', '--pull-request', '2')).status).toBe(0);
    stub.merge(2);
    const names = parse(remoteFile(bare, 'images.yaml') ?? '').images.map((i: { name: string }) => i.name);
    expect(names).toEqual(['api', 'python', 'ruby']);
    const notRequest = await request(bare, forge, 'refresh', '--pull-request', '1');
    expect(notRequest.status).toBe(1);
    expect(notRequest.stderr).toContain('pull request 1 is merged: only an open request is refreshed');
  }, 90_000);

  test('a pull request that adds no request file is refused as not a request', async () => {
    const bare = remote();
    const stub = await github(bare);
    const work = join(tempDir(), 'w');
    git(tempDir(), 'clone', '--quiet', bare, work);
    git(work, 'checkout', '--quiet', '-b', 'docs-only');
    writeFileSync(join(work, 'README.md'), 'hello\n');
    git(work, 'add', '-A');
    git(work, '-c', 'user.name=m', '-c', 'user.email=m@x', 'commit', '--quiet', '-m', 'docs');
    git(work, 'push', '--quiet', 'origin', 'docs-only');
    const { status, body } = await fetch(`${stub.url}/repos/acme/gitops/pulls`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ title: 'docs', head: 'docs-only', base: 'main' }),
    });
    await body?.cancel();
    expect(status).toBe(201);
    const checked = await request(bare, { provider: 'github', url: stub.url }, 'check', '--pull-request', '1');
    expect(checked.status).toBe(1);
    expect(checked.stdout).toContain(
      'no request file under image-factory/requests/ is added: not a request pull request',
    );
    const missing = await request(bare, { provider: 'github', url: stub.url }, 'check', '--pull-request', '7');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('HTTP 404: Not Found');
  }, 60_000);

  test("GitHub's 422 for a reviewer who is not a collaborator ends the run with its words, the branch kept", async () => {
    const bare = remote();
    const stub = await startGithubRequestStub({
      repo: 'acme/gitops',
      bare,
      token: TOKEN,
      collaborators: ['carol'],
      teams: { 'acme/managers': [] },
    });
    stubs.push(stub);
    const added = await add(
      bare,
      { provider: 'github', url: stub.url },
      `${registry.host}/cg/python:latest-dev`,
      'production',
    );
    expect(added.status).toBe(1);
    expect(added.stderr).toContain('the request is pushed to image-factory/request/req-');
    expect(added.stderr).toContain('HTTP 422: Reviews may only be requested from collaborators.');
    noSecretOut(added.stdout, added.stderr);
  }, 60_000);

  test('a wrong forge token is refused by the forge and never printed', async () => {
    const bare = remote();
    const stub = await github(bare);
    const result = await cli(
      [
        'request',
        'check',
        '--pull-request',
        '1',
        '--git-repo',
        bare,
        '--forge',
        'github',
        '--forge-repo',
        'acme/gitops',
        '--github-api-url',
        stub.url,
      ],
      { env: { ...ENV, GITHUB_TOKEN: 'wrong-token-also-secret-42' } },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('HTTP 401: Bad credentials');
    expect(result.stderr + result.stdout).not.toContain('wrong-token-also-secret-42');
  }, 60_000);
});

describe('request add → check on GitLab', () => {
  test('production tier: a merge request with the labels and the tier approval rule; check counts the approvals', async () => {
    const bare = remote();
    const stub = await gitlab(bare);
    const forge = { provider: 'gitlab' as const, url: stub.url };
    const added = await add(bare, forge, `${registry.host}/cg/rust:latest-dev`, 'production');
    expect(added.status, added.stderr).toBe(0);
    const json = JSON.parse(added.stdout);
    expect(json).toMatchObject({ tier: 'production', status: 'pending', pullRequest: { number: 1 } });
    expect(stub.pulls[0]?.labels).toEqual(['image-request', 'tier:production']);
    expect(stub.pulls[0]?.approvalRules).toEqual([
      { name: 'image-request tier production', approvals_required: 2, usernames: ['carol', 'dave'], group_ids: [] },
    ]);
    for (const r of stub.requests) expect(r.headers['private-token']).toBe(TOKEN);
    const check = () => request(bare, forge, 'check', '--pull-request', '1');
    expect((await check()).status).toBe(1);
    stub.approve(1, 'carol');
    stub.approve(1, 'mallory');
    const one = await check();
    expect(one.status).toBe(1);
    expect(one.stdout).toContain('has 1 (carol)');
    stub.approve(1, 'dave');
    const both = await check();
    expect(both.status, both.stdout + both.stderr).toBe(0);
    noSecretOut(added.stdout, added.stderr, both.stdout, both.stderr);
  }, 60_000);

  test("the requester's own approval never counts (GitLab lets an author approve)", async () => {
    const bare = remote();
    const stub = await gitlab(bare);
    const forge = { provider: 'gitlab' as const, url: stub.url };
    const added = await request(
      bare,
      forge,
      'add',
      `${registry.host}/cg/rust:latest-dev`,
      '--team',
      'data',
      '--environment',
      'production',
      '--justification',
      'a runtime for the new service',
      '--requested-by',
      'carol',
    );
    expect(added.status, added.stderr).toBe(0);
    stub.approve(1, 'carol');
    stub.approve(1, 'dave');
    const one = await request(bare, forge, 'check', '--pull-request', '1');
    expect(one.status).toBe(1);
    expect(one.stdout).toContain('has 1 (dave)');
  }, 60_000);

  test('base tier: the approval rule names the group by the id GitLab gives it; a group member approves', async () => {
    const bare = remote();
    const stub = await gitlab(bare);
    const forge = { provider: 'gitlab' as const, url: stub.url };
    const added = await add(bare, forge, `${registry.host}/base/node:23`, 'staging', '--name', 'node-23');
    expect(added.status, added.stderr).toBe(0);
    expect(stub.pulls[0]?.approvalRules).toEqual([
      { name: 'image-request tier base-images', approvals_required: 1, usernames: [], group_ids: [100] },
    ]);
    expect((await request(bare, forge, 'check', '--pull-request', '1')).status).toBe(1);
    stub.approve(1, 'sam');
    const passed = await request(bare, forge, 'check', '--pull-request', '1');
    expect(passed.status, passed.stdout).toBe(0);
  }, 60_000);
});

describe('request add, auto-approve and refusals', () => {
  test('an auto-approve tier commits straight to the target branch: request approved, entry, two audit lines', async () => {
    const bare = remote();
    const added = await add(bare, null, `${registry.host}/cg/java:latest-dev`, 'dev');
    expect(added.status, added.stderr).toBe(0);
    const json = JSON.parse(added.stdout);
    expect(json).toMatchObject({ tier: 'dev', status: 'approved', pullRequest: null, name: 'java' });
    const request = parse(remoteFile(bare, `image-factory/requests/dev/${json.id}.yaml`) ?? '');
    expect(request.status).toBe('approved');
    const lines = (remoteFile(bare, 'image-factory/requests/audit.jsonl') ?? '').split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.event, l.approver])).toEqual([
      ['requested', null],
      ['approved', ['auto']],
    ]);
    expect(Object.keys(lines[0])).toEqual([
      'timestamp',
      'event',
      'requestId',
      'requester',
      'approver',
      'image',
      'customName',
      'justification',
      'team',
      'environment',
      'approvalTier',
      'provisioningResult',
      'repositoryId',
    ]);
    expect(lines[1]).toMatchObject({
      requestId: json.id,
      requester: 'alice',
      approvalTier: 'dev',
      image: json.reference,
    });
  }, 60_000);

  test('concurrent auto-approved requests all land on the target branch, none lost', async () => {
    const bare = remote();
    const repos = ['php', 'perl', 'python', 'go'];
    const results = await Promise.all(repos.map((r) => add(bare, null, `${registry.host}/cg/${r}:latest-dev`, 'dev')));
    for (const r of results) expect(r.status, r.stderr).toBe(0);
    const names = parse(remoteFile(bare, 'images.yaml') ?? '').images.map((i: { name: string }) => i.name);
    expect([...names].sort()).toEqual(['api', 'go', 'perl', 'php', 'python']);
    expect(remoteFiles(bare, 'image-factory/requests/dev')).toHaveLength(4);
    const audit = (remoteFile(bare, 'image-factory/requests/audit.jsonl') ?? '').split('\n');
    expect(audit).toHaveLength(8);
  }, 90_000);

  test('not in the catalogue: exit 1, nothing written; already enrolled: exit 0 with the pull string', async () => {
    const bare = remote();
    const head = remoteHead(bare);
    const missing = await add(bare, null, `${registry.host}/cg/nothing:latest-dev`, 'dev');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`${registry.host}/cg/nothing:latest-dev not found in the catalogue`);
    const enrolled = await request(
      bare,
      null,
      'add',
      `${registry.host}/acme/api:1.0`,
      '--team',
      'data',
      '--environment',
      'dev',
      '--requested-by',
      'alice',
    );
    expect(enrolled.status, enrolled.stderr).toBe(0);
    expect(enrolled.stdout).toBe(`already provided as api: pull ${registry.host}/acme/api:1.0\n`);
    expect(remoteHead(bare)).toBe(head);
  }, 60_000);

  test('the policy refuses an unknown team or environment and a short justification, naming the flag', async () => {
    const bare = remote();
    const base = ['add', `${registry.host}/cg/python:latest-dev`, '--requested-by', 'alice'];
    const team = await request(bare, null, ...base, '--team', 'ops', '--environment', 'dev');
    expect(team.status).toBe(1);
    expect(team.stderr).toContain('--team "ops" is not one of requests.teams in images.yaml: data, web');
    const env = await request(bare, null, ...base, '--team', 'data', '--environment', 'qa');
    expect(env.status).toBe(1);
    expect(env.stderr).toContain('--environment "qa" is not one of requests.environments');
    const short = await request(
      bare,
      null,
      ...base,
      '--team',
      'data',
      '--environment',
      'production',
      '--justification',
      'need it',
    );
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('tier production requires a justification of at least 10 character(s)');
    const name = await request(bare, null, ...base, '--team', 'data', '--environment', 'dev', '--name', 'Bad_Name');
    expect(name.status).toBe(2);
    expect(name.stderr).toContain('--name "Bad_Name" must be a DNS-1123 label');
    const taken = await request(bare, null, ...base, '--team', 'data', '--environment', 'dev', '--name', 'api');
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain(
      `the name api is already enrolled for ${registry.host}/acme/api in images.yaml: give another with --name`,
    );
    // A pending tier without a forge token is a usage error before anything is pushed.
    const noForge = await request(
      bare,
      null,
      ...base,
      '--team',
      'data',
      '--environment',
      'production',
      '--justification',
      'the ETL pipeline',
    );
    expect(noForge.status).toBe(2);
    expect(noForge.stderr).toContain('tier production needs a pull request and no forge is named');
    expect(git(bare, 'for-each-ref', '--format=%(refname)', 'refs/heads/')).toBe('refs/heads/main');
  }, 60_000);

  test('--dry-run plans the request and writes, pushes and opens nothing', async () => {
    const bare = remote();
    const head = remoteHead(bare);
    const stub = await github(bare);
    const planned = await add(
      bare,
      { provider: 'github', url: stub.url },
      `${registry.host}/cg/python:latest-dev`,
      'production',
      '--dry-run',
    );
    expect(planned.status, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout)).toMatchObject({ tier: 'production', status: 'pending', pullRequest: null });
    expect(remoteHead(bare)).toBe(head);
    expect(stub.requests).toEqual([]);
  }, 60_000);
});
