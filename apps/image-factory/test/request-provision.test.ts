/**
 * `request provision` end to end on a real GitOps remote (issue 23 items 4–5): every request file on the target
 * branch with status pending or approved and no provisioning yet is provisioned by the policy's provider — none
 * (enrolment only: the pull string is the reference) or chainguard (the registry API stub) — and the result (status,
 * pull string, repository id, time) is written to the request file with a `provisioned` or `failed` line in the
 * append-only audit log, in one commit; a second run provisions nothing. Transient failures record nothing; the
 * entitlement limit is a failure recorded; the Chainguard token is never printed nor committed.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../src/log/logger.js';
import { appendAudit, parseAuditLog } from '../src/requests/audit.js';
import type { ChainguardEffects } from '../src/requests/chainguard.js';
import { requestId } from '../src/requests/id.js';
import { type ProvisionJobOptions, runProvisionJob } from '../src/requests/provision-job.js';
import { parseRequestFile, renderRequestFile } from '../src/requests/request-file.js';
import { AUDIT_FILE, type AuditLine, type RequestFile, requestFilePath } from '../src/requests/schema.js';
import { cli } from './helpers.js';
import { type ChainguardStub, grpcError, startChainguardStub } from './support/chainguard-stub.js';
import { commitFiles, createRemote, remoteFile, remoteHead, remoteSubjects, tempDir } from './support/git-repos.js';
import { ENV } from './support/gitops-fixtures.js';

const TOKEN = 'cg-Token-never-printed-0123456789';
const ORG = 'a'.repeat(40);
const NOW = new Date('2026-12-04T10:00:00Z');
let stub: ChainguardStub | undefined;

afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

/** images.yaml with the requests policy: dev auto-approves, production needs alice; the provider as given. */
function imagesYaml(provision: string, entries: readonly { name: string; repository: string; id: string }[]): string {
  return `requests:
  environments: [dev, production]
  teams: [data, web]
  tiers:
    - name: dev
      when:
        environment: [dev]
      approvers: {}
      approvals: 0
      autoApprove: true
    - name: production
      approvers:
        github:
          users: [alice]
      approvals: 1
  provision:
${provision}
images:
${entries.map((e) => `  - name: ${e.name}\n    registry: cgr.dev\n    repository: ${e.repository}\n    allowTags: ^latest$\n    request: ${e.id}\n`).join('')}`;
}

const NONE = '    provider: none';
const chainguard = (api = 'https://console-api.enforce.dev') =>
  `    provider: chainguard\n    chainguard:\n      api: ${api}\n      parent: ${ORG}`;

/** A request as `request add` writes it, auto-approved in the dev tier. */
function request(name: string, repository: string, overrides: Partial<RequestFile> = {}): RequestFile {
  const reference = `cgr.dev/${repository}:latest`;
  const requestedAt = '2026-12-01T09:00:00Z';
  return {
    id: requestId(reference, 'data', 'dev', requestedAt),
    reference,
    name,
    team: 'data',
    environment: 'dev',
    justification: `we need ${name} for the pipeline`,
    requestedBy: 'bob',
    tier: 'dev',
    requestedAt,
    status: 'approved',
    ...overrides,
  };
}

/** The `requested` and `approved` lines `request add` writes for an auto-approved request. */
function addedLines(file: RequestFile): AuditLine[] {
  const base = {
    requestId: file.id,
    requester: file.requestedBy,
    image: file.reference,
    customName: file.name,
    justification: file.justification,
    team: file.team,
    environment: file.environment,
    approvalTier: file.tier,
    provisioningResult: null,
    repositoryId: null,
  };
  return [
    { timestamp: file.requestedAt, event: 'requested', approver: null, ...base },
    { timestamp: file.requestedAt, event: 'approved', approver: ['auto'], ...base },
  ];
}

/** A GitOps remote holding images.yaml, the request files and their audit lines. */
function world(provision: string, requests: readonly RequestFile[]): { remote: string; audit: string } {
  const audit = appendAudit('', requests.flatMap(addedLines));
  const files: Record<string, string> = {
    'images.yaml': imagesYaml(
      provision,
      requests.map((r) => ({
        name: r.name,
        repository: r.reference.slice('cgr.dev/'.length, -':latest'.length),
        id: r.id,
      })),
    ),
    [AUDIT_FILE]: audit,
  };
  for (const r of requests) files[requestFilePath(r.tier, r.id)] = renderRequestFile(r);
  return { remote: createRemote(files), audit };
}

