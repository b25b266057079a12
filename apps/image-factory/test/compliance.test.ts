/**
 * Compliance on a pod list shaped exactly like the Kubernetes API's (kubectl get pods -A -o json): multi-container
 * pods, an init container, a docker-pullable imageID, one with only an image ID, a pod still pulling.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { readPods, runningDigest } from '../src/compliance/pods.js';
import { loadEnrolment } from '../src/enrolment/load.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { renderState } from '../src/state/store.js';
import { EMPTY_STATE } from '../src/state/types.js';
import { cli, fixture } from './helpers.js';
import { tempDir } from './support/git-repos.js';
import type { TestRegistry } from './support/registry.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const API = D('a');
const WEB = D('b');
const OLD_WEB = D('c');
const NGINX = D('d');
let root: string;
let pods: string;

beforeAll(() => {
  const managed = (name: string) =>
    `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n`;
  const images = `images:\n${managed('api')}${managed('web')}${managed('docs')}  - name: postgres\n    registry: docker.io\n    repository: library/postgres\n    allowTags: '^16\\.\\d+$'\n    strictSemvers: false\n`;
  const enrolment = loadEnrolment(images, 'images.yaml');
  const analysis = (image: string, from: string, digest: string) => ({
    image,
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile(`FROM ${from}\n`, 'Dockerfile', {}),
    build: { tag: '1.0', digest },
  });
  const state = planStateUpdate(EMPTY_STATE, enrolment, [
    analysis('api', 'node:22', API),
    analysis('web', 'node:22', WEB),
    analysis('docs', 'nginx:1.27-alpine', D('e')),
  ]);
  // node moved and api's rebuild is pending; nginx's recorded digest is what the proxy runs.
  const baseImages = new Map(state.baseImages);
  const node = baseImages.get('node-22');
  const nginx = baseImages.get('nginx-1-27-alpine');
  if (node === undefined || nginx === undefined) throw new Error('bases not planned');
  const seen = (digest: string) => ({ digest, released: '2026-11-20T00:00:00Z', seen: '2026-11-20T01:00:00Z' });
  baseImages.set('node-22', {
    ...node,
    rebuild: {
      current: seen(D('1')),
      latest: seen(D('2')),
      pending: [
        {
          image: 'api',
          since: '2026-11-20T00:00:00Z',
          due: '2026-11-27T00:00:00Z',
          urgent: false,
          causes: [{ base: 'node-22', digest: D('2') }],
          waitFor: [],
          waitUntil: null,
        },
      ],
      history: [],
    },
  });
  baseImages.set('nginx-1-27-alpine', { ...nginx, rebuild: { current: seen(NGINX), pending: [], history: [] } });
  root = tempDir('if-compliance-');
  writeFileSync(join(root, 'images.yaml'), images);
  for (const [path, content] of renderState({ images: state.images, baseImages })) {
    mkdirSync(join(root, 'image-factory', 'state', path, '..'), { recursive: true });
    writeFileSync(join(root, 'image-factory', 'state', path), content);
  }
  pods = join(root, 'pods.json');
  writeFileSync(
    pods,
    fixture('pods/pods.json')
      .replaceAll('OLD_WEB_DIGEST', OLD_WEB)
      .replaceAll('API_DIGEST', API)
      .replaceAll('NGINX_DIGEST', NGINX),
  );
});

describe('reading pods', () => {
  test('every container, init containers included, with its owning workload', () => {
    const result = readPods(
      JSON.parse(
        fixture('pods/pods.json')
          .replaceAll('API_DIGEST', API)
          .replaceAll('NGINX_DIGEST', NGINX)
          .replaceAll('OLD_WEB_DIGEST', OLD_WEB),
      ),
    );
    if (!result.ok) throw new Error(result.error);
    expect(result.value.map((c) => `${c.namespace} ${c.workload} ${c.container}${c.init ? ' init' : ''}`)).toEqual([
      'shop Deployment/api api',
      'shop Deployment/api proxy',
      'shop Deployment/api sidecar',
      'shop Deployment/api migrate init',
      'shop Deployment/web web',
      'data StatefulSet/db postgres',
      'shop Deployment/docs docs',
    ]);
  });

  test('imageID forms: docker-pullable://, registry@digest, an image ID only, empty while pulling', () => {
    expect(runningDigest(`docker-pullable://nginx@${NGINX}`)).toMatchObject({ digest: NGINX });
    expect(runningDigest(`ghcr.io/acme/api@${API}`)).toMatchObject({ digest: API });
    expect(runningDigest(D('9'))).toMatchObject({ digest: null, pulling: false });
    expect(runningDigest('')).toMatchObject({ digest: null, pulling: true });
    expect(readPods({ items: [{ metadata: {} }] }).ok).toBe(false);
  });
});

test('verdicts per container, grouped by namespace and workload; untracked images apart', async () => {
  const result = await cli(['compliance', '--workloads', pods, '--root', root, '--json']);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const report = JSON.parse(result.stdout);
  const verdicts = report.workloads.flatMap(
    (w: { namespace: string; workload: string; containers: { container: string; verdict: string }[] }) =>
      w.containers.map((c) => `${w.namespace} ${w.workload} ${c.container} ${c.verdict}`),
  );
  expect(verdicts).toEqual([
    'data StatefulSet/db postgres unverified',
    'shop Deployment/api api stale',
    'shop Deployment/api migrate stale',
    'shop Deployment/api proxy current',
    'shop Deployment/docs docs not-running',
    'shop Deployment/web web behind',
  ]);
  expect(report.untracked).toEqual([
    { image: 'quay.io/prometheus/node-exporter:v1.8.2', containers: ['shop/api-7d9f8b6c5d-x2k4p/sidecar'] },
  ]);
  expect(report.counts).toEqual({ current: 1, behind: 1, stale: 2, unverified: 1, 'not-running': 1, untracked: 1 });
  const web = report.workloads.find((w: { workload: string }) => w.workload === 'Deployment/web').containers[0];
  expect(web).toMatchObject({ known: 'managed web', running: OLD_WEB, expected: WEB });
});

test('--fail-on makes it a gate: behind fails; stale fails on stale too; the table says why', async () => {
  expect((await cli(['compliance', '--workloads', pods, '--root', root, '--fail-on', 'behind'])).status).toBe(1);
  const table = await cli(['compliance', '--workloads', pods, '--root', root]);
  expect(table.status).toBe(0);
  expect(table.stdout).toContain('shop Deployment/web:');
  expect(table.stdout).toMatch(
    /web-5c6d7e8f9a-abcde\/web +ghcr\.io\/acme\/web:1\.0 +managed web +behind +runs sha256:cccccccccccc, the last analysed build is sha256:bbbbbbbbbbbb \(1\.0\)/,
  );
  expect(table.stdout).toContain('not known to the factory:');
  expect(
    (await cli(['compliance', '--workloads', '-', '--root', root, '--fail-on', 'stale'], { input: '{"items": []}' }))
      .status,
  ).toBe(0);
  expect((await cli(['compliance', '--workloads', pods, '--root', root, '--fail-on', 'nope'])).status).toBe(2);
  expect((await cli(['compliance', '--workloads', join(root, 'missing.json'), '--root', root])).status).toBe(2);
});

test('--live: the newest digest of a base image tag comes from the registry (one HEAD), not the state', async () => {
  const { startRegistry, pushImage, dockerConfig, basicAuthEntry } = await import('./support/registry.js');
  const registry = await startRegistry('htpasswd');
  try {
    const old = await pushImage(registry, 'base/alpine', '3.20', { created: '2026-10-01T00:00:00Z', layer: 'old' });
    const current = await pushImage(registry, 'base/alpine', '3.20', { created: '2026-11-01T00:00:00Z', layer: 'new' });
    const dir = tempDir('if-compliance-live-');
    const image = `${registry.host}/base/alpine:3.20`;
    const images = `images:\n  - name: tool\n    registry: ghcr.io\n    repository: acme/tool\n    source:\n      provider: github\n      repo: acme/tool\n      dockerfile: Dockerfile\n`;
    const enrolment = loadEnrolment(images, 'images.yaml');
    const state = planStateUpdate(EMPTY_STATE, enrolment, [
      { image: 'tool', dockerfile: 'Dockerfile', uses: analyseDockerfile(`FROM ${image}\n`, 'Dockerfile', {}) },
    ]);
    writeFileSync(join(dir, 'images.yaml'), images);
    for (const [path, content] of renderState(state)) {
      mkdirSync(join(dir, 'image-factory', 'state', path, '..'), { recursive: true });
      writeFileSync(join(dir, 'image-factory', 'state', path), content);
    }
    const pod = (name: string, digest: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'ops',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u', controller: true }],
      },
      spec: { containers: [{ name: 'agent', image }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'agent', image, imageID: `${registry.host}/base/alpine@${digest}`, ready: true, restartCount: 0 },
        ],
      },
    });
    const file = join(dir, 'pods.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        metadata: { resourceVersion: '' },
        items: [pod('agent-a', old.digest), pod('agent-b', current.digest)],
      }),
    );
    const config = dockerConfig({ [registry.host]: basicAuthEntry() });
    const offline = JSON.parse((await cli(['compliance', '--workloads', file, '--root', dir, '--json'])).stdout);
    expect(offline.counts).toMatchObject({ unverified: 2 });
    const before = registry.requests().length;
    const live = await cli([
      'compliance',
      '--workloads',
      file,
      '--root',
      dir,
      '--json',
      '--live',
      '--registry-config',
      config,
      '--insecure-registry',
      registry.host,
      '--fail-on',
      'behind',
    ]);
    expect(live.status).toBe(1);
    const verdicts = JSON.parse(live.stdout).workloads[0].containers.map(
      (c: { pod: string; verdict: string }) => `${c.pod} ${c.verdict}`,
    );
    expect(verdicts).toEqual(['agent-a behind', 'agent-b current']);
    // One ping (it learns the registry's auth) and one HEAD: wait until the registry has logged both answered.
    const served = await loggedRequests(registry, before, 2);
    expect(served.filter((r) => r.method === 'HEAD').map((r) => r.uri)).toEqual(['/v2/base/alpine/manifests/3.20']);
    expect(served.map((r) => `${r.method} ${r.uri}`)).toEqual(['GET /v2/', 'HEAD /v2/base/alpine/manifests/3.20']);
  } finally {
    await registry.stop();
  }
});

/** The registry's log since `before`, once it holds `count` requests (the registry writes its log asynchronously). */
async function loggedRequests(registry: TestRegistry, before: number, count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const served = registry.requests().slice(before);
    if (served.length >= count) return served;
    if (Date.now() > deadline) throw new Error(`the registry logged ${served.length} of ${count} requests`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
