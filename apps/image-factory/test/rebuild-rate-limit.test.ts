/**
 * A rebuild wave meets GitHub's rate limit (docs.github.com, "Rate limits for the REST API": a primary or secondary
 * limit is answered 403 or 429, saying so; clients are asked to wait, not to press on): six images on one base are
 * due at once, and GitHub refuses the dispatches for its secondary rate limit. Nothing is lost and GitHub is not
 * pressed: GitHub is called one call at a time (its REST API best practices), the refused call ends transient, the
 * others are not made, all six stay due under the same keys, and the next sweep triggers each once. A real GitOps
 * remote and registry, the GitHub stub.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGithubStub } from './support/forge-stubs.js';
import { createRemote } from './support/git-repos.js';
import { analyze } from './support/gitops-fixtures.js';
import { baseRecord, copyOf, onlyBaseName, rebuildRunner } from './support/rebuild-world.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

const TOKEN = 'forge-token-never-printed';
const IMAGES = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
let registry: TestRegistry;
let template: string;
let config: string;
let node: Pushed;

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  node = await pushImage(registry, 'base/node', '22', { created: '2026-11-01T00:00:00Z', layer: 'a' });
  const entry = (name: string) =>
    `  - name: ${name}\n    registry: ${registry.host}\n    repository: acme/${name}\n    rebuildDelay: "0"\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: apps/${name}/Dockerfile\n      workflow: build.yaml\n      triggerKeyInput: factory-key\n`;
  const files: Record<string, string> = { 'images.yaml': `images:\n${IMAGES.map(entry).join('')}` };
  for (const name of IMAGES) files[`apps/${name}/Dockerfile`] = `FROM ${registry.host}/base/node:22\n`;
  template = createRemote(files);
  for (const name of IMAGES) {
    const built = await pushImage(registry, `acme/${name}`, '1.0', { created: '2026-10-01T00:00:00Z', layer: name });
    const analysed = await analyze(template, name, '1.0', built.digest);
    expect(analysed.stderr).not.toContain('error');
  }
}, 120_000);

/** A copy of the template remote for one test. */
const copyRemote = () => copyOf(template, 'if-rate-limit-');

/** `rebuild … --json` against `remote` and the GitHub API at `githubUrl`; exit 0 expected, no token printed. */
async function rebuildOn(remote: string, githubUrl: string, ...args: string[]) {
  const run = rebuildRunner({ remote, registryConfig: config, registryHost: registry.host, githubUrl, token: TOKEN });
  const result = await run(...args);
  expect(result.status, result.stderr).toBe(0);
  expect(`${result.stdout}${result.stderr}`).not.toContain(TOKEN);
  return result.json;
}

const recordOf = (remote: string) => baseRecord(remote, onlyBaseName(remote));

afterAll(async () => {
  await registry?.stop();
});

/** GitHub's answer to a dispatch over its secondary rate limit (no Retry-After: wait at least a minute). */
const SECONDARY_LIMIT = {
  status: 403,
  headers: { 'x-ratelimit-remaining': '4000' },
  body: {
    message:
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID E198:4063:33BD6:375FF:652AAB04.',
    documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
  },
};

