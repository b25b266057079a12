/**
 * The signature gate at the edge (issue 22 item 3): `image-factory rebuild` against the real registry, with cosign
 * legacy `.sig` signatures the test makes itself (test/support/cosign.ts), a real GitOps remote and a GitHub stub.
 * A base digest that is unsigned, or signed by a key the policy does not trust, is recorded blocked and triggers
 * nothing; the next properly signed digest goes through, pinned; a verification that could not be made (the
 * registry failing) is not used, records nothing and exits 3. Every registry request goes through a proxy, so the
 * test can make the registry fail and see which requests the run made.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { cli } from './helpers.js';
import { cosignSign, keyPair } from './support/cosign.js';
import { type GithubStub, startGithubStub } from './support/forge-stubs.js';
import { createRemote, git, remoteFile, remoteHead } from './support/git-repos.js';
import { analyze } from './support/gitops-fixtures.js';
import {
  baseRecord,
  checkoutOf,
  closedAfterEach,
  copyOf,
  onlyBaseName,
  rebuildRunner,
} from './support/rebuild-world.js';
import {
  basicAuthEntry,
  dockerConfig,
  type Pushed,
  pushImage,
  type RegistryProxy,
  startProxy,
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

const TOKEN = 'forge-token-never-printed';
const trusted = keyPair();
const stranger = keyPair();
let registry: TestRegistry;
let proxy: RegistryProxy;
let config: string;
let template: string;
let baseName: string;
const p: Record<string, Pushed> = {};

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  proxy = await startProxy(registry);
  config = dockerConfig({ [proxy.host]: basicAuthEntry() });
  // Each digest under a tag of its own: the tag the base is built FROM (22) stays where the analysis found it.
  p.node = await pushImage(registry, 'base/node', '22', { created: '2026-11-01T00:00:00Z', layer: 'a' });
  p.unsigned = await pushImage(registry, 'base/node', 'unsigned', { created: '2026-11-02T00:00:00Z', layer: 'b' });
  p.wrongKey = await pushImage(registry, 'base/node', 'wrong-key', { created: '2026-11-03T00:00:00Z', layer: 'c' });
  p.signed = await pushImage(registry, 'base/node', 'signed', { created: '2026-11-04T00:00:00Z', layer: 'd' });
  p.down = await pushImage(registry, 'base/node', 'down', { created: '2026-11-05T00:00:00Z', layer: 'e' });
  await cosignSign(registry, 'base/node', p.wrongKey.digest, stranger.privateKey);
  await cosignSign(registry, 'base/node', p.signed.digest, trusted.privateKey);
  await cosignSign(registry, 'base/node', p.down.digest, trusted.privateKey);
  p.api = await pushImage(registry, 'acme/api', '1.0', { created: '2026-10-01T00:00:00Z' });
  template = createRemote({
    'images.yaml': `images:\n  - name: api\n    registry: ${proxy.host}\n    repository: acme/api\n    rebuildDelay: "0"\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: apps/api/Dockerfile\n      workflow: build.yaml\n      baseImagesInput: base_images\nbaseImagePolicies:\n  - match: ${proxy.host}/base/*\n    verify:\n      keys:\n        - file: keys/cosign.pub\n      requireTransparencyLog: false\n`,
    'keys/cosign.pub': trusted.publicPem,
    'apps/api/Dockerfile': `FROM ${proxy.host}/base/node:22\n`,
  });
  const analysed = await analyze(template, 'api', '1.0', p.api.digest);
  expect(analysed.stderr).not.toContain('error');
  baseName = onlyBaseName(template);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

// Registered before the proxy's reset: after each test the proxy is reset first, then the stubs are closed.
const stubs = closedAfterEach<GithubStub>();
afterEach(() => proxy.reset());

/** A world of its own: a copy of the template remote and a fresh GitHub stub (build.yaml declares base_images). */
async function world() {
  const remote = copyOf(template, 'if-gate-remote-');
  const github = await startGithubStub(TOKEN, { workflows: { 'acme/api/build.yaml': { inputs: ['base_images'] } } });
  stubs.push(github);
  const run = rebuildRunner({
    remote,
    registryConfig: config,
    registryHost: proxy.host,
    githubUrl: github.url,
    token: TOKEN,
    extra: ['--retry-backoff', '50ms', '--registry-backoff', '10ms'],
  });
  const rebuild = (digest: string, now: string) => run('--base', baseName, '--digest', digest, '--now', now);
  const sweep = (now: string) => run('--due', '--now', now);
  const record = () => baseRecord(remote, baseName);
  const head = () => remoteHead(remote);
  return { remote, github, rebuild, sweep, record, head };
}

