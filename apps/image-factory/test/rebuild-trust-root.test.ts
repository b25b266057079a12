/**
 * `rebuild --trust-root FILE` (issue 22): the signature gate verifies keyless signatures against the trusted root
 * given, as `inspect --verify --trust-root` does — a private Sigstore's CA and logs — else against Sigstore's
 * public-good root. The test Sigstore (signatures-sigstore.ts: `@sigstore/mock`'s CA, CT log and transparency log)
 * signs the base's digests in cosign's legacy layout on the real registry; the GitOps remote is real git and GitHub
 * a stub. Signed by the identity the policy names, under a CA only the given root trusts: blocked without the option,
 * rebuilt on with it. A root that cannot be read (2) or is not a trusted root (1) stops the run before anything is
 * decided, naming the file. `status --live --trust-root` gives the same verdicts on the live digests.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cli } from './helpers.js';
import { type Identity, pushLegacySignatures, simpleSigning, testSigstore } from './signatures-sigstore.js';
import { type GithubStub, startGithubStub } from './support/forge-stubs.js';
import { createRemote, remoteHead, tempDir } from './support/git-repos.js';
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
  startRegistry,
  type TestRegistry,
} from './support/registry.js';

const TOKEN = 'forge-token-never-printed';
const GITHUB = 'https://token.actions.githubusercontent.com';
const RELEASE: Identity = {
  subject: 'https://github.com/acme/base/.github/workflows/release.yml@refs/heads/main',
  issuer: GITHUB,
};
let registry: TestRegistry;
let config: string;
let template: string;
let baseName: string;
let trustRoot: string;
let files: string;
const p: Record<string, Pushed> = {};

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  config = dockerConfig({ [registry.host]: basicAuthEntry() });
  const sigstore = await testSigstore();
  const signer = await sigstore.signer(RELEASE);
  p.node = await pushImage(registry, 'base/node', '22', { created: '2026-11-01T00:00:00Z', layer: 'a' });
  p.next = await pushImage(registry, 'base/node', 'next', { created: '2026-11-02T00:00:00Z', layer: 'b' });
  for (const pushed of [p.node, p.next]) {
    const layer = await sigstore.legacyLayer(signer, simpleSigning(`${registry.host}/base/node`, pushed.digest));
    await pushLegacySignatures(registry, 'base/node', pushed.digest, [layer]);
  }
  p.api = await pushImage(registry, 'acme/api', '1.0', { created: '2026-10-01T00:00:00Z' });
  template = createRemote({
    'images.yaml': `images:\n  - name: api\n    registry: ${registry.host}\n    repository: acme/api\n    rebuildDelay: "0"\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: apps/api/Dockerfile\n      workflow: build.yaml\n      baseImagesInput: base_images\nbaseImagePolicies:\n  - match: ${registry.host}/base/*\n    verify:\n      identities:\n        - issuer: ${RELEASE.issuer}\n          subject: ${RELEASE.subject}\n`,
    'apps/api/Dockerfile': `FROM ${registry.host}/base/node:22\n`,
  });
  const analysed = await analyze(template, 'api', '1.0', p.api.digest);
  expect(analysed.stderr).not.toContain('error');
  baseName = onlyBaseName(template);
  files = tempDir('if-trust-root-');
  trustRoot = join(files, 'trusted_root.json');
  writeFileSync(trustRoot, JSON.stringify(sigstore.trustedRoot));
}, 120_000);

afterAll(() => registry?.stop());

const stubs = closedAfterEach<GithubStub>();

/** A world of its own: a copy of the template remote and a fresh GitHub stub (build.yaml declares base_images). */
async function world() {
  const remote = copyOf(template, 'if-trust-remote-');
  const github = await startGithubStub(TOKEN, { workflows: { 'acme/api/build.yaml': { inputs: ['base_images'] } } });
  stubs.push(github);
  const run = rebuildRunner({
    remote,
    registryConfig: config,
    registryHost: registry.host,
    githubUrl: github.url,
    token: TOKEN,
  });
  const rebuild = (...extra: string[]) =>
    run(
      '--base',
      baseName,
      '--digest',
      p.next?.digest ?? '',
      '--now',
      '2026-11-02T12:00:00Z',
      '--retry-backoff',
      '50ms',
      ...extra,
    );
  const record = () => baseRecord(remote, baseName);
  const head = () => remoteHead(remote);
  return { github, rebuild, record, head };
}

const blockedOf = (record: { seen?: { digest: string; blocked?: string }[] } | undefined, digest: string) =>
  record?.seen?.find((d) => d.digest === digest)?.blocked;

