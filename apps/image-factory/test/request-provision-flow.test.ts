/**
 * Issue 23's "Done when", through the command line: `request add` of a catalogue image for production opens a pull
 * request; the tier's approvers review it; it is merged; `request provision` creates the repository through the
 * Chainguard API (stub) and comments the pull string; `request audit`, `request status` and `request list` show
 * every step. The real registry answers the catalogue HEAD, the real git remote holds everything, GitHub and
 * Chainguard are stubs that check each request's shape. An auto-approved dev request goes add → provision directly.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { AuditLine } from '../src/requests/schema.js';
import { cli } from './helpers.js';
import { type ChainguardStub, startChainguardStub } from './support/chainguard-stub.js';
import { createRemote, git, tempDir } from './support/git-repos.js';
import { ENV } from './support/gitops-fixtures.js';
import { basicAuthEntry, dockerConfig, pushImage, startRegistry, type TestRegistry } from './support/registry.js';
import { type GithubRequestStub, startGithubRequestStub } from './support/request-forge-stubs.js';

const GH_TOKEN = 'ghp_flowTokenNeverPrinted0123456789';
const CG_TOKEN = 'cg-flow-Token-never-printed-987654';
const ORG = 'c'.repeat(40);
let registry: TestRegistry;
let config: string;
let template: string;
let github: GithubRequestStub | undefined;
let chainguard: ChainguardStub | undefined;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  await pushImage(registry, 'cg/python', 'latest-dev', { layer: 'python' });
  await pushImage(registry, 'cg/go', 'latest-dev', { layer: 'go' });
  template = createRemote({
    'images.yaml': `images: []
requests:
  environments: [dev, production]
  teams: [data]
  tiers:
    - name: production
      when:
        environment: [production]
      approvers:
        github:
          users: [carol]
          teams: [acme/managers]
      approvals: 2
      justification:
        required: true
        minLength: 10
    - name: dev
      approvers: {}
      approvals: 0
      autoApprove: true
  provision:
    provider: chainguard
    chainguard:
      parent: ${ORG}
`,
  });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

afterEach(async () => {
  await github?.close();
  await chainguard?.close();
  github = undefined;
  chainguard = undefined;
});

function remote(): string {
  const bare = join(tempDir('if-flow-'), 'gitops.git');
  git(tempDir(), 'clone', '--quiet', '--bare', template, bare);
  return bare;
}

/** `image-factory request …` against the remote, GitHub and Chainguard stubs; tokens in the environment only. */
function request(bare: string, ...args: string[]) {
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
      '--forge',
      'github',
      '--forge-repo',
      'acme/gitops',
      '--github-api-url',
      github?.url ?? '',
      '--chainguard-api',
      chainguard?.url ?? '',
    ],
    {
      env: { ...ENV, GITHUB_TOKEN: GH_TOKEN, CHAINGUARD_TOKEN: CG_TOKEN, GITHUB_ACTOR: '', GITLAB_USER_LOGIN: '' },
      now: new Date('2026-12-04T09:00:00Z'),
    },
  );
}

async function world(): Promise<string> {
  const bare = remote();
  github = await startGithubRequestStub({
    repo: 'acme/gitops',
    bare,
    token: GH_TOKEN,
    collaborators: ['carol', 'erin'],
    teams: { 'acme/managers': ['erin'] },
  });
  chainguard = await startChainguardStub({ token: CG_TOKEN, parents: [ORG] });
  return bare;
}

function noSecret(...texts: string[]) {
  for (const text of texts) {
    expect(text).not.toContain(GH_TOKEN);
    expect(text).not.toContain(CG_TOKEN);
  }
}

