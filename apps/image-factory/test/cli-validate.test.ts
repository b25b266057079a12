/** `image-factory validate`: the pull-request check, on good and bad files. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    const steps: { run?: string }[] = workflow.jobs.validate.steps;
    expect(steps.map((s) => s.run).filter(Boolean)).toContain('image-factory validate --images images.yaml --root .');
    expect(workflow.on.pull_request.paths).toContain('images.yaml');
  });
});
