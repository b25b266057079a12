/**
 * `request provision` with the forge (issue 23 items 4–5): a request merged through its pull request is recorded
 * `approved` with the approvers the forge reports (who counts for its tier), then provisioned; the pull request gets
 * a comment with the pull string after the commit is pushed (a failed comment is logged, not fatal); a pull request
 * closed without merging is recorded `rejected` once, from the request file its branch proposes. GitHub is the
 * stateful stub of request-forge-stubs.ts over the real bare repository (its merge button makes a real merge).
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../src/log/logger.js';
import { parseAuditLog } from '../src/requests/audit.js';
import { openPullRequest, type RequestForge } from '../src/requests/forge.js';
import { requestId } from '../src/requests/id.js';
import { type ProvisionJobOptions, runProvisionJob } from '../src/requests/provision-job.js';
import { renderRequestFile } from '../src/requests/request-file.js';
import {
  AUDIT_FILE,
  type AuditLine,
  type RequestFile,
  type RequestTier,
  requestBranch,
  requestFilePath,
} from '../src/requests/schema.js';
import { commitFiles, createRemote, remoteHead } from './support/git-repos.js';
import { ENV } from './support/gitops-fixtures.js';
import {
  type GithubRequestStub,
  type GitlabRequestStub,
  startGithubRequestStub,
  startGitlabRequestStub,
} from './support/request-forge-stubs.js';

const GH_TOKEN = 'ghp_forgeTokenNeverPrinted0123456789';
const NOW = new Date('2026-12-04T10:00:00Z');
let github: GithubRequestStub | undefined;
let gitlab: GitlabRequestStub | undefined;

afterEach(async () => {
  await github?.close();
  await gitlab?.close();
  github = undefined;
  gitlab = undefined;
});

const IMAGES = `requests:
  environments: [dev, production]
  teams: [data]
  tiers:
    - name: production
      when:
        environment: [production]
      approvers:
        github:
          users: [alice, carol]
          teams: [acme/platform]
        gitlab:
          users: [alice]
      approvals: 1
    - name: dev
      approvers: {}
      approvals: 0
      autoApprove: true
  provision:
    provider: none
images: []
`;

const PRODUCTION: RequestTier = {
  name: 'production',
  approvers: {
    github: { users: ['alice', 'carol'], teams: ['acme/platform'] },
    gitlab: { users: ['alice'], groups: [] },
  },
  approvals: 1,
  justification: { required: false, minLength: 1 },
  autoApprove: false,
};

function pending(name: string): RequestFile {
  const reference = `cgr.dev/acme/${name}:latest`;
  const requestedAt = '2026-12-01T09:00:00Z';
  return {
    id: requestId(reference, 'data', 'production', requestedAt),
    reference,
    name,
    team: 'data',
    environment: 'production',
    justification: `${name} for the ETL jobs`,
    requestedBy: 'bob',
    tier: 'production',
    requestedAt,
    status: 'pending',
  };
}

function requestedLine(file: RequestFile): AuditLine {
  return {
    timestamp: file.requestedAt,
    event: 'requested',
    requestId: file.id,
    requester: file.requestedBy,
    approver: null,
    image: file.reference,
    customName: file.name,
    justification: file.justification,
    team: file.team,
    environment: file.environment,
    approvalTier: file.tier,
    provisioningResult: null,
    repositoryId: null,
  };
}

const auditOn = (remote: string) =>
  execFileSync('git', ['show', `refs/heads/main:${AUDIT_FILE}`], { cwd: remote, encoding: 'utf8' });

/** A remote with the policy, and `request` proposed on its branch with a pull request, as request add leaves it. */
async function proposed(
  files: readonly RequestFile[],
): Promise<{ remote: string; forge: RequestForge; stub: GithubRequestStub; numbers: number[] }> {
  const remote = createRemote({ 'images.yaml': IMAGES, [AUDIT_FILE]: '' });
  const stub = await startGithubRequestStub({
    repo: 'acme/gitops',
    bare: remote,
    token: GH_TOKEN,
    collaborators: ['alice', 'carol', 'dave'],
    teams: { 'acme/platform': ['erin'] },
  });
  github = stub;
  const forge = forgeOf('github', stub.url);
  return { remote, forge, stub, numbers: await propose(remote, forge, files) };
}

