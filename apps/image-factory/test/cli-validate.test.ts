/** `image-factory validate`: the pull-request check, on good and bad files. */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli, fixturePath, REPO_ROOT } from './helpers.js';
import { tempDir } from './support/git-repos.js';

describe('image-factory validate', () => {
  it('accepts the example catalogue with its Dockerfiles', async () => {
    const result = await cli(['validate', '--images', 'images.yaml', '--root', '.'], { cwd: REPO_ROOT });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('images.yaml: valid (5 managed, 2 external image(s))\n');
  });

  it('prints every problem as file:line:column: field message and exits 1', async () => {
    const file = fixturePath('enrolment/bad-provider.images.yaml');
    const result = await cli(['validate', '--images', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${file}:13:17: images[1].source.provider must be github or gitlab`);
  });

  it('reports schema and semantic problems together, and refuses values git would read as options', async () => {
    const file = fixturePath('enrolment/mixed-problems.images.yaml');
    const result = await cli(['validate', '--images', file]);
    expect(result.status).toBe(1);
    expect(result.stderr.split('\n').map((line) => line.replace(file, 'F'))).toEqual([
      'F:2:11: images[0].name must be a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters',
      'F:9:16: images[1].allowTags uses lookaround or a backreference, which Kargo (Go RE2) does not support',
      'F:13:38: images[2].source.repo must not start with "-" or contain spaces or "#" (git would read it as an option or a comment)',
      'F:13:78: images[2].source.branch must be a valid git branch name (no spaces, no leading "-", no "..", "~", "^", ":", "?", "*", "[")',
      'F: 4 problem(s)',
      '',
    ]);
  });

  it('with --root, refuses an image named like a base image the state records, naming both', async () => {
    const root = tempDir();
    cpSync(join(REPO_ROOT, 'image-factory'), join(root, 'image-factory'), { recursive: true });
    cpSync(join(REPO_ROOT, 'examples'), join(root, 'examples'), { recursive: true });
    cpSync(join(REPO_ROOT, 'apps/image-factory/Dockerfile'), join(root, 'apps/image-factory/Dockerfile'), {
      recursive: true,
    });
    const images = readFileSync(join(REPO_ROOT, 'images.yaml'), 'utf8');
    writeFileSync(
      join(root, 'images.yaml'),
      `${images}\n  - name: node-22-bookworm-slim\n    registry: ghcr.io\n    repository: acme/node\n    allowTags: '^1$'\n`,
    );
    const result = await cli(['validate', '--root', '.'], { cwd: root });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'images.yaml: base image docker.io/library/node:22-bookworm-slim has had the state name node-22-bookworm-slim since it was first recorded, and images.yaml now gives that name to the external image node-22-bookworm-slim',
    );
  });

  it('with --root, reports a missing Dockerfile and a Dockerfile that does not parse', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'b'));
    writeFileSync(join(root, 'b/Dockerfile'), 'FROM Bad:1\n');
    writeFileSync(
      join(root, 'images.yaml'),
      'images:\n  - name: a\n    registry: ghcr.io\n    repository: acme/a\n    source: {provider: github, repo: acme/m, dockerfile: a/Dockerfile}\n  - name: b\n    registry: ghcr.io\n    repository: acme/b\n    source: {provider: gitlab, repo: acme/m, dockerfile: b/Dockerfile}\n',
    );
    const result = await cli(['validate', '--root', '.'], { cwd: root });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'images.yaml:5:58: images[0].source.dockerfile a/Dockerfile (image a): does not exist',
    );
    expect(result.stderr).toContain(
      'images.yaml:9:58: images[1].source.dockerfile b/Dockerfile (image b): b/Dockerfile:1: invalid-reference',
    );
    expect((await cli(['validate'], { cwd: root })).status).toBe(0);
  });

  it('exits 2 for a missing file and documents its flags', async () => {
    expect((await cli(['validate', '--images', '/nope/images.yaml'])).status).toBe(2);
    const help = await cli(['validate', '--help']);
    expect(help.stdout).toContain('--images FILE');
    expect(help.stdout).toContain('--root DIR');
    expect(help.stdout).toContain('Examples:');
  });

  it('the shipped GitHub Actions workflow runs this command', async () => {
    const workflow = parse(readFileSync(join(REPO_ROOT, 'docs/github-actions/validate-images.yaml'), 'utf8'));
    const steps: { run?: string; with?: { path?: string } }[] = workflow.jobs.validate.steps;
    const runs = steps.map((s) => s.run).filter(Boolean);
    // The tool's repository is checked out beside the GitOps one, installed, and its committed bin run.
    expect(steps.some((s) => s.with?.path === '.image-factory')).toBe(true);
    expect(runs).toContain('npm ci --prefix .image-factory --no-audit --no-fund');
    expect(runs).toContain(
      'node .image-factory/apps/image-factory/bin/image-factory.mjs validate --images images.yaml --root .',
    );
    expect(workflow.on.pull_request.paths).toEqual(expect.arrayContaining(['images.yaml', 'image-factory/state/**']));
  });
});
