/**
 * The CI examples in docs/ci build on the pinned digests (issue 19): the GitHub workflow declares exactly the inputs
 * the factory sends for the example catalogue (GitHub answers 422 to others), names its runs after the key (so a
 * re-sent claim finds them) and hands the pins to build-push-action's `build-contexts`; the GitLab job's script, run
 * by a real shell with a stand-in `docker`, turns each pin line into a `--build-context` and drops a repeat.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadEnrolment } from '../src/enrolment/load.js';
import { titleNamesKey } from '../src/rebuild/forge-runs.js';
import { buildContexts } from '../src/rebuild/pins.js';
import { triggerRequest } from '../src/rebuild/trigger-request.js';
import { REPO_ROOT } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const enrolment = loadEnrolment(readFileSync(join(REPO_ROOT, 'images.yaml'), 'utf8'), 'images.yaml');
const managed = (name: string) => {
  const image = enrolment.images.find((i) => i.name === name);
  if (image?.kind !== 'managed') throw new Error(`${name} is not managed in images.yaml`);
  return image;
};
const contexts = buildContexts(
  [
    { base: 'ghcr-io-acme-node-base-22', digest: D('a') },
    { base: 'node-22-bookworm-slim', digest: D('b') },
  ],
  new Map([
    ['ghcr-io-acme-node-base-22', { registry: 'ghcr.io', repository: 'acme/node-base', tag: '22' }],
    ['node-22-bookworm-slim', { registry: 'docker.io', repository: 'library/node', tag: '22-bookworm-slim' }],
  ]),
);
const endpoints = {
  githubApiUrl: 'https://api.github.com',
  gitlabUrl: 'https://gitlab.com',
  githubToken: true,
  gitlabToken: true,
};

describe('docs/ci/github-rebuild.yaml (the workflow of backstage)', () => {
  const workflow = parse(readFileSync(join(REPO_ROOT, 'docs/ci/github-rebuild.yaml'), 'utf8'));
  const backstage = managed('backstage');
  const made = triggerRequest(backstage, endpoints, 'backstage-0123456789abcdef', contexts);
  if (typeof made === 'string') throw new Error(made);
  const sent = JSON.parse(made.request.body ?? '{}');

  test('declares every input the factory sends for it, and nothing it sends is undeclared', () => {
    expect(backstage.source.workflow).toBe('backstage.yaml');
    const declared = Object.keys(workflow.on.workflow_dispatch.inputs).sort();
    expect(Object.keys(sent.inputs).sort()).toEqual(declared);
    expect(sent.inputs.base_images).toBe(contexts);
  });

  test('its runs are titled with the key, as the factory looks for them', () => {
    const title = String(workflow['run-name']).replace(
      /\$\{\{\s*inputs\.image_factory_key\s*\|\|\s*github\.sha\s*\}\}/,
      sent.inputs.image_factory_key,
    );
    expect(titleNamesKey(title, sent.inputs.image_factory_key)).toBe(true);
  });

  test('the build uses the pins as named contexts', () => {
    const build = workflow.jobs.build.steps.find((s: { uses?: string }) =>
      s.uses?.startsWith('docker/build-push-action'),
    );
    expect(build.with['build-contexts']).toBe(`\${{ inputs.${backstage.source.baseImagesInput} }}`);
  });
});

describe('docs/ci/gitlab-rebuild.gitlab-ci.yml (the job of docs)', () => {
  const job = parse(readFileSync(join(REPO_ROOT, 'docs/ci/gitlab-rebuild.gitlab-ci.yml'), 'utf8'))['build-docs'];
  const docs = managed('docs');
  const made = triggerRequest(docs, endpoints, 'docs-0123456789abcdef', contexts);
  if (typeof made === 'string') throw new Error(made);
  const variables: { key: string; value: string }[] = JSON.parse(made.request.body ?? '{}').variables;

  /** Run the job's script in sh with the variables the factory sends and a `docker` that records its arguments. */
  function runScript(built: boolean) {
    const dir = tempDir('if-gitlab-job-');
    const log = join(dir, 'docker.log');
    const docker = join(dir, 'docker');
    writeFileSync(
      docker,
      `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\nif [ "$1 $2" = "buildx imagetools" ]; then exit ${built ? 0 : 1}; fi\nexit 0\n`,
    );
    chmodSync(docker, 0o755);
    const env: Record<string, string> = {
      PATH: `${dir}:/usr/bin:/bin`,
      IMAGE: 'registry.example/acme/docs',
      CI_PIPELINE_IID: '7',
      CI_REGISTRY: 'registry.example',
      CI_REGISTRY_USER: 'ci',
      CI_REGISTRY_PASSWORD: 'secret',
    };
    for (const v of variables) env[v.key] = v.value;
    const script = (job.script as string[]).join('\n');
    const result = spawnSync('sh', ['-e', '-c', script], { env, encoding: 'utf8' });
    let calls = '';
    try {
      calls = execFileSync('cat', [log], { encoding: 'utf8' });
    } catch {
      calls = '';
    }
    return { status: result.status, calls: calls.trim().split('\n') };
  }

  test('the factory sends the two variables the job reads', () => {
    expect(variables.map((v) => v.key).sort()).toEqual(['BASE_IMAGES', 'IMAGE_FACTORY_KEY']);
  });

  test('each pin line becomes a --build-context; the image is also tagged with the key', () => {
    const { status, calls } = runScript(false);
    expect(status).toBe(0);
    const build = calls.find((c) => c.startsWith('buildx build'));
    expect(build).toContain(
      `--build-context ghcr.io/acme/node-base:22=docker-image://ghcr.io/acme/node-base@${D('a')}`,
    );
    expect(build).toContain(`--build-context node:22-bookworm-slim=docker-image://docker.io/library/node@${D('b')}`);
    expect(build).toContain('--tag registry.example/acme/docs:rebuild-docs-0123456789abcdef');
  });

  test('a decision already built is dropped: no build', () => {
    const { status, calls } = runScript(true);
    expect(status).toBe(0);
    expect(calls.some((c) => c.startsWith('buildx build'))).toBe(false);
  });
});
