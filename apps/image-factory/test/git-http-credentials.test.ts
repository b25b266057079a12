/**
 * Credentials over real smart HTTP (git http-backend on 127.0.0.1 behind Basic auth): the token reaches the
 * server, and never appears in output, errors or the pushed repository.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from './helpers.js';
import { type GitHttpServer, startGitHttpServer } from './support/git-http-server.js';
import { createRemote, git, remoteFile, remoteHead, tempDir } from './support/git-repos.js';

const USER = 'factory-bot';
const TOKEN = 'ghp_s3cretT0kenThatMustNeverBePrinted';
const DIGEST = `sha256:${'9'.repeat(64)}`;

let server: GitHttpServer;
let root: string;

beforeAll(async () => {
  root = tempDir('if-http-');
  const remote = createRemote({
    'images.yaml':
      'images:\n  - name: app\n    registry: ghcr.io\n    repository: acme/app\n    source: {provider: github, repo: acme/app, dockerfile: Dockerfile}\n',
    Dockerfile: 'FROM node:22-alpine\n',
  });
  git(root, 'clone', '--quiet', '--bare', remote, join(root, 'gitops.git'));
  server = await startGitHttpServer(root, USER, TOKEN);
});

afterAll(async () => {
  await server?.close();
});

function allText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out += allText(path);
    else out += readFileSync(path, 'latin1');
  }
  return out;
}

describe('git over HTTP with credentials', () => {
  it('clones and pushes with GIT_USERNAME / GIT_TOKEN, printing the token nowhere', async () => {
    const url = `${server.url}/gitops.git`;
    const result = await runCliAsync(
      ['analyze', '--image', 'app', '--tag', '1.0.0', '--digest', DIGEST, '--git-repo', url, '--source-repo', url],
      { env: { GIT_USERNAME: USER, GIT_TOKEN: TOKEN } },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(
      server.requests.some((r) => r.method === 'POST' && r.path.endsWith('/git-receive-pack') && r.authorized),
    ).toBe(true);
    expect(remoteFile(join(root, 'gitops.git'), 'image-factory/state/images/app.yaml')).toContain('tag: 1.0.0');
    const basic = Buffer.from(`${USER}:${TOKEN}`).toString('base64');
    for (const text of [result.stdout, result.stderr, allText(join(root, 'gitops.git'))]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(basic);
    }
  });

  it('reads the token from a mounted Secret folder', async () => {
    const secret = tempDir('if-secret-');
    mkdirSync(secret, { recursive: true });
    writeFileSync(join(secret, 'username'), `${USER}\n`);
    writeFileSync(join(secret, 'token'), `${TOKEN}\n`);
    const url = `${server.url}/gitops.git`;
    const result = await runCliAsync(
      [
        'analyze',
        '--image',
        'app',
        '--tag',
        '1.0.1',
        '--digest',
        DIGEST,
        '--git-repo',
        url,
        '--source-repo',
        url,
        '--git-credentials-file',
        secret,
      ],
      { env: { GIT_TOKEN: '' } },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(remoteFile(join(root, 'gitops.git'), 'image-factory/state/images/app.yaml')).toContain('tag: 1.0.1');
  });

  it('fails clearly with a wrong token, redacting it, and changes nothing', async () => {
    const head = remoteHead(join(root, 'gitops.git'));
    const wrong = 'ghp_wrongTokenAlsoSecret123';
    // The wrong token written into the URL: moved to the header path, and redacted everywhere.
    const url = `${server.url.replace('http://', `http://${USER}:${wrong}@`)}/gitops.git`;
    const result = await runCliAsync(
      [
        'analyze',
        '--image',
        'app',
        '--tag',
        '2',
        '--digest',
        DIGEST,
        '--git-repo',
        url,
        '--source-repo',
        url,
        '--verbose',
      ],
      { env: { GIT_TOKEN: '' } },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /cannot clone http:\/\/127\.0\.0\.1:\d+\/gitops\.git \(branch main\): authentication failed \(HTTP 401\) for http:\/\/127\.0\.0\.1:\d+\/gitops\.git: check the token/,
    );
    // The message says what happened; git's own words stay in the cause, which --verbose (given here) prints.
    expect(result.stderr.split('\n')[0]).not.toContain('terminal prompts disabled');
    expect(result.stderr).toContain('caused by: ');
    // The wrong token reached the server as the Authorization header, not in the URL.
    const basic = `Basic ${Buffer.from(`${USER}:${wrong}`).toString('base64')}`;
    expect(server.requests.some((r) => r.authorization === basic)).toBe(true);
    expect(result.stderr + result.stdout).not.toContain(wrong);
    expect(remoteHead(join(root, 'gitops.git'))).toBe(head);
  });
});