function effects(sleeps: number[]): ChainguardEffects {
  return { fetch: (input, init) => fetch(input, init), sleep: async (ms) => void sleeps.push(ms) };
}

/** Job options against `remote`, logs collected. */
function jobOptions(
  remote: string,
  extra: Partial<ProvisionJobOptions> = {},
  sleeps: number[] = [],
): ProvisionJobOptions {
  const logs: string[] = [];
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
      log: createLogger('text', 'requests', (line) => logs.push(line)),
    },
    now: () => NOW,
    forge: null,
    chainguard: stub === undefined ? null : { token: TOKEN, effects: effects(sleeps) },
    ...(stub === undefined ? {} : { chainguardApi: stub.url }),
    ...extra,
  };
}

const fileOn = (remote: string, r: RequestFile) => {
  const text = remoteFile(remote, requestFilePath(r.tier, r.id));
  if (text === null) throw new Error(`no ${r.id}`);
  return parseRequestFile(text, 'remote');
};
/** The audit log at the branch tip, byte for byte (remoteFile trims the last newline). */
const auditOn = (remote: string) =>
  execFileSync('git', ['show', `refs/heads/main:${AUDIT_FILE}`], { cwd: remote, encoding: 'utf8' });

describe('provider none: enrolment only', () => {
  test('an auto-approved request is provisioned: the pull string is its reference, one commit, one provisioned line with every field', async () => {
    const python = request('python', 'acme/python');
    const { remote, audit } = world(NONE, [python]);
    const result = await runProvisionJob(jobOptions(remote));
    expect(result.status).toBe('pushed');
    expect(fileOn(remote, python)).toEqual({
      ...python,
      status: 'provisioned',
      provisioning: {
        provider: 'none',
        status: 'provisioned',
        pullString: 'cgr.dev/acme/python:latest',
        repositoryId: null,
        at: '2026-12-04T10:00:00Z',
        message: null,
      },
    });
    const after = auditOn(remote);
    expect(after.startsWith(audit)).toBe(true);
    expect(after.slice(audit.length)).toBe(
      `${JSON.stringify({
        timestamp: '2026-12-04T10:00:00Z',
        event: 'provisioned',
        requestId: python.id,
        requester: 'bob',
        approver: ['auto'],
        image: 'cgr.dev/acme/python:latest',
        customName: 'python',
        justification: 'we need python for the pipeline',
        team: 'data',
        environment: 'dev',
        approvalTier: 'dev',
        provisioningResult: 'provisioned',
        repositoryId: null,
      })}\n`,
    );
    expect(remoteSubjects(remote)).toEqual(['image-factory: provision 1 image request(s) (python)', 'seed']);
    expect(result.entries).toMatchObject([{ id: python.id, outcome: 'provisioned', pullString: python.reference }]);
  });

  test('a second run provisions nothing and commits nothing', async () => {
    const python = request('python', 'acme/python');
    const { remote } = world(NONE, [python]);
    await runProvisionJob(jobOptions(remote));
    const head = remoteHead(remote);
    const again = await runProvisionJob(jobOptions(remote));
    expect(again).toMatchObject({ status: 'unchanged', entries: [] });
    expect(remoteHead(remote)).toBe(head);
  });

  test('requests already provisioned, failed or rejected are left alone; only due ones are recorded', async () => {
    const due = request('python', 'acme/python');
    const done = request('node', 'acme/node', {
      status: 'provisioned',
      provisioning: {
        provider: 'none',
        status: 'provisioned',
        pullString: 'cgr.dev/acme/node:latest',
        repositoryId: null,
        at: '2026-12-02T00:00:00Z',
        message: null,
      },
    });
    const rejected = request('go', 'acme/go', { status: 'rejected' });
    const { remote } = world(NONE, [due, done, rejected]);
    const result = await runProvisionJob(jobOptions(remote));
    expect(result.entries.map((e) => e.id)).toEqual([due.id]);
    expect(fileOn(remote, done)).toEqual(done);
    expect(fileOn(remote, rejected)).toEqual(rejected);
    expect(parseAuditLog(auditOn(remote), AUDIT_FILE).filter((l) => l.event === 'provisioned')).toHaveLength(1);
  });

  test('a dry run asks no provider and writes nothing', async () => {
    const python = request('python', 'acme/python');
    const { remote } = world(NONE, [python]);
    const head = remoteHead(remote);
    const options = jobOptions(remote);
    const result = await runProvisionJob({ ...options, job: { ...options.job, dryRun: true } });
    expect(result.status).toBe('dry-run');
    expect(remoteHead(remote)).toBe(head);
  });
});