function forgeOf(provider: 'github' | 'gitlab', url: string): RequestForge {
  return {
    provider,
    apiUrl: url,
    repo: 'acme/gitops',
    token: GH_TOKEN,
    effects: { fetch: (i, init) => fetch(i, init), sleep: async () => undefined, now: () => Date.now() },
  };
}

/** Each request committed on its branch, and its pull request opened, as request add does. */
async function propose(remote: string, forge: RequestForge, files: readonly RequestFile[]): Promise<number[]> {
  const numbers: number[] = [];
  for (const file of files) {
    execFileSync('git', ['branch', requestBranch(file.id), 'main'], { cwd: remote });
    commitFiles(
      remote,
      // As request add proposes it: the request file (and the images.yaml entry); the log is not touched on the
      // branch (every pull request appending to it would conflict with the last one merged).
      { [requestFilePath(file.tier, file.id)]: renderRequestFile(file) },
      `image-factory: request ${file.name}`,
      requestBranch(file.id),
    );
    const opened = await openPullRequest(forge, {
      branch: requestBranch(file.id),
      base: 'main',
      title: `Request ${file.name}`,
      body: file.justification,
      tier: PRODUCTION,
    });
    if (!opened.ok) throw new Error(opened.message);
    numbers.push(opened.value.number);
  }
  return numbers;
}

function options(remote: string, forge: RequestForge | null): ProvisionJobOptions {
  return {
    job: {
      gitRepo: remote,
      gitBranch: 'main',
      imageFactoryDir: 'image-factory',
      images: 'images.yaml',
      dryRun: false,
      retry: { deadlineMs: 60_000, backoffMs: 10 },
      gitTimeoutMs: 60_000,
      credentials: null,
      author: { name: 'Factory Bot', email: 'bot@example.com' },
      forges: { github: 'https://github.com', gitlab: 'https://gitlab.com' },
      env: ENV,
      cwd: process.cwd(),
      log: createLogger('text', 'requests', () => undefined),
    },
    now: () => NOW,
    forge,
    chainguard: null,
  };
}

describe('approved through the pull request', () => {
  test('merged after a review by a tier approver: requested (at its time), approved with the approvers who count, provisioned, commented after the push', async () => {
    const python = pending('python');
    const { remote, forge, stub, numbers } = await proposed([python]);
    const [number] = numbers as [number];
    stub.review(number, 'dave', 'APPROVED'); // a collaborator, not an approver of the tier: does not count
    stub.review(number, 'erin', 'APPROVED'); // in acme/platform: counts
    stub.merge(number);
    // The head the comment is sent on: the comment must follow the pushed commit.
    let headAtComment = '';
    const watched: RequestForge = {
      ...forge,
      effects: {
        ...forge.effects,
        fetch: (input, init) => {
          if (init?.method === 'POST' && String(input).endsWith(`/issues/${number}/comments`))
            headAtComment = remoteHead(remote);
          return fetch(input, init);
        },
      },
    };
    const result = await runProvisionJob(options(remote, watched));
    expect(result.status).toBe('pushed');
    const lines = parseAuditLog(auditOn(remote), AUDIT_FILE);
    expect(lines.map((l) => [l.event, l.approver])).toEqual([
      ['requested', null],
      ['approved', ['erin']],
      ['provisioned', ['erin']],
    ]);
    expect(lines[1]).toEqual({
      ...requestedLine(python),
      timestamp: '2026-12-04T10:00:00Z',
      event: 'approved',
      approver: ['erin'],
    });
    expect(stub.pulls[0]?.comments).toEqual([
      `image-factory: request ${python.id} is provisioned (python in images.yaml). Pull it with:\n\n\`\`\`\ndocker pull cgr.dev/acme/python:latest\n\`\`\`\n`,
    ]);
    expect(headAtComment).toBe(result.commit);
    expect(result.entries[0]).toMatchObject({ approvers: ['erin'], pullRequest: number, comment: 'posted' });
  });

  test('a comment the forge refuses is logged, not fatal: the result is committed all the same', async () => {
    const python = pending('python');
    const { remote, forge, stub, numbers } = await proposed([python]);
    stub.review(numbers[0] ?? 0, 'alice', 'APPROVED');
    stub.merge(numbers[0] ?? 0);
    const refusing: RequestForge = {
      ...forge,
      effects: {
        ...forge.effects,
        fetch: (input, init) =>
          String(input).endsWith('/comments')
            ? Promise.resolve(new Response('{"message":"Resource not accessible by integration"}', { status: 403 }))
            : fetch(input, init),
      },
    };
    const result = await runProvisionJob(options(remote, refusing));
    expect(result.status).toBe('pushed');
    expect(result.entries[0]).toMatchObject({ outcome: 'provisioned', comment: 'failed' });
    expect(parseAuditLog(auditOn(remote), AUDIT_FILE).at(-1)?.event).toBe('provisioned');
  });

  test('without a forge the approvers of a merged request cannot be read: nothing recorded for it', async () => {
    const python = pending('python');
    const { remote, stub, numbers } = await proposed([python]);
    stub.review(numbers[0] ?? 0, 'alice', 'APPROVED');
    stub.merge(numbers[0] ?? 0);
    const head = remoteHead(remote);
    const result = await runProvisionJob(options(remote, null));
    expect(result.entries[0]).toMatchObject({ outcome: 'deferred', transient: false });
    expect(result.entries[0]?.message).toContain('cannot read who approved');
    expect(remoteHead(remote)).toBe(head);
  });
});