describe('rebuild --trust-root: keyless signatures under a private Sigstore', () => {
  test("signed by the policy's identity under a CA only the given root trusts: blocked without --trust-root, rebuilt on with it", async () => {
    const without = await world();
    const blocked = await without.rebuild();
    expect(blocked.status, blocked.stderr).toBe(0);
    expect(blocked.json.gate.blocked.map((b: { digest: string }) => b.digest)).toContain(p.next?.digest);
    expect(blocked.json.triggers).toEqual([]);
    // The public-good root does not know the test CA: the certificate chains to nothing it trusts.
    expect(blockedOf(without.record(), p.next?.digest ?? '')).toContain('Failed to verify certificate chain');
    expect(without.github.requests).toEqual([]);

    const given = await world();
    const passed = await given.rebuild('--trust-root', trustRoot);
    expect(passed.status, passed.stderr).toBe(0);
    expect(passed.json.gate).toBeUndefined();
    expect(passed.json.decisions.map((d: { image: string; action: string }) => `${d.image} ${d.action}`)).toEqual([
      'api rebuild',
    ]);
    expect(passed.json.triggers).toHaveLength(1);
    expect(passed.json.triggers[0].outcome.status).toBe('triggered');
    expect(given.github.requests[0]?.body).toMatchObject({
      inputs: {
        base_images: `${registry.host}/base/node:22=docker-image://${registry.host}/base/node@${p.next?.digest}`,
      },
    });
    expect(blockedOf(given.record(), p.next?.digest ?? '')).toBeUndefined();
  }, 90_000);

  test('a --trust-root that cannot be read: exit 2 naming the file, nothing recorded, nothing sent', async () => {
    const w = await world();
    const before = w.head();
    const missing = join(files, 'missing.json');
    const result = await w.rebuild('--trust-root', missing);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`cannot read the trust root ${missing}`);
    expect(w.head()).toBe(before);
    expect(w.github.requests).toEqual([]);
  }, 60_000);

  test('a --trust-root that is not a Sigstore trusted root: exit 1 naming the file, nothing recorded, nothing sent', async () => {
    const w = await world();
    const before = w.head();
    const bundle = join(files, 'not-a-root.json');
    writeFileSync(bundle, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }));
    const result = await w.rebuild('--trust-root', bundle);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `trust root ${bundle}: mediaType is not application/vnd.dev.sigstore.trustedroot+json`,
    );
    expect(w.head()).toBe(before);
    expect(w.github.requests).toEqual([]);
  }, 60_000);
});

describe('status --live --trust-root: the live digests verified against the given root', () => {
  const checkout = () => checkoutOf(template, 'if-trust-checkout-');
  const status = (root: string, ...extra: string[]) =>
    cli([
      'status',
      '--live',
      '--root',
      root,
      '--registry-config',
      config,
      '--insecure-registry',
      registry.host,
      ...extra,
    ]);

  test('node:22, signed under the test CA: blocked without --trust-root, passed with it', async () => {
    const root = checkout();
    const without = await status(root, '--json');
    expect(without.status, without.stderr).toBe(0);
    const [blocked] = JSON.parse(without.stdout).baseImages;
    expect(blocked.digest).toBe(p.node?.digest);
    expect(blocked.signature).toEqual({
      verdict: 'blocked',
      reason: expect.stringContaining('Failed to verify certificate chain'),
    });
    const given = await status(root, '--json', '--trust-root', trustRoot);
    expect(given.status, given.stderr).toBe(0);
    const [passed] = JSON.parse(given.stdout).baseImages;
    expect(passed.signature).toEqual({ verdict: 'passed', reason: null });
  }, 60_000);

  test('a --trust-root that cannot be read is exit 2 naming the file; without --live it is a usage error', async () => {
    const root = checkout();
    const missing = join(files, 'missing.json');
    const unreadable = await status(root, '--trust-root', missing);
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toContain(`cannot read the trust root ${missing}`);
    expect(unreadable.stdout).toBe('');
    const offline = await cli(['status', '--root', root, '--trust-root', trustRoot]);
    expect(offline.status).toBe(2);
    expect(offline.stderr).toContain('--trust-root takes effect with --live only');
  }, 60_000);
});

describe('compliance --live --trust-root: running digests verified against the given root', () => {
  /** A pod list as `kubectl get pods -o json` gives it, one container running node:22 at `digest`. */
  const pods = (digest: string) => {
    const image = `${registry.host}/base/node:22`;
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'web-0',
            namespace: 'shop',
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', controller: true }],
          },
          spec: { containers: [{ name: 'web', image }] },
          status: {
            phase: 'Running',
            containerStatuses: [
              {
                name: 'web',
                image,
                imageID: `${registry.host}/base/node@${digest}`,
                ready: true,
                restartCount: 0,
                state: { running: { startedAt: '2026-11-09T00:00:00Z' } },
              },
            ],
          },
        },
      ],
    });
  };
  const compliance = (root: string, workloads: string, ...extra: string[]) =>
    cli([
      'compliance',
      '--workloads',
      workloads,
      '--root',
      root,
      '--registry-config',
      config,
      '--insecure-registry',
      registry.host,
      '--json',
      ...extra,
    ]);

  test('a container running node:22 signed under the test CA: blocked without --trust-root, clean with it', async () => {
    const root = checkoutOf(template, 'if-trust-compliance-');
    const workloads = join(files, 'pods.json');
    writeFileSync(workloads, pods(p.node?.digest ?? ''));
    const containersOf = (stdout: string) =>
      JSON.parse(stdout).workloads.flatMap((w: { containers: unknown[] }) => w.containers);
    const without = await compliance(root, workloads, '--live');
    expect(without.status, without.stderr).toBe(0);
    expect(containersOf(without.stdout)[0]).toMatchObject({
      signature: { verdict: 'blocked', reason: expect.stringContaining('Failed to verify certificate chain') },
    });
    const given = await compliance(root, workloads, '--live', '--trust-root', trustRoot);
    expect(given.status, given.stderr).toBe(0);
    expect(containersOf(given.stdout)[0]).not.toHaveProperty('signature');
    const offline = await compliance(root, workloads, '--trust-root', trustRoot);
    expect(offline.status).toBe(2);
    expect(offline.stderr).toContain('--trust-root takes effect with --live only');
  }, 60_000);
});
