/**
 * What a Job holding git credentials must never do: read outside its checkout (flags, images.yaml paths and
 * symlinks), keep a token in a URL, hang on a silent server, or leave a clone behind when it is stopped.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFromURL } from '../src/git/credentials.js';
import { cli, runCliAsync } from './helpers.js';
import { commitSymlink, createRemote, remoteHead, tempDir } from './support/git-repos.js';
import { analyze as analyzeBuild, DIGEST as DIGEST_OF, ENV } from './support/gitops-fixtures.js';

const DIGEST = DIGEST_OF('a');
const IMAGES =
  'images:\n  - name: app\n    registry: ghcr.io\n    repository: acme/app\n    source: {provider: github, repo: acme/mono, dockerfile: app/Dockerfile}\n';
const analyze = (remote: string, ...extra: string[]) => analyzeBuild(remote, 'app', '1.0.0', DIGEST, ...extra);

/** A secret outside every checkout, as /etc/passwd would be. */
const outside = tempDir('if-outside-');
const SECRET_LINE = 'root:x:0:0:this line must never be printed or committed';
writeFileSync(join(outside, 'passwd'), `FROM ${SECRET_LINE}\n`);

describe('nothing outside the checkout is read', () => {
  it('refuses a --dockerfile that climbs out of the repository, before cloning anything', async () => {
    const result = await cli(
      [
        'analyze',
        '--image',
        'app',
        '--tag',
        '1',
        '--digest',
        DIGEST,
        '--git-repo',
        '/nonexistent/remote.git',
        '--dockerfile',
        '../../../../etc/passwd',
      ],
      { env: ENV },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      '--dockerfile "../../../../etc/passwd" must be a relative path inside the repository',
    );
    expect(result.stderr).not.toContain('clone');
  });

  it('refuses a source.dockerfile in images.yaml that is absolute or escapes (validate catches it too)', async () => {
    const remote = createRemote({ 'images.yaml': IMAGES.replace('app/Dockerfile', '/etc/passwd') });
    const result = await analyze(remote);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /images\.yaml:\d+:\d+: images\[0\]\.source\.dockerfile must be a relative path inside/,
    );
  });

  it.each([
    ['a Dockerfile', 'app/Dockerfile', { 'images.yaml': IMAGES }, 'image app: Dockerfile app/Dockerfile'],
    ['images.yaml', 'images.yaml', { 'app/Dockerfile': 'FROM node:22\n' }, '--images images.yaml'],
  ])(
    'refuses %s committed as a symlink that leads outside the clone, and commits nothing',
    async (_what, path, files, named) => {
      const remote = createRemote(files);
      commitSymlink(remote, path, join(outside, 'passwd'));
      const head = remoteHead(remote);
      const result = await analyze(remote);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`${named} is a symbolic link that leads outside the repository: refused`);
      expect(result.stderr + result.stdout).not.toContain(SECRET_LINE);
      expect(remoteHead(remote)).toBe(head);
    },
  );

  it('follows a symlink that stays inside the clone', async () => {
    const remote = createRemote({ 'images.yaml': IMAGES, 'shared/Dockerfile': 'FROM node:22\n' });
    commitSymlink(remote, 'app/Dockerfile', '../shared/Dockerfile');
    const result = await analyze(remote);
    expect(result.status, result.stderr).toBe(0);
  });
});

describe('credentials in a --git-repo URL', () => {
  it('are moved out of the URL, into the header path', async () => {
    expect(credentialsFromURL('https://bot:s3cret@git.example.com/acme/gitops.git')).toEqual({
      url: 'https://git.example.com/acme/gitops.git',
      credentials: { username: 'bot', token: 's3cret' },
    });
    expect(credentialsFromURL('https://glpat-abc@gitlab.example.com/g/p.git')).toEqual({
      url: 'https://gitlab.example.com/g/p.git',
      credentials: { username: 'x-access-token', token: 'glpat-abc' },
    });
    expect(credentialsFromURL('/srv/git/gitops.git')).toEqual({ url: '/srv/git/gitops.git', credentials: null });
  });

  it('may not be combined with another credential source', async () => {
    const result = await cli(['sync', '--git-repo', 'https://bot:s3cret@git.example.com/gitops.git'], {
      env: { ...ENV, GIT_TOKEN: 'other' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      '--git-repo carries credentials and --git-credentials-file / $GIT_TOKEN is set too',
    );
    expect(result.stderr).not.toContain('s3cret');
  });
});

describe('a git server that never answers', () => {
  let server: Server;
  let url: string;
  const sockets = new Set<import('node:net').Socket>();
  beforeAll(async () => {
    // Accepts the connection, reads the request, and says nothing: a stalled server or hook.
    server = createServer(() => {});
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gitops.git`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is given up after --git-timeout with exit 3 (transient: safe to run again)', async () => {
    const result = await runCliAsync(['sync', '--git-repo', url, '--git-timeout', '1s'], { env: ENV });
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(
      /cannot clone http:\/\/127\.0\.0\.1:\d+\/gitops\.git \(branch main\): git made no progress for the --git-timeout/,
    );
  }, 20_000);

  it('leaves no temporary clone behind when the job is stopped with SIGTERM', async () => {
    const work = tempDir('if-workdir-');
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./helpers.js');
    const child = spawn(process.execPath, [CLI, 'sync', '--git-repo', url, '--work-dir', work], {
      env: { ...process.env, ...ENV },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (readdirSync(work).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(work)).toHaveLength(1);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(readdirSync(work)).toEqual([]);
    expect(existsSync(work)).toBe(true);
  }, 20_000);
});