describe('provider chainguard', () => {
  test('a new repository is created and its id recorded in the request file and the audit line', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(), [python]);
    const result = await runProvisionJob(jobOptions(remote));
    const id = stub.repos[0]?.id;
    expect(stub.repos.map((r) => r.name)).toEqual(['python']);
    expect(fileOn(remote, python)).toMatchObject({
      status: 'provisioned',
      provisioning: { provider: 'chainguard', status: 'provisioned', pullString: python.reference, repositoryId: id },
    });
    const lines = parseAuditLog(auditOn(remote), AUDIT_FILE);
    expect(lines.at(-1)).toMatchObject({ event: 'provisioned', provisioningResult: 'provisioned', repositoryId: id });
    expect(result.entries[0]).toMatchObject({ outcome: 'provisioned', repositoryId: id });
  });

  test('a repository the organisation has already is already-provided, and nothing is created', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG], repos: [{ parent: ORG, name: 'python' }] });
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(), [python]);
    await runProvisionJob(jobOptions(remote));
    expect(stub.requests.map((r) => r.method)).toEqual(['GET']);
    expect(fileOn(remote, python)).toMatchObject({
      status: 'provisioned',
      provisioning: { status: 'already-provided', repositoryId: stub.repos[0]?.id },
    });
    expect(parseAuditLog(auditOn(remote), AUDIT_FILE).at(-1)).toMatchObject({
      event: 'provisioned',
      provisioningResult: 'already-provided',
    });
  });

  test("the entitlement limit is a failure recorded: status failed, the provider's answer in the file and the failed line", async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG], repos: [{ parent: ORG, name: 'go' }], limit: 1 });
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(), [python]);
    const result = await runProvisionJob(jobOptions(remote));
    const file = fileOn(remote, python);
    expect(file.status).toBe('failed');
    expect(file.provisioning?.status).toBe('failed');
    expect(file.provisioning?.message).toMatch(/^the organisation's entitlement limit is reached/);
    const last = parseAuditLog(auditOn(remote), AUDIT_FILE).at(-1);
    expect(last?.event).toBe('failed');
    expect(last?.provisioningResult).toMatch(/^failed: the organisation's entitlement limit is reached/);
    expect(result.entries[0]?.outcome).toBe('failed');
  });

  test('a transient failure records nothing for that request (it stays due), the others are recorded', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    for (let i = 0; i < 4; i++) stub.answers.push(grpcError('UNAVAILABLE', 'maintenance'));
    const node = request('node', 'acme/node');
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(), [node, python]);
    const first = [node, python].sort((a, b) =>
      requestFilePath(a.tier, a.id) < requestFilePath(b.tier, b.id) ? -1 : 1,
    );
    const sleeps: number[] = [];
    const result = await runProvisionJob(jobOptions(remote, {}, sleeps));
    expect(sleeps).toEqual([1000, 2000, 4000]);
    const [late, done] = first as [RequestFile, RequestFile];
    expect(fileOn(remote, late)).toEqual(late);
    expect(fileOn(remote, done).status).toBe('provisioned');
    expect(result.entries.find((e) => e.id === late.id)).toMatchObject({ outcome: 'deferred', transient: true });
    // Run again once the API is back: the deferred one is provisioned, the other untouched.
    await runProvisionJob(jobOptions(remote));
    expect(fileOn(remote, late).status).toBe('provisioned');
    expect(parseAuditLog(auditOn(remote), AUDIT_FILE).filter((l) => l.event === 'provisioned')).toHaveLength(2);
  });

  test('another job pushing first: planned again on the new head, recorded once, the other commit kept', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(), [python]);
    // While the provider is asked, another job pushes to the branch.
    stub.answers.push(() => {
      commitFiles(remote, { 'image-factory/state/other.txt': 'another job\n' }, 'another job');
      return { status: 200, body: { items: [] } };
    });
    const result = await runProvisionJob(jobOptions(remote));
    expect(result.attempts).toBe(2);
    expect(remoteSubjects(remote)).toEqual([
      'image-factory: provision 1 image request(s) (python)',
      'another job',
      'seed',
    ]);
    expect(parseAuditLog(auditOn(remote), AUDIT_FILE).filter((l) => l.event === 'provisioned')).toHaveLength(1);
    expect(stub.repos).toHaveLength(1);
  });
});

