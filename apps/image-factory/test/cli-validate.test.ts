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

  describe('forge coordinates are checked where they are written (issue 18)', () => {
    const entry = (source: string) =>
      `images:\n  - name: app\n    registry: ghcr.io\n    repository: acme/app\n    source:\n${source}`;
    const validate = async (text: string, ...flags: string[]) => {
      const root = tempDir();
      writeFileSync(join(root, 'images.yaml'), text);
      return cli(['validate', ...flags], { cwd: root });
    };

    it('refuses a GitHub repo that climbs out of /repos/ and a workflow "..", at their line and column', async () => {
      const result = await validate(
        entry(
          "      provider: github\n      repo: ../../../evil/x\n      dockerfile: Dockerfile\n      workflow: '..'\n      triggerKeyInput: key\n",
        ),
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(
        /^images\.yaml:7:13: images\[0\]\.source\.repo must be owner\/name .*: "\." and "\.\." are not names$/m,
      );
      expect(result.stderr).toMatch(
        /^images\.yaml:9:17: images\[0\]\.source\.workflow must be the workflow's file name \(build\.yaml or build\.yml\) or its numeric id: "\." and "\.\." are not files$/m,
      );
      expect(result.stderr).toContain('images.yaml: 2 problem(s)');
    });

    it('refuses a GitLab path with a ".." or empty segment and a URL on another host; accepts the github.com URL forms', async () => {
      const gitlab = await validate(
        entry(
          '      provider: gitlab\n      repo: acme//../docs\n      dockerfile: Dockerfile\n      triggerKeyInput: key\n',
        ),
      );
      expect(gitlab.status).toBe(1);
      expect(gitlab.stderr).toMatch(
        /^images\.yaml:7:13: images\[0\]\.source\.repo must be a GitLab project path .*: no empty, "\." or "\.\." segments$/m,
      );
      const ghe = await validate(
        entry(
          '      provider: github\n      repo: https://ghe.acme.com/acme/app\n      dockerfile: Dockerfile\n      workflow: build.yaml\n      triggerKeyInput: key\n',
        ),
      );
      expect(ghe.status).toBe(1);
      expect(ghe.stderr).toContain('a URL on ghe.acme.com is not accepted; write owner/name');
      // The documented URL forms on github.com are accepted.
      for (const repo of [
        'https://github.com/acme/app',
        'https://github.com/acme/app.git',
        'git@github.com:acme/app.git',
      ]) {
        const result = await validate(
          entry(
            `      provider: github\n      repo: ${repo}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n      triggerKeyInput: key\n      baseImagesInput: bases\n`,
          ),
        );
        expect(result.status, `${repo}: ${result.stderr}`).toBe(0);
        expect(result.stderr).toBe('');
      }
    });

    it('warns (exit 0) about a managed image without source.triggerKeyInput, located, also in --json', async () => {
      const text = entry(
        '      provider: github\n      repo: acme/app\n      dockerfile: Dockerfile\n      workflow: build.yaml\n      baseImagesInput: bases\n',
      );
      const result = await validate(text);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe('images.yaml: valid (1 managed, 0 external image(s))\n');
      expect(result.stderr).toBe(
        'images.yaml:5:5: warning: images[0].source has no triggerKeyInput: rebuild repeats after a crash cannot be told apart by the CI: declare an input for the idempotency key and name it in source.triggerKeyInput\n',
      );
      const json = await validate(text, '--json');
      expect(json.status).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        valid: true,
        problems: [],
        warnings: [{ file: 'images.yaml', line: 5, column: 5, field: 'images[0].source' }],
      });
    });

    it('warns that workflow is not used for GitLab (the pipeline runs on source.branch)', async () => {
      const result = await validate(
        entry(
          '      provider: gitlab\n      repo: acme/docs\n      dockerfile: Dockerfile\n      workflow: main\n      triggerKeyInput: key\n      baseImagesInput: bases\n',
        ),
      );
      expect(result.status).toBe(0);
      expect(result.stderr).toBe(
        "images.yaml:9:17: warning: images[0].source.workflow is not used for GitLab: a rebuild creates a pipeline of the project's .gitlab-ci.yml on source.branch (remove it)\n",
      );
    });

    it('warns (exit 0) about a managed image without source.baseImagesInput: its rebuilds are unpinned', async () => {
      const result = await validate(
        entry(
          '      provider: github\n      repo: acme/app\n      dockerfile: Dockerfile\n      workflow: build.yaml\n      triggerKeyInput: key\n',
        ),
      );
      expect(result.status).toBe(0);
      expect(result.stderr).toBe(
        'images.yaml:5:5: warning: images[0].source has no baseImagesInput: its rebuilds are unpinned (built on whatever its FROM tags point to when the CI runs, not the aged digests decided): declare an input for them and name it in source.baseImagesInput\n',
      );
    });

    it('refuses one input name for two meanings (the key, the pins, a fixed input)', async () => {
      const result = await validate(
        entry(
          '      provider: github\n      repo: acme/app\n      dockerfile: Dockerfile\n      workflow: build.yaml\n      triggerKeyInput: key\n      baseImagesInput: key\n',
        ),
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(
        /images\[0\]\.source\.baseImagesInput "key" is already another input of this source/,
      );
    });

    it('says to write "0" when rebuildDelay is the number 0', async () => {
      const result = await validate('defaults:\n  rebuildDelay: 0\nimages: []\n');
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        'images.yaml:2:17: defaults.rebuildDelay must be a string: write "0" (quoted) for no delay',
      );
    });
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
