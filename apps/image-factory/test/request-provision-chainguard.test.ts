/**
 * The Chainguard registry API client of `request provision` (issue 23 item 4), against a stub that checks every
 * request against the SDK's `Registry` service (registry.platform.proto and its grpc-gateway mapping): list the
 * parent's repositories of the name, then create it (`POST /registry/v1/repos/{parent}` with the `Repo` body and
 * `prevent_existing`); an existing repository is already provided, RESOURCE_EXHAUSTED is the entitlement limit,
 * transient failures are retried after 1 s / 2 s / 4 s (recorded, not waited), the token goes to the API only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { type ChainguardEffects, provisionRepository, repositoryNameOf } from '../src/requests/chainguard.js';
import { type ChainguardStub, grpcError, startChainguardStub } from './support/chainguard-stub.js';

const TOKEN = 'cg-token-Secret-0123456789abcdef';
const ORG = 'a'.repeat(40);
const FOLDER = `${ORG}/0123456789abcdef`;
let stub: ChainguardStub | undefined;

afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

function effects(sleeps: number[]): ChainguardEffects {
  return { fetch: (input, init) => fetch(input, init), sleep: async (ms) => void sleeps.push(ms) };
}

describe('the Chainguard registry API', () => {
  test('a new repository: listed by parent and name, then created with the Repo body and prevent_existing; its id is the one the API assigned', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const sleeps: number[] = [];
    const outcome = await provisionRepository({ api: stub.url, parent: ORG }, 'python', TOKEN, effects(sleeps));
    expect(stub.repos).toHaveLength(1);
    expect(outcome).toEqual({ kind: 'provisioned', repositoryId: stub.repos[0]?.id });
    expect(stub.repos[0]?.id).toMatch(new RegExp(`^${ORG}/[0-9a-f]{16}$`));
    const [list, create] = stub.requests;
    expect(list).toMatchObject({
      method: 'GET',
      path: '/registry/v1/repos',
      query: { 'uidp.children_of': ORG, name: 'python' },
    });
    expect(create).toMatchObject({
      method: 'POST',
      path: `/registry/v1/repos/${ORG}`,
      query: { prevent_existing: 'true' },
      body: { name: 'python' },
    });
    for (const r of stub.requests) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(stub.requests).toHaveLength(2);
    expect(sleeps).toEqual([]);
  });

  test('a folder as the parent: its id (with its slash) is the path', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [FOLDER] });
    const outcome = await provisionRepository({ api: stub.url, parent: FOLDER }, 'node', TOKEN, effects([]));
    expect(outcome.kind).toBe('provisioned');
    expect(stub.requests[1]?.path).toBe(`/registry/v1/repos/${FOLDER}`);
  });

  test('a repository already under the parent is already provided, with its id, and nothing is created', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG], repos: [{ parent: ORG, name: 'python' }] });
    const outcome = await provisionRepository({ api: stub.url, parent: ORG }, 'python', TOKEN, effects([]));
    expect(outcome).toEqual({ kind: 'already-provided', repositoryId: stub.repos[0]?.id });
    expect(stub.requests.map((r) => r.method)).toEqual(['GET']);
    expect(stub.repos).toHaveLength(1);
  });

  test('ALREADY_EXISTS on create (made between the list and the create) is already provided too', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG], repos: [{ parent: ORG, name: 'python' }] });
    stub.answers.push({ status: 200, body: { items: [] } });
    const outcome = await provisionRepository({ api: stub.url, parent: ORG }, 'python', TOKEN, effects([]));
    expect(outcome).toEqual({ kind: 'already-provided', repositoryId: stub.repos[0]?.id });
    expect(stub.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET']);
  });

  test("RESOURCE_EXHAUSTED is the organisation's entitlement limit: failed at once, not retried", async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG], repos: [{ parent: ORG, name: 'go' }], limit: 1 });
    const sleeps: number[] = [];
    const outcome = await provisionRepository({ api: stub.url, parent: ORG }, 'python', TOKEN, effects(sleeps));
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && outcome.message).toMatch(
      /^the organisation's entitlement limit is reached \(HTTP 429 RESOURCE_EXHAUSTED: entitlement limit of 1/,
    );
    expect(sleeps).toEqual([]);
    expect(stub.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  test('UNAVAILABLE is retried after 1 s and 2 s, then the repository is created', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    stub.answers.push(grpcError('UNAVAILABLE', 'try later'), grpcError('UNAVAILABLE', 'try later'));
    const sleeps: number[] = [];
    const outcome = await provisionRepository({ api: stub.url, parent: ORG }, 'python', TOKEN, effects(sleeps));
    expect(outcome.kind).toBe('provisioned');
    expect(sleeps).toEqual([1000, 2000]);
  });

  test('UNAVAILABLE four times: transient after waits of 1 s, 2 s and 4 s, nothing created', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    for (let i = 0; i < 4; i++) stub.answers.push(grpcError('UNAVAILABLE', 'down for maintenance'));
    const sleeps: number[] = [];
    const outcome = await provisionRepository({ api: stub.url, parent: ORG }, 'python', TOKEN, effects(sleeps));
    expect(outcome).toEqual({
      kind: 'transient',
      message: 'listing the repositories: HTTP 503 UNAVAILABLE: down for maintenance (after 4 attempts)',
    });
    expect(sleeps).toEqual([1000, 2000, 4000]);
    expect(stub.repos).toEqual([]);
  });

  test('no server listening: a network error, retried after 1 s, 2 s and 4 s, then transient', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const gone = stub.url;
    await stub.close();
    stub = undefined;
    const sleeps: number[] = [];
    const outcome = await provisionRepository({ api: gone, parent: ORG }, 'python', TOKEN, effects(sleeps));
    expect(outcome.kind).toBe('transient');
    expect(outcome.kind === 'transient' && outcome.message).toMatch(
      /^listing the repositories: network error: .*\(ECONNREFUSED\) \(after 4 attempts\)$/,
    );
    expect(sleeps).toEqual([1000, 2000, 4000]);
  });

  test('a refused token ends the provider (refused, not failed), is not retried, and is never in the message', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const sleeps: number[] = [];
    const outcome = await provisionRepository(
      { api: stub.url, parent: ORG },
      'python',
      'cg-wrong-Token-42',
      effects(sleeps),
    );
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.message).toMatch(/HTTP 401 UNAUTHENTICATED/);
    expect(JSON.stringify(outcome)).not.toContain('cg-wrong-Token-42');
    expect(sleeps).toEqual([]);
  });

  test('a parent the token may not use is PERMISSION_DENIED: refused', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const outcome = await provisionRepository({ api: stub.url, parent: 'b'.repeat(40) }, 'python', TOKEN, effects([]));
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.message).toMatch(/HTTP 403 PERMISSION_DENIED/);
  });

  test('an answer that echoes the token is redacted before anything reads it', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    stub.answers.push({ status: 200, body: { items: [] } });
    stub.answers.push(grpcError('INVALID_ARGUMENT', `bad request from Bearer ${TOKEN}`));
    const outcome = await provisionRepository({ api: stub.url, parent: ORG }, 'python', TOKEN, effects([]));
    expect(outcome.kind).toBe('failed');
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
    expect(outcome.kind === 'failed' && outcome.message).toContain('INVALID_ARGUMENT');
  });

  test('a redirect is not followed: the token never reaches the host it names', async () => {
    const elsewhere: string[] = [];
    const other = createServer((req, res) => {
      elsewhere.push(String(req.headers.authorization));
      res.end('{}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
      const location = `http://127.0.0.1:${(other.address() as AddressInfo).port}/registry/v1/repos`;
      stub.answers.push({ status: 307, headers: { location } });
      const outcome = await provisionRepository({ api: stub.url, parent: ORG }, 'python', TOKEN, effects([]));
      expect(outcome.kind).toBe('refused');
      expect(outcome.kind === 'refused' && outcome.message).toContain(`redirect to ${location} not followed`);
      expect(elsewhere).toEqual([]);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  test("the repository's name is the last segment of the reference's repository path", () => {
    expect(repositoryNameOf('acme/python')).toBe('python');
    expect(repositoryNameOf('acme.com/team/jdk-fips')).toBe('jdk-fips');
    expect(repositoryNameOf('nginx')).toBe('nginx');
  });
});

describe('the stub answers as the API does', () => {
  const send = (path: string, init: RequestInit = {}) =>
    fetch(`${stub?.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
    });

  test('an unknown field of the Repo body is INVALID_ARGUMENT (400), as protojson refuses it', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const answer = await send(`/registry/v1/repos/${ORG}?prevent_existing=true`, {
      method: 'POST',
      body: JSON.stringify({ name: 'python', tier: 'BASE' }),
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ code: 3, message: 'proto: (line 1:2): unknown field "tier"', details: [] });
  });

  test('no Authorization is UNAUTHENTICATED (401)', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const answer = await fetch(`${stub.url}/registry/v1/repos?name=python`);
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ code: 16 });
  });

  test('create without prevent_existing on an existing name is refused by the stub (the real API would update it)', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG], repos: [{ parent: ORG, name: 'python' }] });
    const answer = await send(`/registry/v1/repos/${ORG}`, { method: 'POST', body: '{"name":"python"}' });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { message: string }).message).toMatch(/^stub: /);
  });

  test('the Repo answer is written as protobuf JSON with lowerCamelCase names and unpopulated fields', async () => {
    stub = await startChainguardStub({ token: TOKEN, parents: [ORG] });
    const answer = await send(`/registry/v1/repos/${ORG}?prevent_existing=true`, {
      method: 'POST',
      body: '{"name":"python"}',
    });
    expect(Object.keys((await answer.json()) as object)).toEqual([
      'id',
      'name',
      'catalogTier',
      'bundles',
      'readme',
      'sync_config',
      'customOverlay',
      'aliases',
      'createTime',
      'activeTags',
      'description',
    ]);
  });
});
