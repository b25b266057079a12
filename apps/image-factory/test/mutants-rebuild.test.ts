/**
 * Rebuild rules the mutation run found unpinned (docs/mutation.md), written from docs/rebuilds.md: what a trigger
 * sends ("Triggers"). The urgency rule read from reports given by hand is test/rebuild-given-reports.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { triggerRequest } from '../src/rebuild/trigger-request.js';

describe('what a trigger sends (docs/rebuilds.md "Triggers")', () => {
  const managed = (source: string) => {
    const loaded = loadEnrolment(
      `images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    source:\n${source}`,
      'images.yaml',
    ).images[0];
    if (loaded?.kind !== 'managed') throw new Error('not managed');
    return loaded;
  };
  const endpoints = {
    githubApiUrl: 'https://github.example.com/api/v3',
    gitlabUrl: 'https://gitlab.example.com',
    githubToken: true,
    gitlabToken: true,
  };
  const github = '      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n';
  const gitlab =
    '      provider: gitlab\n      repo: acme/images/api\n      dockerfile: Dockerfile\n      branch: release\n';

  test('GitHub without source.workflow cannot be triggered: the reason names the image', () => {
    expect(triggerRequest(managed(github), endpoints, 'api-k')).toBe('images.yaml names no source.workflow for api');
    expect(triggerRequest(managed(github), endpoints, 'api-k', '', true)).toBe(
      'images.yaml names no source.workflow for api',
    );
  });

  test('GitHub: a workflow dispatch on the configured API', () => {
    const made = triggerRequest(managed(`${github}      workflow: build.yaml\n`), endpoints, 'api-k');
    if (typeof made === 'string') throw new Error(made);
    expect(made.target).toEqual({
      provider: 'github',
      repo: 'acme/api',
      branch: 'main',
      workflow: 'build.yaml',
      inputs: {},
    });
    expect(made.request.url).toBe(
      'https://github.example.com/api/v3/repos/acme/api/actions/workflows/build.yaml/dispatches',
    );
  });

  test('GitLab: a pipeline on the branch, with the declared key and pins as variables; no token, not sent', () => {
    const source = `${gitlab}      triggerKeyInput: factory_key\n      baseImagesInput: factory_bases\n`;
    const made = triggerRequest(managed(source), endpoints, 'api-k', 'node:22=docker-image://x');
    if (typeof made === 'string') throw new Error(made);
    expect(made.target).toEqual({
      provider: 'gitlab',
      repo: 'acme/images/api',
      branch: 'release',
      inputs: { factory_key: 'api-k', factory_bases: 'node:22=docker-image://x' },
    });
    expect(made.request.method).toBe('POST');
    expect(made.request.url).toBe(
      'https://gitlab.example.com/api/v4/projects/acme%2Fimages%2Fapi/pipeline?ref=release',
    );
    expect(JSON.parse(made.request.body ?? 'null')).toEqual({
      variables: [
        { key: 'factory_key', value: 'api-k' },
        { key: 'factory_bases', value: 'node:22=docker-image://x' },
      ],
    });

    const noToken = { ...endpoints, gitlabToken: false };
    expect(triggerRequest(managed(gitlab), noToken, 'api-k')).toBe(
      'no GitLab token: set GITLAB_TOKEN or --gitlab-token-file',
    );
    // A dry run builds the request without a token: nothing is sent.
    const dry = triggerRequest(managed(gitlab), noToken, 'api-k', '', true);
    expect(typeof dry === 'string' ? dry : dry.target.provider).toBe('gitlab');
  });

  test('the pins input is sent empty when there are no pins, never a placeholder', () => {
    const made = triggerRequest(managed(`${gitlab}      baseImagesInput: factory_bases\n`), endpoints, 'api-k');
    if (typeof made === 'string') throw new Error(made);
    expect(made.target.inputs).toEqual({ factory_bases: '' });
  });
});