describe('rejected', () => {
  test('a pull request closed without merging is recorded requested and rejected once, from the file its branch proposes', async () => {
    const python = pending('python');
    const node = pending('node');
    const { remote, forge, stub, numbers } = await proposed([python, node]);
    const [first] = stub.pulls;
    if (first === undefined) throw new Error('no pull request');
    first.state = 'closed'; // python's pull request closed by a reviewer; node's stays open
    const result = await runProvisionJob(options(remote, forge));
    expect(result.rejected).toEqual([{ id: python.id, reference: python.reference, name: 'python' }]);
    const lines = parseAuditLog(auditOn(remote), AUDIT_FILE);
    expect(lines).toEqual([
      requestedLine(python),
      { ...requestedLine(python), timestamp: '2026-12-04T10:00:00Z', event: 'rejected' },
    ]);
    const head = remoteHead(remote);
    const again = await runProvisionJob(options(remote, forge));
    expect(again.rejected).toEqual([]);
    expect(remoteHead(remote)).toBe(head);
    expect(numbers).toHaveLength(2);
  });
});

describe('GitLab', () => {
  test('a merge request approved by a tier approver and merged is approved and provisioned, with a note; one closed is rejected', async () => {
    const remote = createRemote({ 'images.yaml': IMAGES, [AUDIT_FILE]: '' });
    const stub = await startGitlabRequestStub({
      project: 'acme/gitops',
      bare: remote,
      token: GH_TOKEN,
      users: { alice: 11, dave: 12, 'factory-bot': 10 },
      groups: {},
    });
    gitlab = stub;
    const forge = forgeOf('gitlab', stub.url);
    const python = pending('python');
    const node = pending('node');
    const [mr, other] = (await propose(remote, forge, [python, node])) as [number, number];
    stub.approve(mr, 'dave');
    stub.approve(mr, 'alice');
    stub.merge(mr);
    const closed = stub.pulls.find((p) => p.number === other);
    if (closed === undefined) throw new Error('no merge request');
    closed.state = 'closed';
    const result = await runProvisionJob(options(remote, forge));
    expect(result.entries).toMatchObject([
      { id: python.id, outcome: 'provisioned', approvers: ['alice'], comment: 'posted' },
    ]);
    expect(result.rejected.map((r) => r.id)).toEqual([node.id]);
    expect(parseAuditLog(auditOn(remote), AUDIT_FILE).map((l) => [l.requestId, l.event, l.approver])).toEqual([
      [python.id, 'requested', null],
      [python.id, 'approved', ['alice']],
      [python.id, 'provisioned', ['alice']],
      [node.id, 'requested', null],
      [node.id, 'rejected', null],
    ]);
    expect(stub.pulls.find((p) => p.number === mr)?.comments[0]).toContain('docker pull cgr.dev/acme/python:latest');
  });
});
