/** analyze, analyze --all and sync end to end: the compiled CLI against real bare git repositories. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import {
  commitFiles,
  createRemote,
  git,
  remoteFile,
  remoteFiles,
  remoteHead,
  remoteSubjects,
  tempDir,
} from './support/git-repos.js';
import { analyze, analyzeArgs, DIGEST, ENV, managedEntry, monorepo } from './support/gitops-fixtures.js';

const externalEntry = (name: string) =>
  `  - name: ${name}\n    registry: docker.io\n    repository: library/${name}\n    allowTags: '^16\\.\\d+$'\n`;

describe('image-factory analyze', () => {
  it('commits the state of one build, then nothing when run again', async () => {
    const remote = monorepo({
      backstage: 'FROM node:22-bookworm-slim AS build\nFROM ghcr.io/acme/node-base:22\nCOPY --from=build /a /a\n',
    });
    const first = await analyze(remote, 'backstage', '0.6.3', DIGEST('a'));
    expect(first.stderr).toContain('[backstage] push: pushed');
    expect(first.status).toBe(0);
    expect(remoteFiles(remote, 'image-factory/state')).toEqual([
      'image-factory/state/base-images/ghcr-io-acme-node-base-22.yaml',
      'image-factory/state/base-images/node-22-bookworm-slim.yaml',
      'image-factory/state/images/backstage.yaml',
    ]);
    expect(git(remote, 'log', '-1', '--format=%s%n%an <%ae>%n%b')).toBe(
      [
        'image-factory: analyse backstage 0.6.3',
        'Factory Bot <bot@example.com>',
        `digest ${DIGEST('a')}`,
        '',
        '+ image backstage (managed)',
        '+ ghcr-io-acme-node-base-22 (ghcr.io/acme/node-base:22) for backstage',
        '+ node-22-bookworm-slim (docker.io/library/node:22-bookworm-slim) for backstage',
      ].join('\n'),
    );
    const image = remoteFile(remote, 'image-factory/state/images/backstage.yaml') ?? '';
    expect(image).toContain(`digest: ${DIGEST('a')}`);
    expect(image).toContain('tag: 0.6.3');
    expect(image).not.toMatch(/repoURL|allowTags/);

    const head = remoteHead(remote);
    const again = await analyze(remote, 'backstage', '0.6.3', DIGEST('a'));
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('state already up to date: nothing committed');
    expect(remoteHead(remote)).toBe(head);
  });

  it("works with the operator's GIT_CONFIG_GLOBAL (simple-git refuses it unless told otherwise)", async () => {
    const remote = monorepo({ api: 'FROM node:22\n' });
    const config = join(tempDir('if-gitconfig-'), 'gitconfig');
    writeFileSync(config, '[init]\n\tdefaultBranch = main\n');
    const result = await cli(analyzeArgs(remote, 'api', '1.0.0', DIGEST('a')), {
      env: { ...ENV, GIT_CONFIG_GLOBAL: config },
    });
    expect(result.stderr).not.toContain('allowUnsafe');
    expect(result.status).toBe(0);
  });

  it('reads the Dockerfile from a separate source repository and records its revision', async () => {
    const source = createRemote({ 'docker/app.Dockerfile': 'FROM python:3.12-slim\n' });
    const gitops = createRemote({ 'images.yaml': `images:\n${managedEntry('app', 'docker/app.Dockerfile')}` });
    const result = await cli(
      [
        'analyze',
        '--image',
        'app',
        '--tag',
        '1.0.0',
        '--digest',
        DIGEST('b'),
        '--git-repo',
        gitops,
        '--source-repo',
        source,
      ],
      { env: ENV },
    );
    expect(result.stderr).toContain('clone-source: sparse clone');
    expect(result.status).toBe(0);
    const state = remoteFile(gitops, 'image-factory/state/images/app.yaml') ?? '';
    expect(state).toContain(`revision: ${remoteHead(source)}`);
    expect(remoteFile(gitops, 'image-factory/state/base-images/python-3-12-slim.yaml')).toContain(
      'constraint: 3.12-slim',
    );
  });

  it('honours --dockerfile, --image-factory-dir, --images and --git-branch', async () => {
    const remote = createRemote(
      {
        'config/catalogue.yaml': `images:\n${managedEntry('app', 'apps/app/Dockerfile', '      branch: release\n')}`,
        'other/Dockerfile': 'FROM alpine:3.20\n',
      },
      'release',
    );
    const result = await cli(
      [
        'analyze',
        '--image',
        'app',
        '--tag',
        '2',
        '--digest',
        DIGEST('c'),
        '--git-repo',
        remote,
        '--git-branch',
        'release',
        '--images',
        'config/catalogue.yaml',
        '--image-factory-dir',
        'platform/factory',
        '--dockerfile',
        'other/Dockerfile',
        '--source-repo',
        remote,
      ],
      { env: ENV },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(remoteFiles(remote, 'platform/factory', 'release')).toEqual([
      'platform/factory/state/base-images/alpine-3-20.yaml',
      'platform/factory/state/images/app.yaml',
    ]);
  });

  it('--dry-run prints the plan and pushes nothing', async () => {
    const remote = monorepo({ app: 'FROM node:22\n' });
    const head = remoteHead(remote);
    const result = await analyze(remote, 'app', '1', DIGEST('d'), '--dry-run');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('dry run: nothing written, committed or pushed');
    expect(result.stdout).toContain('added     base-images/node-22.yaml');
    expect(remoteHead(remote)).toBe(head);
  });

  it('writes JSON log lines naming the image and the step', async () => {
    const remote = monorepo({ app: 'FROM node:22\n' });
    const result = await analyze(remote, 'app', '1', DIGEST('e'), '--log-format', 'json');
    const lines = result.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(line.image).toBe('app');
      expect(typeof line.step).toBe('string');
      expect(typeof line.msg).toBe('string');
    }
    expect(lines.map((l) => l.step)).toEqual(expect.arrayContaining(['clone', 'parse', 'plan', 'commit', 'push']));
  });

  it('ends a failed JSON log with a JSON line too: the error, its code and the exit status', async () => {
    const remote = monorepo({ app: 'FROM Not_An_Image\n' });
    const result = await analyze(remote, 'app', '1', DIGEST('e'), '--log-format', 'json', '--image', 'app');
    expect(result.status).toBe(1);
    const lines = result.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ level: 'error', step: 'exit', code: 'invalid-dockerfile', exit: 1 });
    expect(lines.at(-1).msg).toContain('apps/app/Dockerfile');
  });
});

describe('analyze --all and sync', () => {
  it('analyse every managed image in one commit, then sync applies images.yaml changes', async () => {
    const remote = monorepo(
      { a: 'FROM node:22\n', b: 'FROM node:22\nCOPY --from=alpine:3 /x /x\n', c: 'FROM ghcr.io/acme/a:1\n' },
      externalEntry('postgres'),
    );
    const all = await cli(['analyze', '--all', '--git-repo', remote, '--source-repo', remote], { env: ENV });
    expect(all.status).toBe(0);
    expect(remoteSubjects(remote)[0]).toBe('image-factory: analyse all managed images (3)');
    expect(remoteFile(remote, 'image-factory/state/base-images/node-22.yaml')).toContain('dependents:\n  - a\n  - b');
    expect(remoteFile(remote, 'image-factory/state/base-images/ghcr-io-acme-a-1.yaml')).toContain('managedImage: a');
    expect(remoteFile(remote, 'image-factory/state/images/postgres.yaml')).toContain(
      'repoURL: docker.io/library/postgres',
    );

    // b leaves images.yaml; postgres becomes managed.
    commitFiles(
      remote,
      {
        'images.yaml': `images:\n${managedEntry('a')}${managedEntry('c')}${managedEntry('postgres', 'apps/a/Dockerfile')}`,
      },
      'drop b, manage postgres',
    );
    const sync = await cli(['sync', '--git-repo', remote], { env: ENV });
    expect(sync.status).toBe(0);
    expect(git(remote, 'log', '-1', '--format=%s%n%b')).toBe(
      [
        'image-factory: sync state with images.yaml',
        '- image b: no longer in images.yaml',
        '~ image postgres: external → managed',
        '- alpine-3 (docker.io/library/alpine:3): no dependents left',
        '~ node-22 (docker.io/library/node:22): dependents -b',
      ].join('\n'),
    );
    expect(remoteFile(remote, 'image-factory/state/images/b.yaml')).toBeNull();
    expect(remoteFile(remote, 'image-factory/state/images/postgres.yaml')).not.toMatch(/repoURL|allowTags/);
    const head = remoteHead(remote);
    expect((await cli(['sync', '--git-repo', remote], { env: ENV })).stdout).toContain('nothing committed');
    expect(remoteHead(remote)).toBe(head);
  });
});

describe('failures leave the remote unchanged', () => {
  it('an unreachable remote', async () => {
    const result = await analyze(join(tempDir(), 'missing.git'), 'app', '1', DIGEST('a'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /cannot clone file:\/\/.*missing\.git \(branch main\): .*does not appear to be a git repository/,
    );
  });

  it('a missing Dockerfile', async () => {
    const remote = createRemote({ 'images.yaml': `images:\n${managedEntry('app')}` });
    const head = remoteHead(remote);
    const result = await analyze(remote, 'app', '1', DIGEST('a'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'image app: Dockerfile apps/app/Dockerfile does not exist in the source repository',
    );
    expect(remoteHead(remote)).toBe(head);
  });

  it('a Dockerfile with errors', async () => {
    const remote = monorepo({ app: 'RUN echo hi\nFROM Node:22\n' });
    const head = remoteHead(remote);
    const result = await analyze(remote, 'app', '1', DIGEST('a'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('apps/app/Dockerfile:1: instruction-before-from');
    expect(result.stderr).toContain('apps/app/Dockerfile:2: invalid-reference');
    expect(remoteHead(remote)).toBe(head);
  });

  it('an invalid images.yaml', async () => {
    const remote = createRemote({ 'images.yaml': 'images:\n  - name: app\n    registry: ghcr.io\n' });
    const head = remoteHead(remote);
    const result = await analyze(remote, 'app', '1', DIGEST('a'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('images.yaml:2:5: images[0].repository is required');
    expect(remoteHead(remote)).toBe(head);
  });

  it('an image enrolled under the state name of a recorded base image: refused, naming both, nothing pushed', async () => {
    const remote = monorepo({ app: 'FROM node:22\n' });
    expect((await analyze(remote, 'app', '1', DIGEST('a'))).status).toBe(0);
    const images = remoteFile(remote, 'images.yaml') ?? '';
    commitFiles(remote, { 'images.yaml': `${images.trimEnd()}\n${externalEntry('node-22')}` }, 'enrol node-22');
    const head = remoteHead(remote);
    for (const args of [
      ['sync', '--git-repo', remote],
      ['analyze', '--all', '--git-repo', remote, '--source-repo', remote],
    ]) {
      const result = await cli(args, { env: ENV });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        'base image docker.io/library/node:22 has had the state name node-22 since it was first recorded, and images.yaml now gives that name to the external image node-22',
      );
    }
    expect(remoteHead(remote)).toBe(head);
  });

  it('a remote whose pre-receive hook refuses every push', async () => {
    const remote = monorepo({ app: 'FROM node:22\n' });
    writeFileSync(join(remote, 'hooks', 'pre-receive'), '#!/bin/sh\necho "pushes are frozen" >&2\nexit 1\n');
    chmodSync(join(remote, 'hooks', 'pre-receive'), 0o755);
    const head = remoteHead(remote);
    const result = await analyze(remote, 'app', '1', DIGEST('a'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/push to file:\/\/.* \(branch main\) was refused: .*pushes are frozen/);
    expect(result.stderr).toMatch(/pre-receive hook declined/);
    expect(remoteHead(remote)).toBe(head);
  });

  it('bad flags are usage errors', async () => {
    const remote = monorepo({ app: 'FROM node:22\n' });
    expect((await analyze(remote, 'app', '1', 'sha256:abc')).stderr).toContain('--digest "sha256:abc" must be sha256:');
    expect((await analyze(remote, 'app', '1', 'sha256:abc')).status).toBe(2);
    expect((await cli(['analyze', '--image', 'app', '--git-repo', remote])).stderr).toContain(
      '--tag, --digest required',
    );
    expect((await cli(['analyze', '--all', '--image', 'x', '--git-repo', remote])).status).toBe(2);
    expect((await cli(['sync'])).stderr).toContain('--git-repo is required');
    expect((await analyze(remote, 'nope', '1', DIGEST('a'))).stderr).toContain(
      'image nope is not enrolled in images.yaml',
    );
  });
});
