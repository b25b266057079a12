/**
 * A trigger sent to a forge that misbehaves (issue 18, "Secrets never leave the process"): one that echoes the
 * request's credentials in its answer, one that answers 400 MB, one that redirects to another host, one that stops
 * sending halfway. The outcome — which the rebuild job commits to git — never holds the token, the answer is read
 * only up to 64 KiB, the token never reaches a host it was not configured for, and the timeout covers the body.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { clearSecrets } from '../src/log/redact.js';
import {
  githubDispatch,
  gitlabPipeline,
  MAX_ANSWER_BYTES,
  sendTrigger,
  type TriggerEffects,
  type TriggerOutcome,
} from '../src/rebuild/triggers.js';

/** Not registered anywhere: sendTrigger must redact what it sent on its own. */
const TOKEN = 'glpat-Tk9xQ2mZ7vB4nR8sW1eY';
const OTHER = 'ghp_0123456789abcdefABCDEF0123456789abcd';

const servers: Server[] = [];
afterEach(async () => {
  clearSecrets();
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

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const effects = (sleeps: number[] = [], timeoutMs?: number): TriggerEffects => ({
  fetch: (input, init) => fetch(input, init),
  sleep: async (ms) => void sleeps.push(ms),
  now: () => Date.now(),
  ...(timeoutMs === undefined ? {} : { timeoutMs }),
});

const github = (url: string) =>
  githubDispatch(url, { provider: 'github', repo: 'acme/api', branch: 'main', workflow: 'build.yaml' });
const gitlab = (url: string) => gitlabPipeline(url, { provider: 'gitlab', repo: 'acme/api', branch: 'main' });

/** Every text an outcome carries (what the job records and prints). */
const texts = (outcome: TriggerOutcome) => JSON.stringify(outcome);

/** The request's headers, as a server that echoes them would write them (the credential first). */
const headerDump = (req: IncomingMessage) =>
  Object.entries(req.headers)
    .sort(
      ([a], [b]) =>
        Number(b === 'authorization' || b === 'private-token') - Number(a === 'authorization' || a === 'private-token'),
    )
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join('\n');

describe('a forge that echoes the credentials', () => {
  test.each([
    ['GitHub (Authorization: Bearer)', github],
    ['GitLab (PRIVATE-TOKEN)', gitlab],
  ])('%s: a 401 echoing the request headers as text', async (_, build) => {
    const url = await listen((req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end(`401 Unauthorized. You sent:\n${headerDump(req)}`);
    });
    const outcome = await sendTrigger(build(url), TOKEN, effects());
    expect(outcome).toMatchObject({ status: 'failed', httpStatus: 401 });
    expect(texts(outcome)).toContain('401 Unauthorized');
    expect(texts(outcome)).not.toContain(TOKEN);
    expect(texts(outcome)).not.toContain(TOKEN.slice(0, 12));
  });

  test('a JSON refusal whose message quotes the Authorization header, and another credential it holds', async () => {
    const url = await listen((req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          message: `Forbidden for "authorization: ${req.headers.authorization}" (also tried token ${OTHER})`,
        }),
      );
    });
    const outcome = await sendTrigger(github(url), TOKEN, effects());
    expect(outcome).toMatchObject({ status: 'failed', httpStatus: 403 });
    expect(outcome.status === 'failed' && outcome.message).toBe(
      'Forbidden for "authorization: ***" (also tried token ***)',
    );
  });

  test('a 502 echoing PRIVATE-TOKEN: the transient message is redacted too', async () => {
    const url = await listen((req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bad gateway; upstream got private-token=${String(req.headers['private-token'])}`);
    });
    const outcome = await sendTrigger(gitlab(url), TOKEN, effects());
    expect(outcome).toMatchObject({ status: 'transient', attempts: 4 });
    expect(texts(outcome)).toContain('bad gateway');
    expect(texts(outcome)).not.toContain(TOKEN);
  });

  test("a 201 whose pipeline URL carries the token: the run's URL is redacted", async () => {
    const url = await listen((req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 7, web_url: `https://gitlab.example.com/p/7?t=${req.headers['private-token']}` }));
    });
    const outcome = await sendTrigger(gitlab(url), TOKEN, effects());
    expect(outcome).toMatchObject({ status: 'triggered', run: { id: '7' } });
    expect(texts(outcome)).not.toContain(TOKEN);
  });
});