const seenOf = (record: { seen?: { digest: string; blocked?: string }[] } | undefined, digest: string) =>
  record?.seen?.find((d) => d.digest === digest);

describe('rebuild with a signature policy on the base', () => {
  test('unsigned, then signed by a stranger: blocked and recorded, nothing triggered; then signed: rebuilt on it', async () => {
    const w = await world();
    const first = await w.rebuild(p.node?.digest ?? '', '2026-11-01T12:00:00Z');
    // The base's first digest is unsigned too: blocked, and no decision is made on it.
    expect(first.status, first.stderr).toBe(0);
    expect(first.json.gate.blocked.map((b: { digest: string }) => b.digest)).toEqual([p.node?.digest]);

    const unsigned = await w.rebuild(p.unsigned?.digest ?? '', '2026-11-02T12:00:00Z');
    expect(unsigned.status, unsigned.stderr).toBe(0);
    expect(unsigned.json.decisions).toEqual([]);
    expect(unsigned.json.triggers).toEqual([]);
    const blocked = seenOf(w.record(), p.unsigned?.digest ?? '')?.blocked ?? '';
    expect(blocked).toContain('is not signed');
    expect(blocked).toContain('signed by nobody');
    expect(blocked).toContain('the policy wants a signature by the key in keys/cosign.pub');
    expect(unsigned.json.gate.blocked).toEqual([{ base: baseName, digest: p.unsigned?.digest, reason: blocked }]);

    const wrong = await w.rebuild(p.wrongKey?.digest ?? '', '2026-11-03T12:00:00Z');
    expect(wrong.status, wrong.stderr).toBe(0);
    expect(wrong.json.triggers).toEqual([]);
    const wrongReason = seenOf(w.record(), p.wrongKey?.digest ?? '')?.blocked;
    expect(wrongReason).toContain('not signed by any key the policy trusts');
    // A key the policy does not hold cannot be named: the reason says a key signed it, and which one was wanted.
    expect(wrongReason).toContain('signed by an unknown key');
    expect(w.record().pending).toEqual([]);
    expect(w.github.requests).toEqual([]);

    const signed = await w.rebuild(p.signed?.digest ?? '', '2026-11-04T12:00:00Z');
    expect(signed.status, signed.stderr).toBe(0);
    expect(signed.json.gate).toBeUndefined();
    expect(signed.json.decisions.map((d: { image: string; action: string }) => `${d.image} ${d.action}`)).toEqual([
      'api rebuild',
    ]);
    expect(signed.json.triggers).toHaveLength(1);
    expect(signed.json.triggers[0].outcome.status).toBe('triggered');
    const [dispatch] = w.github.requests;
    expect(dispatch?.body).toMatchObject({
      inputs: { base_images: `${proxy.host}/base/node:22=docker-image://${proxy.host}/base/node@${p.signed?.digest}` },
    });
    expect(seenOf(w.record(), p.signed?.digest ?? '')?.blocked).toBeUndefined();
  }, 60_000);

  test('rebuild --due: the unsigned digest the tag points to is recorded blocked once; the next sweep records nothing', async () => {
    const w = await world();
    const first = await w.sweep('2026-11-01T12:00:00Z');
    expect(first.status, first.stderr).toBe(0);
    expect(first.json.healed).toEqual([{ base: baseName, digest: p.node?.digest }]);
    expect(first.json.gate.blocked.map((b: { digest: string }) => b.digest)).toEqual([p.node?.digest]);
    expect(seenOf(w.record(), p.node?.digest ?? '')?.blocked).toContain('signed by nobody');
    const before = w.head();
    const again = await w.sweep('2026-11-01T13:00:00Z');
    expect(again.status, again.stderr).toBe(0);
    expect(again.json.healed).toEqual([]);
    expect(again.json.commits).toEqual([]);
    expect(w.head()).toBe(before);
    expect(w.github.requests).toEqual([]);
  }, 60_000);

  test('the signatures cannot be read (the registry keeps failing): not used, nothing recorded, exit 3', async () => {
    const w = await world();
    const before = w.head();
    const sig = new RegExp(`/manifests/${(p.down?.digest ?? '').replace(':', '-')}\\.sig$`);
    for (let i = 0; i < 4; i++) proxy.fail(sig, { status: 503 });
    const down = await w.rebuild(p.down?.digest ?? '', '2026-11-05T12:00:00Z');
    expect(down.status).toBe(3);
    expect(down.stderr).toContain('could not be checked');
    expect(down.json.gate.unverifiable.map((u: { digest: string }) => u.digest)).toEqual([p.down?.digest]);
    expect(down.json.triggers).toEqual([]);
    expect(w.head()).toBe(before);
    expect(w.github.requests).toEqual([]);
    // Once the registry answers, the same update goes through (it was signed all along).
    const again = await w.rebuild(p.down?.digest ?? '', '2026-11-05T13:00:00Z');
    expect(again.status, again.stderr).toBe(0);
    expect(again.json.triggers).toHaveLength(1);
  }, 60_000);

  test('a policy whose key file is missing is an error naming the file: exit 1, nothing recorded, nothing sent', async () => {
    const w = await world();
    const work = checkoutOf(w.remote, 'if-gate-work-');
    git(work, 'rm', '--quiet', 'keys/cosign.pub');
    git(work, 'commit', '--quiet', '-m', 'key removed');
    git(work, 'push', '--quiet');
    const before = w.head();
    const result = await w.rebuild(p.signed?.digest ?? '', '2026-11-04T12:00:00Z');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('verify key file keys/cosign.pub does not exist');
    expect(w.head()).toBe(before);
    expect(w.github.requests).toEqual([]);
  }, 60_000);

  test('a base no policy covers is not verified: no signature is asked for', async () => {
    const w = await world();
    const images = remoteFile(w.remote, 'images.yaml') ?? '';
    const work = checkoutOf(w.remote, 'if-gate-work-');
    writeFileSync(`${work}/images.yaml`, images.replace(/baseImagePolicies:[\s\S]*$/, ''));
    git(work, 'commit', '--quiet', '-am', 'no policy');
    git(work, 'push', '--quiet');
    const asked = proxy.requests.length;
    const result = await w.rebuild(p.unsigned?.digest ?? '', '2026-11-02T12:00:00Z');
    expect(result.status, result.stderr).toBe(0);
    expect(result.json.triggers).toHaveLength(1);
    expect(result.json.gate).toBeUndefined();
    expect(proxy.requests.slice(asked).some((r) => r.path.endsWith('.sig'))).toBe(false);
  }, 60_000);
});