describe("a wave over GitHub's rate limit", () => {
  test('one call at a time: the refused one ends transient, the rest are not made; all stay due under their keys; the next sweep sends each once', async () => {
    const github = await startGithubStub(TOKEN, {
      workflows: Object.fromEntries(IMAGES.map((n) => [`acme/${n}/build.yaml`, { inputs: ['factory-key'] }])),
    });
    try {
      const remote = copyRemote();
      const run = (...args: string[]) => rebuildOn(remote, github.url, ...args);
      const base = onlyBaseName(remote);
      // Every dispatch GitHub gets in this run is refused for the secondary limit.
      github.answers.push(...IMAGES.map(() => SECONDARY_LIMIT));
      const limited = await run('--base', base, '--digest', node.digest, '--now', '2026-11-02T00:00:00Z');
      expect(limited.triggers).toHaveLength(6);
      const statuses = limited.triggers.map((t: { outcome: { status: string } }) => t.outcome.status);
      expect(statuses).toEqual(IMAGES.map(() => 'transient'));
      // --json marks each as caused by the rate limit (refused, or held back after a refusal).
      expect(limited.triggers.map((t: { outcome: { rateLimited?: boolean } }) => t.outcome.rateLimited)).toEqual(
        IMAGES.map(() => true),
      );
      // GitHub is called one call at a time: the first dispatch was refused, the other five were never made.
      const dispatched = github.requests.filter((r) => r.method === 'POST');
      expect(dispatched).toHaveLength(1);
      const messages = limited.triggers.map((t: { outcome: { message: string } }) => t.outcome.message);
      expect(
        messages.filter((m: string) => m.startsWith('HTTP 403: You have exceeded a secondary rate limit')),
      ).toHaveLength(1);
      expect(messages.filter((m: string) => m.startsWith('not sent: GitHub refused an earlier call'))).toHaveLength(5);
      expect(github.runs).toEqual([]);
      // Recorded transient, and due again at once with the same decision (the same keys).
      const keys = limited.triggers.map((t: { key: string }) => t.key).sort();
      const record = recordOf(remote);
      expect(record.claims).toBeUndefined();
      expect(record.history.map((h: { result: string }) => h.result)).toEqual(IMAGES.map(() => 'transient'));
      expect(record.pending.map((p: { image: string; due: string }) => [p.image, p.due])).toEqual(
        IMAGES.map((n) => [n, '2026-11-02T00:00:00Z']),
      );

      // The limit has passed (the answers left for the calls never made are dropped): the next sweep sends each
      // once, with the keys of the first claims.
      expect(github.answers.splice(0)).toHaveLength(5);
      const sweep = await run('--due', '--now', '2026-11-02T01:00:00Z');
      expect(sweep.triggers.map((t: { outcome: { status: string } }) => t.outcome.status)).toEqual(
        IMAGES.map(() => 'triggered'),
      );
      expect(sweep.triggers.map((t: { key: string }) => t.key).sort()).toEqual(keys);
      const sent = github.requests.filter((r) => r.method === 'POST').slice(1);
      expect(sent.map((r) => (r.body as { inputs: Record<string, string> }).inputs['factory-key']).sort()).toEqual(
        keys,
      );
      expect(github.runs).toHaveLength(6);
    } finally {
      await github.close();
    }
  }, 60_000);

  test('a claim whose answer was lost is not sent again while the look-up for its run is rate-limited', async () => {
    const remote = copyRemote();
    // The first sends reach a server that drops the connection after the request: each may have arrived, so each
    // stays claimed (its answer unknown), to be looked for after the claim timeout.
    const dropper = createServer((request) => {
      request.resume();
      request.on('end', () => request.socket.destroy());
    });
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    const github = await startGithubStub(TOKEN, {
      workflows: Object.fromEntries(IMAGES.map((n) => [`acme/${n}/build.yaml`, { inputs: ['factory-key'] }])),
    });
    try {
      const dropped = `http://127.0.0.1:${(dropper.address() as AddressInfo).port}`;
      const first = await rebuildOn(
        remote,
        dropped,
        '--base',
        onlyBaseName(remote),
        '--digest',
        node.digest,
        '--now',
        '2026-11-02T00:00:00Z',
      );
      expect(first.triggers.map((t: { outcome: { status: string } }) => t.outcome.status)).toEqual(
        IMAGES.map(() => 'unknown'),
      );
      const keys = first.triggers.map((t: { key: string }) => t.key).sort();
      expect(
        recordOf(remote)
          .claims.map((c: { key: string }) => c.key)
          .sort(),
      ).toEqual(keys);

      // Past the claim timeout, GitHub refuses the look-ups for its rate limit: nothing is sent, the claims stay.
      github.answers.push(...IMAGES.map(() => SECONDARY_LIMIT));
      const limited = await rebuildOn(remote, github.url, '--due', '--now', '2026-11-02T03:00:00Z');
      expect(github.requests.filter((r) => r.method === 'POST')).toEqual([]);
      // One look-up at a time: the first was refused, the other five were held back.
      expect(github.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
      expect(limited.triggers.map((t: { outcome: unknown }) => t.outcome)).toEqual(IMAGES.map(() => null));
      const held = recordOf(remote);
      expect(held.claims.map((c: { key: string }) => c.key).sort()).toEqual(keys);
      expect(held.history ?? []).toEqual([]);

      // Past the timeout again, with the limit gone: each is looked for, not found, and sent once with its key.
      expect(github.answers.splice(0)).toHaveLength(5);
      const sent = await rebuildOn(remote, github.url, '--due', '--now', '2026-11-02T06:00:00Z');
      expect(sent.triggers.map((t: { outcome: { status: string } }) => t.outcome.status)).toEqual(
        IMAGES.map(() => 'triggered'),
      );
      const posts = github.requests.filter((r) => r.method === 'POST');
      expect(posts.map((r) => (r.body as { inputs: Record<string, string> }).inputs['factory-key']).sort()).toEqual(
        keys,
      );
      expect(recordOf(remote).claims).toBeUndefined();
    } finally {
      await github.close();
      await new Promise((resolve) => dropper.close(resolve));
    }
  }, 60_000);
});