describe('the command', () => {
  /** `image-factory request provision` with these flags, in-process, with the job's environment and clock. */
  const provision = (args: string[], env: Record<string, string> = {}) =>
    cli(['request', 'provision', ...args], { env: { ...ENV, ...env }, now: NOW });

  test('--json: the documented shape; the token is read from $CHAINGUARD_TOKEN and never printed nor committed', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(stub.url.replace('http://', 'https://')), [python]);
    const out = await provision(['--git-repo', remote, '--chainguard-api', stub.url, '--json'], {
      CHAINGUARD_TOKEN: TOKEN,
    });
    expect(out.stderr).not.toContain(TOKEN);
    expect(out.status).toBe(0);
    const json = JSON.parse(out.stdout) as { status: string; requests: unknown[] };
    expect(json).toEqual({
      status: 'pushed',
      commit: remoteHead(remote),
      attempts: 1,
      requests: [
        {
          id: python.id,
          file: requestFilePath('dev', python.id),
          reference: python.reference,
          name: 'python',
          tier: 'dev',
          outcome: 'provisioned',
          transient: false,
          pullString: python.reference,
          repositoryId: stub.repos[0]?.id,
          message: null,
          approvers: ['auto'],
          pullRequest: null,
          comment: 'none',
        },
      ],
      rejected: [],
      rejectionsUnread: null,
    });
    expect(out.stdout).not.toContain(TOKEN);
    expect(auditOn(remote)).not.toContain(TOKEN);
    expect(stub.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  test('the entitlement limit exits 1; a refused token exits 1 and records nothing', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG], limit: 0 });
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(), [python]);
    const refused = await provision(['--git-repo', remote, '--chainguard-api', stub.url], {
      CHAINGUARD_TOKEN: 'cg-another-Token-42',
    });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/not provisioned: .*HTTP 401/);
    expect(fileOn(remote, python)).toEqual(python);
    const limited = await provision(['--git-repo', remote, '--chainguard-api', stub.url], { CHAINGUARD_TOKEN: TOKEN });
    expect(limited.status).toBe(1);
    expect(fileOn(remote, python).status).toBe('failed');
  });

  test('--token-file (a mounted Secret) holds the token; an unreadable one is a usage error (exit 2)', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(), [python]);
    const dir = tempDir('if-secret-');
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const missing = await provision([
      '--git-repo',
      remote,
      '--chainguard-api',
      stub.url,
      '--token-file',
      join(dir, 'nope'),
    ]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read token file');
    const out = await provision([
      '--git-repo',
      remote,
      '--chainguard-api',
      stub.url,
      '--token-file',
      join(dir, 'token'),
    ]);
    expect(out.status, out.stderr).toBe(0);
    expect(fileOn(remote, python).provisioning?.repositoryId).toBe(stub.repos[0]?.id);
    expect(out.stdout + out.stderr).not.toContain(TOKEN);
  });

  test('a chainguard policy without a token defers every request: exit 1, nothing recorded', async () => {
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(), [python]);
    const out = await provision(['--git-repo', remote]);
    expect(out.status).toBe(1);
    expect(out.stdout).toContain('no Chainguard token');
    expect(fileOn(remote, python)).toEqual(python);
  });

  test('bad input is an error naming where: images.yaml without requests:, a request file that breaks its schema (exit 1)', async () => {
    const python = request('python', 'acme/python');
    const { remote } = world(NONE, [python]);
    commitFiles(remote, { 'images.yaml': 'images: []\n' }, 'no policy');
    const noPolicy = await provision(['--git-repo', remote]);
    expect(noPolicy.status).toBe(1);
    expect(noPolicy.stderr).toContain('images.yaml has no requests: block');
    const { remote: other } = world(NONE, [python]);
    const path = requestFilePath(python.tier, python.id);
    commitFiles(other, { [path]: renderRequestFile(python).replace('status: approved', 'status: done') }, 'bad');
    const bad = await provision(['--git-repo', other]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`${path}:\\d+:\\d+: status`));
    expect(remoteSubjects(other)[0]).toBe('bad');
  });

  test('--chainguard-api must be https (http only for a loopback host)', async () => {
    const python = request('python', 'acme/python');
    const { remote } = world(chainguard(), [python]);
    const out = await provision(['--git-repo', remote, '--chainguard-api', 'http://api.example.com']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('--chainguard-api');
  });
});