describe('a forge that answers 400 MB', () => {
  const HUGE = 400 * 1024 * 1024;

  /** A server streaming `status` with a 400 MB body, honouring backpressure; `sent` counts what the socket took. */
  async function hugeAnswer(status: number): Promise<{ url: string; sent: () => number; finished: Promise<void> }> {
    let sent = 0;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const chunk = Buffer.alloc(64 * 1024, '{"message":"aaaaaaaaaaaaaaaa');
    const url = await listen((_, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.on('close', finish);
      const pump = () => {
        while (sent < HUGE && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    return { url, sent: () => sent, finished };
  }

  test.each([401, 200, 502])('HTTP %i: read up to 64 KiB, the rest cancelled, memory stays small', async (status) => {
    const server = await hugeAnswer(status);
    const before = process.memoryUsage().rss;
    const outcome = await sendTrigger(github(server.url), TOKEN, effects());
    const grown = process.memoryUsage().rss - before;
    await server.finished;
    expect(outcome.status).toBe(status === 401 ? 'failed' : status === 200 ? 'triggered' : 'transient');
    // The client closed the connection: the server could not push the 400 MB (socket buffers hold a few MB).
    expect(server.sent()).toBeLessThan(64 * 1024 * 1024);
    expect(grown).toBeLessThan(100 * 1024 * 1024);
    if (outcome.status === 'failed') expect(outcome.message.length).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
  });
});

describe('a forge that redirects', () => {
  test.each([
    ['GitHub', 302, github],
    ['GitHub', 307, github],
    ['GitLab', 307, gitlab],
    ['GitLab', 301, gitlab],
  ])(
    '%s answering %i: not followed, failed naming the Location; the other host gets no request',
    async (_, code, build) => {
      const elsewhere: IncomingMessage[] = [];
      const other = await listen((req, res) => {
        elsewhere.push(req);
        res.writeHead(204);
        res.end();
      });
      const url = await listen((_, res) => {
        res.writeHead(code, { location: `${other}/collect` });
        res.end();
      });
      const outcome = await sendTrigger(build(url), TOKEN, effects());
      expect(outcome).toEqual({
        status: 'failed',
        httpStatus: code,
        attempts: 1,
        message: `the forge answered ${code} to ${other}/collect: redirects are not followed with a token`,
      });
      expect(elsewhere).toEqual([]);
    },
  );

  test('a Location with credentials in it is redacted in the message', async () => {
    const url = await listen((_, res) => {
      res.writeHead(302, { location: 'https://bot:hunter2@evil.example/x' });
      res.end();
    });
    const outcome = await sendTrigger(github(url), TOKEN, effects());
    expect(outcome.status === 'failed' && outcome.message).toBe(
      'the forge answered 302 to https://***@evil.example/x: redirects are not followed with a token',
    );
  });
});

describe('a forge that stops sending, or answers late', () => {
  test('headers then half a body then nothing: the timeout covers the body; the POST may have arrived: sent once, unknown', async () => {
    let requests = 0;
    const url = await listen((_, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"workflow_run_id": 1');
    });
    const sleeps: number[] = [];
    const outcome = await sendTrigger(github(url), TOKEN, effects(sleeps, 200));
    expect(outcome).toEqual({
      status: 'unknown',
      attempts: 1,
      message: 'no answer within 200 ms: it may have been received',
    });
    expect(requests).toBe(1);
    expect(sleeps).toEqual([]);
  });

  test('a forge that accepts but answers after the timeout starts one run, not one per attempt', async () => {
    let requests = 0;
    const url = await listen((req, res) => {
      requests += 1;
      req.resume();
      setTimeout(() => {
        res.writeHead(204);
        res.end();
      }, 600);
    });
    const outcome = await sendTrigger(github(url), TOKEN, effects([], 200));
    expect(outcome.status).toBe('unknown');
    expect(requests).toBe(1);
  });

  test('a refused connection never reached the forge: retried 1 s / 2 s / 4 s, then transient', async () => {
    // A port that was just free: nothing listens there, so the connection is refused before anything is sent.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((resolve) => probe.close(resolve));
    const sleeps: number[] = [];
    const outcome = await sendTrigger(github(closed), TOKEN, effects(sleeps, 200));
    expect(outcome).toMatchObject({ status: 'transient', attempts: 4 });
    expect(sleeps).toEqual([1000, 2000, 4000]);
  });
});
