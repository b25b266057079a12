/**
 * The views fail closed (issue 18 §6): no images.yaml at --root is an error naming the path (exit 2), not an empty
 * or "everything untracked" answer; `compliance --live` that could not ask the registry exits 3 and never lets
 * `--fail-on` pass on a tag it could not check; `report --live` names the registries that failed, in the page and
 * the JSON; a graph whose largest group exceeds the node budget is drawn trimmed, with a note, never empty.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { drawnGraph, MAX_DRAWN_NODES, reportPage } from '../src/report/html.js';
import { buildReport } from '../src/report/model.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { renderState } from '../src/state/store.js';
import { EMPTY_STATE } from '../src/state/types.js';
import { cli } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('no images.yaml at --root', () => {
  const missing = join(tempDir('if-views-closed-'), 'nonexistent');
  const pods = join(tempDir('if-views-pods-'), 'pods.json');
  writeFileSync(pods, JSON.stringify({ items: [] }));
  test.each([
    ['compliance', ['compliance', '--workloads', pods, '--root', missing, '--fail-on', 'behind']],
    ['report', ['report', '--root', missing, '--json']],
    ['status', ['status', '--root', missing]],
  ])('%s exits 2 naming the file it looked for', async (_name, args) => {
    const result = await cli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(join(missing, 'images.yaml'));
    expect(result.stdout).toBe('');
  });
});

/** host:port of a TCP port nothing listens on any more (a registry that is down). */
async function deadHost(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `127.0.0.1:${address.port}`;
}

describe('a registry that cannot be asked', () => {
  let root: string;
  let host: string;
  let pods: string;
  let baseName: string;
  beforeAll(async () => {
    host = await deadHost();
    root = tempDir('if-views-down-');
    const images = `images:\n  - name: app\n    registry: ${host}\n    repository: acme/app\n    source:\n      provider: github\n      repo: acme/app\n      dockerfile: Dockerfile\n`;
    const enrolment = loadEnrolment(images, 'images.yaml');
    const planned = planStateUpdate(EMPTY_STATE, enrolment, [
      {
        image: 'app',
        dockerfile: 'Dockerfile',
        uses: analyseDockerfile(`FROM ${host}/base/node:22\n`, 'Dockerfile', {}),
        build: { tag: '1.0', digest: D('a') },
      },
    ]);
    const [name, base] = [...planned.baseImages][0] ?? [];
    if (name === undefined || base === undefined) throw new Error('base not planned');
    baseName = name;
    // The state's word: node:22 is D1, and the agent runs D1. Only the registry can say whether it moved since.
    const seen = { digest: D('1'), released: '2026-10-01T00:00:00Z', seen: '2026-10-01T00:00:00Z' };
    const state = {
      images: planned.images,
      baseImages: new Map([[name, { ...base, rebuild: { current: seen, pending: [], history: [] } }]]),
    };
    writeFileSync(join(root, 'images.yaml'), images);
    for (const [path, content] of renderState(state)) {
      mkdirSync(join(root, 'image-factory', 'state', path, '..'), { recursive: true });
      writeFileSync(join(root, 'image-factory', 'state', path), content);
    }
    const image = `${host}/base/node:22`;
    pods = join(root, 'pods.json');
    writeFileSync(
      pods,
      JSON.stringify({
        items: [
          {
            metadata: { name: 'agent-1', namespace: 'ops' },
            spec: { containers: [{ name: 'agent', image }] },
            status: { containerStatuses: [{ name: 'agent', image, imageID: `${host}/base/node@${D('1')}` }] },
          },
        ],
      }),
    );
  });
  const registryFlags = () => ['--insecure-registry', host, '--registry-backoff', '5ms', '--registry-timeout', '2s'];

  test('compliance --live exits 3, even under --fail-on; the container is unverified, not judged on state', async () => {
    const result = await cli([
      'compliance',
      '--workloads',
      pods,
      '--root',
      root,
      '--live',
      '--fail-on',
      'behind',
      '--json',
      ...registryFlags(),
    ]);
    expect(result.status).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.workloads[0].containers[0]).toMatchObject({
      verdict: 'unverified',
      expected: null,
      reason: expect.stringContaining('the registry could not be asked for the newest digest of 22'),
    });
    expect(result.stderr).toContain(`warning: ${host}/base/node:22 could not be checked`);
    // Without --live the state's digest is the expectation, as documented.
    const offline = await cli(['compliance', '--workloads', pods, '--root', root, '--fail-on', 'behind', '--json']);
    expect(offline.status).toBe(0);
    expect(JSON.parse(offline.stdout).workloads[0].containers[0].verdict).toBe('current');
  });

  test('report --live names the registries that failed, in the JSON and the page, and exits 3', async () => {
    const json = await cli(['report', '--root', root, '--live', '--json', ...registryFlags()]);
    expect(json.status).toBe(3);
    const report = JSON.parse(json.stdout);
    expect(report.live.failedRegistries).toEqual([
      { registry: host, images: [baseName, 'app'], exitCode: 3, error: expect.any(String) },
    ]);
    expect(json.stderr).toContain(`warning: registry ${host} failed for`);
    const page = await cli(['report', '--root', root, '--live', ...registryFlags()]);
    expect(page.status).toBe(3);
    expect(page.stdout).toMatch(
      new RegExp(`<div class="failed" id="registry-failures">.*<b>${host}</b> for ${baseName}, app`),
    );
  });
});

describe('a graph larger than the budget', () => {
  // One base with 999 images built on it (1,000 nodes), and a small group of 3.
  const nodes: { id: string; kind: 'base' | 'managed' | 'external' }[] = [{ id: 'os', kind: 'base' }];
  const edges: { from: string; to: string }[] = [];
  for (let i = 0; i < 999; i++) {
    const id = `svc-${String(i).padStart(3, '0')}`;
    nodes.push({ id, kind: 'managed' });
    edges.push({ from: 'os', to: id });
  }
  nodes.push({ id: 'alpine', kind: 'base' }, { id: 'a', kind: 'managed' }, { id: 'b', kind: 'managed' });
  edges.push({ from: 'alpine', to: 'a' }, { from: 'alpine', to: 'b' });

  test('its largest group is drawn trimmed to the budget, from its root, and the page says what was left out', () => {
    const graph = drawnGraph({ graph: { nodes, edges } });
    expect(graph.nodes).toHaveLength(MAX_DRAWN_NODES);
    expect(graph.nodes.some((n) => n.id === 'os')).toBe(true);
    expect(graph.edges).toHaveLength(MAX_DRAWN_NODES - 1);
    expect(graph.trimmed).toEqual({ groupNodes: 1000, leftOut: 200 });
    const report = buildReport(EMPTY_STATE, loadEnrolment('images: []\n', 'images.yaml'), new Date(0));
    const page = reportPage({ ...report, graph: { nodes, edges } }, '<svg></svg>', graph);
    expect(page).toContain('its largest group alone has 1000 nodes');
    expect(page).toContain('drawn here are 800 of them');
    expect(page).toContain('200 left out');
  });
});