describe('status --live and compliance --live check the signatures of what they see', () => {
  /** A checkout of the template (images.yaml with the policy, the key, the analysed state). */
  const checkout = () => checkoutOf(template, 'if-gate-checkout-');
  const registryArgs = () => ['--registry-config', config, '--insecure-registry', proxy.host];

  test('status --live: the verdict on each live digest a policy covers (node:22 is unsigned: blocked, exit 0)', async () => {
    const root = checkout();
    const result = await cli(['status', '--live', '--root', root, '--json', ...registryArgs()]);
    expect(result.status, result.stderr).toBe(0);
    const [base] = JSON.parse(result.stdout).baseImages;
    expect(base.digest).toBe(p.node?.digest);
    expect(base.signature).toEqual({ verdict: 'blocked', reason: expect.stringContaining('signed by nobody') });
    const text = await cli(['status', '--live', '--root', root, ...registryArgs()]);
    expect(text.stdout).toMatch(/signature blocked: sha256:[0-9a-f]{64} is not signed/);
  }, 60_000);

  test('compliance --live flags the container running an unsigned digest, not the one running a signed digest', async () => {
    const root = checkout();
    const container = (name: string, digest: string) => ({
      metadata: {
        name: `${name}-0`,
        namespace: 'shop',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name, controller: true }],
      },
      spec: { containers: [{ name, image: `${proxy.host}/base/node:22` }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name,
            image: `${proxy.host}/base/node:22`,
            imageID: `${proxy.host}/base/node@${digest}`,
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: '2026-11-09T00:00:00Z' } },
          },
        ],
      },
    });
    const pods = `${root}/pods.json`;
    writeFileSync(
      pods,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [container('unsigned', p.node?.digest ?? ''), container('signed', p.signed?.digest ?? '')],
      }),
    );
    const result = await cli([
      'compliance',
      '--workloads',
      pods,
      '--root',
      root,
      '--live',
      '--json',
      '--fail-on',
      'signature',
      ...registryArgs(),
    ]);
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout);
    const containers = report.workloads.flatMap((w: { containers: { container: string }[] }) => w.containers);
    expect(containers.find((c: { container: string }) => c.container === 'unsigned')?.signature).toEqual({
      verdict: 'blocked',
      reason: expect.stringContaining('signed by nobody'),
    });
    expect(containers.find((c: { container: string }) => c.container === 'signed')).not.toHaveProperty('signature');
  }, 60_000);
});
