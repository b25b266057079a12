/** `image-factory report` as data: the example catalogue's graph, pending rebuilds and triggers, OpenMetrics. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { buildReport } from '../src/report/model.js';
import { renderOpenMetrics } from '../src/report/openmetrics.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { readState } from '../src/state/store.js';
import { EMPTY_STATE } from '../src/state/types.js';
import { cli, REPO_ROOT } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('the example catalogue', () => {
  test('one graph node per image and per base image not built here, one edge per dependency', async () => {
    const result = await cli(['report', '--root', REPO_ROOT, '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    const state = await readState(join(REPO_ROOT, 'image-factory/state'));
    const enrolled = loadEnrolment(
      (await import('node:fs')).readFileSync(join(REPO_ROOT, 'images.yaml'), 'utf8'),
      'images.yaml',
    );
    const external = [...state.baseImages.values()].filter((b) => b.managedImage === undefined).map((b) => b.name);
    expect(report.graph.nodes.map((n: { id: string }) => n.id).sort()).toEqual(
      [...enrolled.images.map((i) => i.name), ...external].sort(),
    );
    const dependencies = [...state.baseImages.values()].flatMap((b) =>
      b.dependents.map((d) => `${b.managedImage ?? b.name} ${d}`),
    );
    expect(report.graph.edges.map((e: { from: string; to: string }) => `${e.from} ${e.to}`).sort()).toEqual(
      [...new Set(dependencies)].sort(),
    );
    // node-base is built here: its base-image entry is an edge from the image itself, not another node.
    expect(report.graph.edges).toContainEqual({ from: 'node-base', to: 'backstage' });
    expect(report.summary).toMatchObject({ images: 7, managed: 5, external: 2, pendingRebuilds: 0, failedTriggers: 0 });
  });
});

describe('pending rebuilds and triggers', () => {
  const images = `images:\n${['api', 'web', 'docs'].map((n) => `  - name: ${n}\n    registry: ghcr.io\n    repository: acme/${n}\n    source:\n      provider: github\n      repo: acme/${n}\n      dockerfile: Dockerfile\n`).join('')}`;
  const enrolment = loadEnrolment(images, 'images.yaml');
  const planned = planStateUpdate(
    EMPTY_STATE,
    enrolment,
    ['api', 'web', 'docs'].map((image) => ({
      image,
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM node:22\n', 'Dockerfile', {}),
      build: { tag: '1', digest: D('f') },
    })),
  );
  const node = planned.baseImages.get('node-22');
  if (node === undefined) throw new Error('node-22 not planned');
  const entry = (image: string, extra: object) => ({
    image,
    since: '2026-11-01T00:00:00Z',
    due: '2026-11-08T00:00:00Z',
    urgent: false,
    causes: [{ base: 'node-22', digest: D('2') }],
    waitFor: [],
    waitUntil: null,
    ...extra,
  });
  const state = {
    images: planned.images,
    baseImages: new Map([
      [
        'node-22',
        {
          ...node,
          rebuild: {
            current: { digest: D('1'), released: '2026-10-01T00:00:00Z', seen: '2026-10-01T00:00:00Z' },
            latest: { digest: D('2'), released: '2026-11-01T00:00:00Z', seen: '2026-11-01T01:00:00Z' },
            pending: [entry('api', {}), entry('web', { urgent: true, due: '2026-11-01T01:00:00Z' })],
            history: [
              { image: 'docs', digest: D('2'), result: 'claimed' as const, at: '2026-11-02T00:00:00Z', key: 'docs-1' },
              {
                image: 'docs',
                digest: D('2'),
                result: 'failed' as const,
                at: '2026-11-02T00:00:01Z',
                key: 'docs-1',
                answer: 'HTTP 422: no such workflow',
              },
            ],
          },
        },
      ],
    ]),
  };
  const report = buildReport(state, enrolment, new Date('2026-11-03T00:00:00Z'));

  test('each image: its pending rebuild with the reason, its last trigger, its stale flag', () => {
    expect(
      report.images.map((i) => [
        i.name,
        i.pending?.reason ?? null,
        i.pending?.due ?? null,
        i.lastTrigger?.result ?? null,
        i.stale,
      ]),
    ).toEqual([
      ['api', 'delay', '2026-11-08T00:00:00Z', null, true],
      ['docs', null, null, 'failed', null],
      ['web', 'urgent', '2026-11-01T01:00:00Z', null, true],
    ]);
    expect(report.images[0]?.bases).toEqual([
      {
        name: 'node-22',
        reference: 'docker.io/library/node:22',
        digest: D('2'),
        released: '2026-11-01T00:00:00Z',
        stale: null,
      },
    ]);
    expect(report.summary).toMatchObject({ stale: 2, pendingRebuilds: 2, failedTriggers: 1, oldestBuildAgeDays: null });
  });

  test('OpenMetrics: parsed by prometheus_client (Debian python3-prometheus-client), the same numbers', () => {
    const text = renderOpenMetrics(report);
    expect(text.endsWith('# EOF\n')).toBe(true);
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const parsed = execFileSync(
      python,
      [
        '-c',
        'import sys, json\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as p\nprint(json.dumps({s.name + json.dumps(s.labels, sort_keys=True): s.value for f in p(sys.stdin.read()) for s in f.samples}, sort_keys=True))',
      ],
      { input: text, encoding: 'utf8' },
    );
    expect(JSON.parse(parsed)).toEqual({
      'image_factory_base_images{}': 1,
      'image_factory_claimed_rebuilds{}': 0,
      'image_factory_failed_triggers{}': 1,
      'image_factory_images{"kind": "external"}': 0,
      'image_factory_images{"kind": "managed"}': 3,
      'image_factory_pending_rebuilds{}': 2,
      'image_factory_stale_images{}': 2,
    });
  });

  test('report --format openmetrics --out writes the file; a bad format is a usage error', async () => {
    const root = tempDir('if-report-');
    writeFileSync(join(root, 'images.yaml'), images);
    mkdirSync(join(root, 'image-factory', 'state'), { recursive: true });
    const out = join(root, 'metrics.prom');
    expect((await cli(['report', '--root', root, '--format', 'openmetrics', '--out', out])).status).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect((await cli(['report', '--root', root, '--format', 'pdf'])).status).toBe(2);
  });
});

test('a graph too large to draw whole is drawn as its largest connected groups, up to 800 nodes', async () => {
  const { drawnGraph, MAX_DRAWN_NODES } = await import('../src/report/html.js');
  // 300 bases with 3 images each (1,200 nodes) and one organisation chain of 10 images: 1,211 nodes in all.
  const nodes: { id: string; kind: 'base' | 'managed' | 'external' }[] = [];
  const edges: { from: string; to: string }[] = [];
  for (let b = 0; b < 300; b++) {
    nodes.push({ id: `base-${b}`, kind: 'base' });
    for (let i = 0; i < 3; i++) {
      nodes.push({ id: `svc-${b}-${i}`, kind: 'managed' });
      edges.push({ from: `base-${b}`, to: `svc-${b}-${i}` });
    }
  }
  nodes.push({ id: 'os', kind: 'base' });
  for (let i = 0; i < 10; i++) {
    nodes.push({ id: `chain-${i}`, kind: 'managed' });
    edges.push({ from: i === 0 ? 'os' : `chain-${i - 1}`, to: `chain-${i}` });
  }
  const graph = drawnGraph({ graph: { nodes, edges } });
  expect(graph.whole).toBe(false);
  expect(graph.nodes.length).toBeLessThanOrEqual(MAX_DRAWN_NODES);
  // The chain (11 nodes) is the largest group and comes first; then as many 4-node groups as fit.
  expect(graph.nodes.filter((n) => n.id.startsWith('chain-') || n.id === 'os')).toHaveLength(11);
  expect(graph.groups).toEqual({ total: 301, drawn: 1 + Math.floor((MAX_DRAWN_NODES - 11) / 4) });
  expect(
    graph.edges.every((e) => graph.nodes.some((n) => n.id === e.from) && graph.nodes.some((n) => n.id === e.to)),
  ).toBe(true);
});
