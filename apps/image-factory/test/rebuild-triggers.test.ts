/**
 * Rebuild triggers against stubs of GitHub's and GitLab's APIs that check each request's documented shape:
 * the exact request, the token only in its header, retries 1 s / 2 s / 4 s (recorded, not waited), Retry-After,
 * the forge's own message on a refusal, the inputs a workflow declares (GitHub refuses others), and the run the
 * forge reports (GitHub's `return_run_details`, GitLab's pipeline).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { githubDispatch, gitlabPipeline, sendTrigger, type TriggerEffects } from '../src/rebuild/triggers.js';
import { type GithubStub, type GitlabStub, startGithubStub, startGitlabStub } from './support/forge-stubs.js';

const TOKEN = 'ghp_test-token-never-printed';
let github: GithubStub;
let gitlab: GitlabStub;

beforeAll(async () => {
  github = await startGithubStub(TOKEN, {
    workflows: {
      'acme/api/build.yaml': { inputs: ['image-factory-key', 'reason'] },
      'acme/api/b.yaml': {},
      'a/b/b.yaml': {},
    },
  });
  gitlab = await startGitlabStub(TOKEN);
});
afterAll(async () => {
  await github?.close();
  await gitlab?.close();
});

function effects(sleeps: number[]): TriggerEffects {
  return {
    fetch: (input, init) => fetch(input, init),
    sleep: async (ms) => void sleeps.push(ms),
    now: () => Date.now(),
  };
}

describe('GitHub workflow_dispatch', () => {
  test('the request: path, headers, {"ref", "return_run_details"} without inputs when none are declared; the run GitHub started is recorded', async () => {
    const request = githubDispatch(github.url, {
      provider: 'github',
      repo: 'acme/api',
      branch: 'main',
      workflow: 'build.yaml',
    });
    expect(request).toEqual({
      provider: 'github',
      method: 'POST',
      url: `${github.url}/repos/acme/api/actions/workflows/build.yaml/dispatches`,
      headers: {
        accept: 'application/vnd.github+json',
        'content-type': 'application/json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'image-factory',
      },
      body: '{"ref":"main","return_run_details":true}',
    });
    expect(JSON.stringify(request)).not.toContain(TOKEN);
    const outcome = await sendTrigger(request, TOKEN, effects([]));
    const run = github.runs.at(-1);
    expect(outcome).toEqual({
      status: 'triggered',
      httpStatus: 200,
      attempts: 1,
      detail: run?.html_url,
      run: { id: String(run?.id), url: run?.html_url },
    });
    expect(github.requests.at(-1)?.body).toEqual({ ref: 'main', return_run_details: true });
  });

  test('declared inputs are sent as strings', async () => {
    const request = githubDispatch(`${github.url}/`, {
      provider: 'github',
      repo: 'acme/api',
      branch: 'release/1.x',
      workflow: 'build.yaml',
      inputs: { 'image-factory-key': 'k-123', reason: 'node:22 sha256:abc' },
    });
    expect(await sendTrigger(request, TOKEN, effects([]))).toMatchObject({ status: 'triggered' });
    expect(github.requests.at(-1)?.body).toEqual({
      ref: 'release/1.x',
      inputs: { 'image-factory-key': 'k-123', reason: 'node:22 sha256:abc' },
      return_run_details: true,
    });
  });

  test("an input the workflow does not declare: GitHub's 422, recorded as failed with its message", async () => {
    const request = githubDispatch(github.url, {
      provider: 'github',
      repo: 'acme/api',
      branch: 'main',
      workflow: 'b.yaml',
      inputs: { 'image-factory-key': 'k-9' },
    });
    expect(await sendTrigger(request, TOKEN, effects([]))).toEqual({
      status: 'failed',
      httpStatus: 422,
      attempts: 1,
      message: 'Unexpected inputs provided: ["image-factory-key"]',
    });
  });

  test('a GitHub that answers 204 (return_run_details ignored) is triggered without a run', async () => {
    const older = await startGithubStub(TOKEN, { runDetails: 'ignored' });
    try {
      const outcome = await sendTrigger(
        githubDispatch(older.url, { provider: 'github', repo: 'a/b', branch: 'main', workflow: 'b.yaml' }),
        TOKEN,
        effects([]),
      );
      expect(outcome).toEqual({ status: 'triggered', httpStatus: 204, attempts: 1, detail: null });
    } finally {
      await older.close();
    }
  });

  test('a GitHub Enterprise Server that refuses return_run_details: the same dispatch is sent once without it', async () => {
    const older = await startGithubStub(TOKEN, {
      runDetails: 'unsupported',
      workflows: { 'a/b/b.yaml': { inputs: ['k'] } },
    });
    try {
      const outcome = await sendTrigger(
        githubDispatch(older.url, {
          provider: 'github',
          repo: 'a/b',
          branch: 'main',
          workflow: 'b.yaml',
          inputs: { k: 'v' },
        }),
        TOKEN,
        effects([]),
      );
      expect(outcome).toEqual({ status: 'triggered', httpStatus: 204, attempts: 2, detail: null });
      expect(older.requests.map((r) => r.body)).toEqual([
        { ref: 'main', inputs: { k: 'v' }, return_run_details: true },
        { ref: 'main', inputs: { k: 'v' } },
      ]);
      expect(older.runs).toHaveLength(1);
    } finally {
      await older.close();
    }
  });

  test("422 is a permanent failure carrying GitHub's message, not retried", async () => {
    github.answers.push({
      status: 422,
      body: { message: 'Unexpected inputs provided: ["reason"]', documentation_url: 'https://docs.github.com' },
    });
    const sleeps: number[] = [];
    const outcome = await sendTrigger(
      githubDispatch(github.url, { provider: 'github', repo: 'acme/api', branch: 'main', workflow: 'b.yaml' }),
      TOKEN,
      effects(sleeps),
    );
    expect(outcome).toEqual({
      status: 'failed',
      httpStatus: 422,
      attempts: 1,
      message: 'Unexpected inputs provided: ["reason"]',
    });
    expect(sleeps).toEqual([]);
  });

  test('502 is retried after 1 s, 2 s, 4 s; four failures leave it transient (due for the next sweep)', async () => {
    const sleeps: number[] = [];
    github.answers.push({ status: 502 }, { status: 502 }, { status: 502 }, { status: 502 });
    const outcome = await sendTrigger(
      githubDispatch(github.url, { provider: 'github', repo: 'acme/api', branch: 'main', workflow: 'b.yaml' }),
      TOKEN,
      effects(sleeps),
    );
    expect(outcome).toMatchObject({ status: 'transient', attempts: 4 });
    expect(sleeps).toEqual([1000, 2000, 4000]);
    github.answers.push({ status: 503 });
    expect(
      await sendTrigger(
        githubDispatch(github.url, { provider: 'github', repo: 'acme/api', branch: 'main', workflow: 'b.yaml' }),
        TOKEN,
        effects([]),
      ),
    ).toMatchObject({ status: 'triggered', attempts: 2 });
  });

  test('429 waits for Retry-After; one longer than a minute is not waited for', async () => {
    const sleeps: number[] = [];
    github.answers.push({ status: 429, headers: { 'retry-after': '7' } });
    expect(
      await sendTrigger(
        githubDispatch(github.url, { provider: 'github', repo: 'a/b', branch: 'main', workflow: 'b.yaml' }),
        TOKEN,
        effects(sleeps),
      ),
    ).toMatchObject({ status: 'triggered', attempts: 2 });
    expect(sleeps).toEqual([7000]);
    github.answers.push({ status: 429, headers: { 'retry-after': '3600' } });
    const outcome = await sendTrigger(
      githubDispatch(github.url, { provider: 'github', repo: 'a/b', branch: 'main', workflow: 'b.yaml' }),
      TOKEN,
      effects([]),
    );
    expect(outcome).toMatchObject({ status: 'transient', attempts: 1 });
    expect(outcome.status === 'transient' && outcome.message).toContain('Retry-After 3600 s');
  });

  test("GitHub's rate limits (403 or 429 saying so) end transient at once, never retried on the backoff; another 403 is a refusal", async () => {
    const send = (sleeps: number[]) =>
      sendTrigger(
        githubDispatch(github.url, { provider: 'github', repo: 'a/b', branch: 'main', workflow: 'b.yaml' }),
        TOKEN,
        effects(sleeps),
      );
    // The primary limit used up: 403 with x-ratelimit-remaining 0 (its reset is an hour away at most: not waited).
    const sleeps: number[] = [];
    github.answers.push({
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1800) },
      body: {
        message: 'API rate limit exceeded for user ID 1.',
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      },
    });
    const primary = await send(sleeps);
    expect(primary).toEqual({
      status: 'transient',
      attempts: 1,
      message: 'HTTP 403: API rate limit exceeded for user ID 1. (rate limited: not sent again in this run)',
      rateLimited: true,
    });
    // A secondary limit, said only in the message (the primary limit has requests left).
    github.answers.push({
      status: 403,
      headers: { 'x-ratelimit-remaining': '4000' },
      body: {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID E198:4063:33BD6:375FF:652AAB04.',
      },
    });
    expect(await send(sleeps)).toMatchObject({ status: 'transient', attempts: 1, rateLimited: true });
    github.answers.push({ status: 429, body: { message: 'You have exceeded a secondary rate limit.' } });
    expect(await send(sleeps)).toMatchObject({ status: 'transient', attempts: 1, rateLimited: true });
    expect(sleeps).toEqual([]);
    // A limit that says how long to wait is waited out (up to a minute), then sent again.
    github.answers.push({ status: 403, headers: { 'retry-after': '30' }, body: { message: 'secondary rate limit' } });
    expect(await send(sleeps)).toMatchObject({ status: 'triggered', attempts: 2 });
    expect(sleeps).toEqual([30_000]);
    // A 403 that is not a rate limit is GitHub refusing the token's permissions: a refusal, not retried.
    github.answers.push({ status: 403, body: { message: 'Resource not accessible by integration' } });
    expect(await send([])).toEqual({
      status: 'failed',
      httpStatus: 403,
      attempts: 1,
      message: 'Resource not accessible by integration',
    });
  });

  test('nothing listening: transient, with the system error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await sendTrigger(
      githubDispatch(`http://127.0.0.1:${port}`, {
        provider: 'github',
        repo: 'a/b',
        branch: 'main',
        workflow: 'b.yaml',
      }),
      TOKEN,
      effects([]),
    );
    expect(outcome).toMatchObject({ status: 'transient', attempts: 4 });
    expect(outcome.status === 'transient' && outcome.message).toContain('ECONNREFUSED');
  });
});

describe('GitLab pipeline', () => {
  test('the request: URL-encoded project path, ?ref=, PRIVATE-TOKEN, no body without variables; 201 is triggered', async () => {
    const request = gitlabPipeline(gitlab.url, { provider: 'gitlab', repo: 'acme/platform/docs', branch: 'main' });
    expect(request.url).toBe(`${gitlab.url}/api/v4/projects/acme%2Fplatform%2Fdocs/pipeline?ref=main`);
    expect(request.body).toBeNull();
    const outcome = await sendTrigger(request, TOKEN, effects([]));
    expect(outcome).toMatchObject({
      status: 'triggered',
      httpStatus: 201,
      detail: gitlab.pipelines.at(-1)?.web_url,
      run: { id: String(gitlab.pipelines.at(-1)?.id), url: gitlab.pipelines.at(-1)?.web_url },
    });
    expect(gitlab.pipelines.at(-1)).toMatchObject({ project: 'acme/platform/docs', ref: 'main', source: 'api' });
    expect(gitlab.requests.at(-1)).toMatchObject({
      path: '/api/v4/projects/acme%2Fplatform%2Fdocs/pipeline',
      query: { ref: 'main' },
    });
    expect(gitlab.requests.at(-1)?.headers.authorization).toBeUndefined();
  });

  test("GitLab's rate limit (429): waited out when it says how long, else transient at once", async () => {
    const request = gitlabPipeline(gitlab.url, { provider: 'gitlab', repo: 'acme/docs', branch: 'main' });
    const sleeps: number[] = [];
    gitlab.answers.push({ status: 429, body: { message: 'Retry later' } });
    expect(await sendTrigger(request, TOKEN, effects(sleeps))).toMatchObject({
      status: 'transient',
      attempts: 1,
      rateLimited: true,
    });
    gitlab.answers.push({ status: 429, headers: { 'retry-after': '2' }, body: { message: 'Retry later' } });
    expect(await sendTrigger(request, TOKEN, effects(sleeps))).toMatchObject({ status: 'triggered', attempts: 2 });
    expect(sleeps).toEqual([2000]);
  });

  test('declared variables as [{key, value}]; a 400 with a field map keeps the map', async () => {
    const request = gitlabPipeline(gitlab.url, {
      provider: 'gitlab',
      repo: 'acme/docs',
      branch: 'main',
      inputs: { IMAGE_FACTORY_KEY: 'k-1' },
    });
    expect(await sendTrigger(request, TOKEN, effects([]))).toMatchObject({ status: 'triggered' });
    expect(gitlab.requests.at(-1)?.body).toEqual({ variables: [{ key: 'IMAGE_FACTORY_KEY', value: 'k-1' }] });
    gitlab.answers.push({ status: 400, body: { message: { base: ['Reference not found'] } } });
    expect(await sendTrigger(request, TOKEN, effects([]))).toEqual({
      status: 'failed',
      httpStatus: 400,
      attempts: 1,
      message: '{"base":["Reference not found"]}',
    });
  });
});
