/**
 * `--json` on validate, status, enroll, unenroll, kustomize, analyze and sync: the shapes the README documents,
 * and `--verbose` as an option (global, or among a command's options; never a value).
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fixturePath, REPO_ROOT } from './helpers.js';
import { remoteSubjects, tempDir } from './support/git-repos.js';
import { analyze, DIGEST, ENV, monorepo } from './support/gitops-fixtures.js';

const json = (text: string): unknown => JSON.parse(text);

describe('--json', () => {
  it('validate: valid, and every problem located', async () => {
    const ok = await cli(['validate', '--root', '.', '--json'], { cwd: REPO_ROOT });
    expect(ok.status).toBe(0);
    expect(json(ok.stdout)).toEqual({
      file: 'images.yaml',
      valid: true,
      managed: 5,
      external: 2,
      problems: [],
      // The example catalogue names the key and pin inputs of every managed image: nothing to warn about.
      warnings: [],
    });
    const file = fixturePath('enrolment/bad-provider.images.yaml');
    const bad = await cli(['validate', '--images', file, '--json']);
    expect(bad.status).toBe(1);
    expect(json(bad.stdout)).toMatchObject({
      file,
      valid: false,
      problems: [
        { file, line: 13, column: 17, field: 'images[1].source.provider', message: 'must be github or gitlab' },
      ],
    });
  });

  it('status: counts, the graph as base images with their dependents, warnings', async () => {
    const result = await cli(['status', '--root', REPO_ROOT, '--json']);
    expect(result.status).toBe(0);
    const status = json(result.stdout);
    expect(status).toMatchObject({
      images: { total: 7, managed: 5, external: 2 },
      baseImages: { total: 6, external: 5, builtHere: 1, pinnedByDigest: 0 },
      warehouses: { base: 6, external: 2, managedPipelines: 5 },
      warnings: [],
    });
    expect(status).toHaveProperty(
      'graph',
      expect.arrayContaining([
        {
          name: 'node-22-bookworm-slim',
          reference: 'docker.io/library/node:22-bookworm-slim',
          dependents: ['backstage', 'image-factory', 'node-base'],
        },
        expect.objectContaining({ reference: 'ghcr.io/acme/node-base:22', managedImage: 'node-base' }),
      ]),
    );
  });

  it('enroll, unenroll and kustomize: what was written and deleted', async () => {
    const dir = tempDir('if-json-');
    cpSync(join(REPO_ROOT, 'images.yaml'), join(dir, 'images.yaml'));
    mkdirSync(join(dir, 'kustomize'));
    cpSync(join(REPO_ROOT, 'kustomize/image-factory'), join(dir, 'kustomize/image-factory'), { recursive: true });
    const managed = ['--managed', '--name', 'web', '--registry', 'ghcr.io', '--repository', 'acme/web'];
    const source = ['--provider', 'github', '--repo', 'acme/web', '--dockerfile', 'Dockerfile', '--json'];
    const enrolled = await cli(['enroll', ...managed, ...source], { cwd: dir });
    expect(enrolled.status, enrolled.stderr).toBe(0);
    expect(json(enrolled.stdout)).toEqual({
      action: 'enroll',
      image: 'web',
      written: ['managed/web.yaml'],
      deleted: [],
      kustomizationChanged: true,
      managed: 6,
      external: 2,
    });
    const unenrolled = await cli(['unenroll', 'web', '--json'], { cwd: dir });
    expect(json(unenrolled.stdout)).toMatchObject({ action: 'unenroll', image: 'web', deleted: ['managed/web.yaml'] });
    const kustomized = await cli(['kustomize', '--json'], { cwd: dir });
    expect(json(kustomized.stdout)).toEqual({
      action: 'kustomize',
      image: null,
      written: [],
      deleted: [],
      kustomizationChanged: false,
      managed: 5,
      external: 2,
    });
  });

  it('analyze and sync: status, commit, attempts and the files changed', async () => {
    const remote = monorepo({ app: 'FROM node:22\n' });
    const pushed = await analyze(remote, 'app', '1.0.0', DIGEST('c'), '--json');
    expect(pushed.status, pushed.stderr).toBe(0);
    const result = json(pushed.stdout);
    expect(result).toMatchObject({
      status: 'pushed',
      attempts: 1,
      added: ['images/app.yaml', 'base-images/node-22.yaml'],
      modified: [],
      deleted: [],
    });
    expect(result).toHaveProperty('commit', expect.stringMatching(/^[0-9a-f]{40}$/));
    expect(remoteSubjects(remote)[0]).toBe('image-factory: analyse app 1.0.0');
    const synced = await cli(['sync', '--git-repo', remote, '--json'], { env: ENV });
    expect(json(synced.stdout)).toEqual({
      status: 'unchanged',
      commit: null,
      attempts: 1,
      added: [],
      modified: [],
      deleted: [],
      summary: [],
    });
  });
});

describe('--verbose', () => {
  it('is accepted before the command or among its options, and prints the stack and its causes', async () => {
    for (const args of [
      ['--verbose', 'sync', '--git-repo', '/nonexistent'],
      ['sync', '--git-repo', '/nonexistent', '--verbose'],
    ]) {
      const result = await cli(args, { env: ENV });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^cannot clone file:\/\/\/nonexistent/);
      expect(result.stderr).toMatch(/\n {4}at /);
      expect(result.stderr).toContain('caused by: ');
    }
    const quiet = await cli(['sync', '--git-repo', '/nonexistent'], { env: ENV });
    expect(quiet.stderr).not.toMatch(/\n {4}at /);
  });

  it('is not taken from the value of another option or from after --', async () => {
    const asValue = await cli(['parse', '-', '--build-arg=--verbose']);
    expect(asValue.status).toBe(2);
    expect(asValue.stderr).not.toMatch(/\n {4}at /);
    const afterDashes = await cli(['parse', '--', '--verbose']);
    expect(afterDashes.stderr).not.toMatch(/\n {4}at /);
  });
});