describe('a production request from add to provisioned', () => {
  test('add → reviews → merge → provision → the audit shows every step', async () => {
    const bare = await world();
    const reference = `${registry.host}/cg/python:latest-dev`;
    const added = await request(
      bare,
      'add',
      reference,
      '--team',
      'data',
      '--environment',
      'production',
      '--justification',
      'Nightly ETL jobs need this runtime',
      '--requested-by',
      'alice',
      '--json',
    );
    expect(added.status, added.stderr).toBe(0);
    const { id, pullRequest } = JSON.parse(added.stdout) as { id: string; pullRequest: { number: number } };

    // Not merged yet: provision has nothing to do.
    const early = await request(bare, 'provision', '--json');
    expect(early.status, early.stderr).toBe(0);
    expect(JSON.parse(early.stdout)).toMatchObject({ status: 'unchanged', requests: [] });

    github?.review(pullRequest.number, 'carol', 'APPROVED');
    github?.review(pullRequest.number, 'erin', 'APPROVED');
    github?.merge(pullRequest.number);

    const provisioned = await request(bare, 'provision', '--json');
    expect(provisioned.status, provisioned.stderr).toBe(0);
    noSecret(provisioned.stdout, provisioned.stderr);
    expect(JSON.parse(provisioned.stdout).requests).toMatchObject([
      {
        id,
        outcome: 'provisioned',
        pullString: reference,
        repositoryId: chainguard?.repos[0]?.id,
        approvers: ['carol', 'erin'],
        pullRequest: pullRequest.number,
        comment: 'posted',
      },
    ]);
    expect(chainguard?.repos.map((r) => r.name)).toEqual(['python']);
    expect(github?.pulls[0]?.comments.at(-1)).toContain(`docker pull ${reference}`);

    const audit = await request(bare, 'audit', '--json');
    const lines = JSON.parse(audit.stdout) as AuditLine[];
    expect(lines.map((l) => [l.event, l.requester, l.approver, l.provisioningResult])).toEqual([
      ['requested', 'alice', null, null],
      ['approved', 'alice', ['carol', 'erin'], null],
      ['provisioned', 'alice', ['carol', 'erin'], 'provisioned'],
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({
        requestId: id,
        image: reference,
        customName: 'python',
        justification: 'Nightly ETL jobs need this runtime',
        team: 'data',
        environment: 'production',
        approvalTier: 'production',
      });
    }
    expect(lines.at(-1)?.repositoryId).toBe(chainguard?.repos[0]?.id);

    const status = await request(bare, 'status', id, '--json');
    expect(JSON.parse(status.stdout).request).toMatchObject({ id, status: 'provisioned', pullString: reference });
    const list = await request(bare, 'list', '--status', 'provisioned', '--json');
    expect((JSON.parse(list.stdout) as { id: string }[]).map((r) => r.id)).toEqual([id]);

    // Idempotent: a second run provisions nothing and asks Chainguard nothing.
    const asked = chainguard?.requests.length;
    const again = await request(bare, 'provision', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'unchanged', requests: [] });
    expect(chainguard?.requests.length).toBe(asked);
  });

  test('an auto-approved dev request: add commits it approved, provision provisions it with approver auto', async () => {
    const bare = await world();
    const reference = `${registry.host}/cg/go:latest-dev`;
    const added = await request(
      bare,
      'add',
      reference,
      '--team',
      'data',
      '--environment',
      'dev',
      '--requested-by',
      'alice',
      '--json',
    );
    expect(added.status, added.stderr).toBe(0);
    const { id } = JSON.parse(added.stdout) as { id: string };
    const provisioned = await request(bare, 'provision');
    expect(provisioned.status, provisioned.stderr).toBe(0);
    expect(provisioned.stdout).toContain(`${id} ${reference} (go, tier dev): provisioned: pull ${reference}`);
    const lines = JSON.parse((await request(bare, 'audit', '--json')).stdout) as AuditLine[];
    expect(lines.map((l) => [l.event, l.approver])).toEqual([
      ['requested', null],
      ['approved', ['auto']],
      ['provisioned', ['auto']],
    ]);
  });
});
