/**
 * Looking for a run already started for a claim's key before it is sent again (DESIGN §10 "Delivery"; issue 18,
 * item 3): GitHub lists the workflow's `workflow_dispatch` runs on the branch since the claim and matches the key in
 * the run title its `run-name:` renders; GitLab lists the project's API pipelines on the branch since the claim and
 * matches the key variable. Three honest answers — found, not-found, unknown — against stubs that check each
 * request's documented shape.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  findStartedRun,
  githubRunsRequest,
  gitlabPipelinesRequest,
  gitlabVariablesRequest,
  type RunLookup,
} from '../src/rebuild/forge-runs.js';
import { githubDispatch, gitlabPipeline, sendTrigger, type TriggerEffects } from '../src/rebuild/triggers.js';
import { type GithubStub, type GitlabStub, startGithubStub, startGitlabStub } from './support/forge-stubs.js';

const TOKEN = 'forge-runs-token-never-printed';
const CLAIMED = '2026-11-02T10:00:00Z';
const CLAIMED_MS = Date.parse(CLAIMED);
const KEY = 'api-0123456789abcdef';
const MINUTE = 60_000;

let github: GithubStub;
let gitlab: GitlabStub;
const servers: Server[] = [];

beforeAll(async () => {
  github = await startGithubStub(TOKEN, {
    workflows: {
      'acme/api/build.yaml': {
        name: 'build',
        inputs: ['image_factory_key'],
        runName: 'rebuild ${{ inputs.image_factory_key }}',
      },
      'acme/api/release.yaml': { name: 'release', inputs: ['image_factory_key'] },
    },
    runDetails: 'ignored',
    now: () => CLAIMED_MS + MINUTE,
  });
  gitlab = await startGitlabStub(TOKEN, { now: () => CLAIMED_MS + MINUTE });
});
afterAll(async () => {
  await github?.close();
  await gitlab?.close();
});
afterEach(async () => {
  github.runs.splice(0);
  gitlab.pipelines.splice(0);
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
});

const effects = (sleeps: number[] = []): TriggerEffects => ({
  fetch: (input, init) => fetch(input, init),
  sleep: async (ms) => void sleeps.push(ms),
  now: () => Date.now(),
});

const githubLookup = (overrides: Partial<RunLookup> = {}): RunLookup => ({
  target: { provider: 'github', repo: 'acme/api', branch: 'main', workflow: 'build.yaml' },
  key: KEY,
  claimedAt: CLAIMED,
  ...overrides,
});
const gitlabLookup = (overrides: Partial<RunLookup> = {}): RunLookup => ({
  target: { provider: 'gitlab', repo: 'acme/platform/api', branch: 'main' },
  key: KEY,
  claimedAt: CLAIMED,
  keyVariable: 'IMAGE_FACTORY_KEY',
  ...overrides,
});

describe('the requests', () => {
  test('GitHub: the workflow’s workflow_dispatch runs on the branch created since the claim (less 5 min of clock skew), one page of 100', () => {
    const request = githubRunsRequest('https://ghe.example.com/api/v3/', githubLookup());
    expect(request).toEqual({
      provider: 'github',
      method: 'GET',
      url: 'https://ghe.example.com/api/v3/repos/acme/api/actions/workflows/build.yaml/runs?event=workflow_dispatch&branch=main&created=%3E%3D2026-11-02T09%3A55%3A00Z&per_page=100',
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'image-factory',
      },
      body: null,
    });
  });

  test('GitLab: the project’s API pipelines on the branch updated since the claim; a pipeline’s variables', () => {
    expect(gitlabPipelinesRequest('https://gitlab.example.com/', gitlabLookup()).url).toBe(
      'https://gitlab.example.com/api/v4/projects/acme%2Fplatform%2Fapi/pipelines?ref=main&updated_after=2026-11-02T09%3A55%3A00Z&source=api&per_page=100',
    );
    expect(gitlabVariablesRequest('https://gitlab.example.com', 'acme/platform/api', 42).url).toBe(
      'https://gitlab.example.com/api/v4/projects/acme%2Fplatform%2Fapi/pipelines/42/variables',
    );
    expect(() => gitlabVariablesRequest('https://gitlab.example.com', 'a/b', 0)).toThrow('not an id');
  });
});

describe('GitHub: runs named by the key', () => {
  test('a dispatch whose answer was lost: its run is found by the key in the title run-name renders', async () => {
    // The first sending reached GitHub; the job died before recording the answer.
    await sendTrigger(
      githubDispatch(github.url, { ...githubLookup().target, inputs: { image_factory_key: KEY } }),
      TOKEN,
      effects(),
    );
    const run = github.runs.at(-1);
    expect(run?.display_title).toBe(`rebuild ${KEY}`);
    expect(await findStartedRun(github.url, githubLookup(), TOKEN, effects())).toEqual({
      status: 'found',
      id: String(run?.id),
      url: run?.html_url,
    });
    expect(github.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/repos/acme/api/actions/workflows/build.yaml/runs',
      query: { event: 'workflow_dispatch', branch: 'main', created: '>=2026-11-02T09:55:00Z', per_page: '100' },
    });
    expect(github.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  test('two runs with the key: the earliest', async () => {
    const first = github.startRun('acme/api/build.yaml', 'main', { image_factory_key: KEY }, CLAIMED_MS + MINUTE);
    github.startRun('acme/api/build.yaml', 'main', { image_factory_key: KEY }, CLAIMED_MS + 2 * MINUTE);
    expect(await findStartedRun(github.url, githubLookup(), TOKEN, effects())).toMatchObject({
      status: 'found',
      id: String(first.id),
    });
  });

  test('not found: another key (also one the key is a prefix of), another branch, before the claim, another workflow', async () => {
    github.startRun('acme/api/build.yaml', 'main', { image_factory_key: 'api-fedcba9876543210' });
    github.startRun('acme/api/build.yaml', 'main', { image_factory_key: `${KEY}0` });
    github.startRun('acme/api/build.yaml', 'main', { image_factory_key: `x${KEY}` });
    github.startRun('acme/api/build.yaml', 'release/1.x', { image_factory_key: KEY });
    github.startRun('acme/api/build.yaml', 'main', { image_factory_key: KEY }, CLAIMED_MS - 6 * MINUTE);
    github.startRun('acme/api/release.yaml', 'main', { image_factory_key: KEY });
    expect(await findStartedRun(github.url, githubLookup(), TOKEN, effects())).toEqual({ status: 'not-found' });
  });

  test('a run created up to 5 minutes before the claim (the forge’s clock behind ours) still counts', async () => {
    github.startRun('acme/api/build.yaml', 'main', { image_factory_key: KEY }, CLAIMED_MS - 4 * MINUTE);
    expect(await findStartedRun(github.url, githubLookup(), TOKEN, effects())).toMatchObject({ status: 'found' });
  });

  test('a workflow without run-name: its runs are titled by its name, so nothing can match (not-found)', async () => {
    github.startRun('acme/api/release.yaml', 'main', { image_factory_key: KEY });
    expect(github.runs.at(-1)?.display_title).toBe('release');
    expect(
      await findStartedRun(
        github.url,
        githubLookup({ target: { ...githubLookup().target, workflow: 'release.yaml' } }),
        TOKEN,
        effects(),
      ),
    ).toEqual({ status: 'not-found' });
  });

  test('more runs since the claim than one page, none of the newest 100 with the key: unknown, not not-found', async () => {
    github.startRun('acme/api/build.yaml', 'main', { image_factory_key: KEY });
    for (let i = 0; i < 100; i++) github.startRun('acme/api/build.yaml', 'main', { image_factory_key: `other-${i}` });
    expect(await findStartedRun(github.url, githubLookup(), TOKEN, effects())).toEqual({
      status: 'unknown',
      reason: '101 runs since the claim; the newest 100 do not name the key',
    });
  });
});

describe('GitLab: pipelines carrying the key variable', () => {
  test('a pipeline created whose answer was lost: found by its variables', async () => {
    await sendTrigger(
      gitlabPipeline(gitlab.url, { ...gitlabLookup().target, inputs: { IMAGE_FACTORY_KEY: KEY } }),
      TOKEN,
      effects(),
    );
    const pipeline = gitlab.pipelines.at(-1);
    expect(await findStartedRun(gitlab.url, gitlabLookup(), TOKEN, effects())).toEqual({
      status: 'found',
      id: String(pipeline?.id),
      url: pipeline?.web_url,
    });
    expect(gitlab.requests.slice(-2).map((r) => [r.method, r.path, r.query])).toEqual([
      [
        'GET',
        '/api/v4/projects/acme%2Fplatform%2Fapi/pipelines',
        { ref: 'main', updated_after: '2026-11-02T09:55:00Z', source: 'api', per_page: '100' },
      ],
      ['GET', `/api/v4/projects/acme%2Fplatform%2Fapi/pipelines/${pipeline?.id}/variables`, {}],
    ]);
    expect(gitlab.requests.at(-1)?.headers['private-token']).toBe(TOKEN);
  });

  test('not found: another key, the key in another variable, another ref, before the claim, a push pipeline', async () => {
    gitlab.startPipeline('acme/platform/api', 'main', { IMAGE_FACTORY_KEY: 'api-fedcba9876543210' });
    gitlab.startPipeline('acme/platform/api', 'main', { OTHER: KEY });
    gitlab.startPipeline('acme/platform/api', 'develop', { IMAGE_FACTORY_KEY: KEY });
    gitlab.startPipeline(
      'acme/platform/api',
      'main',
      { IMAGE_FACTORY_KEY: KEY },
      { createdAt: CLAIMED_MS - 6 * MINUTE },
    );
    gitlab.startPipeline('acme/platform/api', 'main', { IMAGE_FACTORY_KEY: KEY }, { source: 'push' });
    gitlab.startPipeline('acme/other', 'main', { IMAGE_FACTORY_KEY: KEY });
    expect(await findStartedRun(gitlab.url, gitlabLookup(), TOKEN, effects())).toEqual({ status: 'not-found' });
  });

  test('no key variable named (images.yaml has no triggerKeyInput): unknown, saying why; nothing asked', async () => {
    const before = gitlab.requests.length;
    const { keyVariable: _, ...lookup } = gitlabLookup();
    expect(await findStartedRun(gitlab.url, lookup, TOKEN, effects())).toEqual({
      status: 'unknown',
      reason: 'no key variable (images.yaml source.triggerKeyInput): a pipeline cannot be matched to the key',
    });
    expect(gitlab.requests.length).toBe(before);
  });
});

describe('unknown, honestly', () => {
  async function listen(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void) {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  test('a wrong token: the forge’s 401', async () => {
    expect(await findStartedRun(github.url, githubLookup(), 'wrong-token', effects())).toEqual({
      status: 'unknown',
      reason: 'HTTP 401: Bad credentials',
    });
    expect(await findStartedRun(gitlab.url, gitlabLookup(), 'wrong-token', effects())).toEqual({
      status: 'unknown',
      reason: 'HTTP 401: 401 Unauthorized',
    });
  });

  test('5xx four times: unknown after 1 s / 2 s / 4 s', async () => {
    github.answers.push({ status: 502 }, { status: 502 }, { status: 503 }, { status: 502 });
    const sleeps: number[] = [];
    expect(await findStartedRun(github.url, githubLookup(), TOKEN, effects(sleeps))).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('HTTP 502'),
    });
    expect(sleeps).toEqual([1000, 2000, 4000]);
  });

  test('a redirect: not followed, the other host gets no request', async () => {
    const elsewhere: string[] = [];
    const other = await listen((req, res) => {
      elsewhere.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"total_count":0,"workflow_runs":[]}');
    });
    const url = await listen((req, res) => {
      res.writeHead(302, { location: `${other}${req.url}` });
      res.end();
    });
    expect(await findStartedRun(url, githubLookup(), TOKEN, effects())).toMatchObject({
      status: 'unknown',
      reason: expect.stringMatching(
        /^the forge answered 302 to http:\/\/127\.0\.0\.1:\d+\/repos\/.*redirects are not followed/,
      ),
    });
    expect(elsewhere).toEqual([]);
  });

  test('an answer that is not a runs list, not JSON, or that echoes the token', async () => {
    const url = await listen((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url?.includes('branch=main') ? '{"workflow_runs": "many"}' : 'not json');
    });
    expect(await findStartedRun(url, githubLookup(), TOKEN, effects())).toEqual({
      status: 'unknown',
      reason: 'the runs list is not in GitHub’s shape',
    });
    expect(
      await findStartedRun(
        url,
        githubLookup({ target: { ...githubLookup().target, branch: 'dev' } }),
        TOKEN,
        effects(),
      ),
    ).toEqual({ status: 'unknown', reason: 'the answer is not JSON' });
    const echo = await listen((req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`forbidden: ${req.headers.authorization}`);
    });
    const answer = await findStartedRun(echo, githubLookup(), TOKEN, effects());
    expect(answer).toEqual({ status: 'unknown', reason: 'HTTP 403: forbidden: Bearer ***' });
  });

  test('a claim time that is no instant: unknown, nothing asked', async () => {
    const before = github.requests.length;
    expect(
      await findStartedRun(github.url, githubLookup({ claimedAt: '2026-02-30T00:00:00Z' }), TOKEN, effects()),
    ).toEqual({
      status: 'unknown',
      reason: 'the claim time "2026-02-30T00:00:00Z" is not an instant',
    });
    expect(github.requests.length).toBe(before);
  });
});

describe('the stubs refuse what the services refuse', () => {
  const get = (url: string, headers: Record<string, string>) =>
    fetch(url, { headers }).then(async (r) => [r.status, await r.json()]);
  const githubHeaders = {
    authorization: `Bearer ${TOKEN}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
  };

  test('GitHub: an unknown workflow is 404; a created filter that is no date is refused', async () => {
    expect(await get(`${github.url}/repos/acme/api/actions/workflows/nope.yaml/runs`, githubHeaders)).toEqual([
      404,
      expect.objectContaining({ message: 'Not Found' }),
    ]);
    expect(
      (await get(`${github.url}/repos/acme/api/actions/workflows/build.yaml/runs?created=yesterday`, githubHeaders))[0],
    ).toBe(400);
  });

  test('GitLab: an unknown source and an unreadable updated_after are 400 with GitLab’s error', async () => {
    const headers = { 'private-token': TOKEN };
    expect(await get(`${gitlab.url}/api/v4/projects/a%2Fb/pipelines?source=cron`, headers)).toEqual([
      400,
      { error: 'source does not have a valid value' },
    ]);
    expect(await get(`${gitlab.url}/api/v4/projects/a%2Fb/pipelines?updated_after=last-week`, headers)).toEqual([
      400,
      { error: 'updated_after is invalid' },
    ]);
  });
});
