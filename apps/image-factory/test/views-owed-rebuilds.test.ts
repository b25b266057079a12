/**
 * Every rebuild still owed is visible (issue 18): a pending rebuild the last sweep did not send (with why), a claim
 * whose CI answer was never recorded (the Job killed between claim and answer: with when and how many sends), and a
 * `claimed` history entry of a file written before claims were kept apart. Shown by `status` (table and --json),
 * `report` (JSON and the page) and the OpenMetrics gauges (parsed by prometheus_client). README "Rebuilds" / "Reports".
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { renderState } from '../src/state/store.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';
import { cli } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = new Date('2026-11-10T00:00:00Z');
const IMAGES = ['api', 'docs', 'tool', 'web'];
const images = `images:\n${IMAGES.map((n) => `  - name: ${n}\n    registry: ghcr.io\n    repository: acme/${n}\n    source:\n      provider: github\n      repo: acme/${n}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n`).join('')}`;
let root: string;

function writeCheckout(dir: string, state: StateSnapshot) {
  writeFileSync(join(dir, 'images.yaml'), images);
  for (const [path, content] of renderState(state)) {
    mkdirSync(join(dir, 'image-factory', 'state', path, '..'), { recursive: true });
    writeFileSync(join(dir, 'image-factory', 'state', path), content);
  }
}

beforeAll(() => {
  const enrolment = loadEnrolment(images, 'images.yaml');
  const planned = planStateUpdate(
    EMPTY_STATE,
    enrolment,
    IMAGES.map((image) => ({
      image,
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM node:22\n', 'Dockerfile', {}),
      build: { tag: '1', digest: D('f') },
    })),
  );
  const node = planned.baseImages.get('node-22');
  if (node === undefined) throw new Error('node-22 not planned');
  const cause = [{ base: 'node-22', digest: D('2') }];
  const baseImages = new Map(planned.baseImages);
  baseImages.set('node-22', {
    ...node,
    rebuild: {
      current: { digest: D('1'), released: '2026-10-01T00:00:00Z', seen: '2026-10-01T00:00:00Z' },
      latest: { digest: D('2'), released: '2026-11-01T00:00:00Z', seen: '2026-11-01T01:00:00Z' },
      // Due, found by the sweep, not sent: no token.
      pending: [
        {
          image: 'api',
          since: '2026-11-01T00:00:00Z',
          due: '2026-11-08T00:00:00Z',
          urgent: false,
          causes: cause,
          waitFor: [],
          waitUntil: null,
          notSent: 'no token ($GITHUB_TOKEN or --github-token-file)',
        },
      ],
      // Claimed twice (the first Job was killed), no answer recorded.
      claims: [
        {
          image: 'web',
          key: 'web-0123456789abcdef',
          digest: D('2'),
          since: '2026-11-01T00:00:00Z',
          urgent: false,
          causes: cause,
          claimedAt: '2026-11-08T01:17:00Z',
          sends: 2,
        },
      ],
      history: [
        // A file written before claims were kept apart: docs was claimed and never answered.
        { image: 'docs', digest: D('2'), result: 'claimed', at: '2026-11-08T00:17:00Z', key: 'docs-1' },
        // tool was claimed and then answered: nothing owed.
        { image: 'tool', digest: D('2'), result: 'claimed', at: '2026-11-08T00:17:00Z', key: 'tool-1' },
        {
          image: 'tool',
          digest: D('2'),
          result: 'triggered',
          at: '2026-11-08T00:17:05Z',
          key: 'tool-1',
          answer: '204',
        },
      ],
    },
  });
  root = tempDir('if-views-owed-');
  writeCheckout(root, { images: planned.images, baseImages });
});

describe('status', () => {
  test('--json: pending with why it was not sent, and every claim awaiting an answer', async () => {
    const result = await cli(['status', '--root', root, '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const { rebuilds } = JSON.parse(result.stdout);
    expect(rebuilds.pending).toEqual([
      {
        image: 'api',
        due: '2026-11-08T00:00:00Z',
        urgent: false,
        waitFor: [],
        waitUntil: null,
        causes: [{ base: 'node-22', digest: D('2') }],
        notSent: 'no token ($GITHUB_TOKEN or --github-token-file)',
      },
    ]);
    expect(rebuilds.claimed).toEqual([
      {
        image: 'docs',
        key: 'docs-1',
        claimedAt: '2026-11-08T00:17:00Z',
        sends: 1,
        urgent: false,
        causes: [{ base: 'node-22', digest: D('2') }],
      },
      {
        image: 'web',
        key: 'web-0123456789abcdef',
        claimedAt: '2026-11-08T01:17:00Z',
        sends: 2,
        urgent: false,
        causes: [{ base: 'node-22', digest: D('2') }],
      },
    ]);
    expect(rebuilds.failed).toEqual([]);
  });

  test('the table lists the same', async () => {
    const result = await cli(['status', '--root', root]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ {2}api: due 2026-11-08T00:00:00Z, not sent: no token \(\$GITHUB_TOKEN/m);
    expect(result.stdout).toMatch(
      /^ {2}docs: claimed 2026-11-08T00:17:00Z \(1 send\), no answer recorded yet, key docs-1/m,
    );
    expect(result.stdout).toMatch(/^ {2}web: claimed 2026-11-08T01:17:00Z \(2 sends\), no answer recorded yet/m);
    expect(result.stdout).not.toMatch(/^ {2}tool:/m);
  });
});

describe('report', () => {
  test('--json: each owed rebuild on its image, stale, and counted in the summary', async () => {
    const result = await cli(['report', '--root', root, '--json', '--now', '2026-11-10T00:00:00Z']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    const byName = new Map(report.images.map((i: { name: string }) => [i.name, i]));
    expect(byName.get('api')).toMatchObject({
      stale: true,
      pending: { reason: 'delay', notSent: 'no token ($GITHUB_TOKEN or --github-token-file)' },
      claims: [],
    });
    expect(byName.get('web')).toMatchObject({
      stale: true,
      pending: null,
      claims: [{ key: 'web-0123456789abcdef', claimedAt: '2026-11-08T01:17:00Z', sends: 2 }],
    });
    expect(byName.get('docs')).toMatchObject({
      stale: true,
      claims: [{ key: 'docs-1', claimedAt: '2026-11-08T00:17:00Z', sends: 1 }],
    });
    expect(byName.get('tool')).toMatchObject({ stale: null, pending: null, claims: [] });
    expect(report.summary).toMatchObject({
      stale: 3,
      pendingRebuilds: 1,
      claimedRebuilds: 2,
      unsentRebuilds: [{ reason: 'no token ($GITHUB_TOKEN or --github-token-file)', images: 1 }],
      failedTriggers: 0,
    });
  });

  test('the page shows them in the table and the summary cards', async () => {
    const result = await cli(['report', '--root', root, '--now', '2026-11-10T00:00:00Z'], { now: NOW });
    expect(result.status).toBe(0);
    const row = (name: string) => result.stdout.match(new RegExp(`<tr data-name="${name}">.*?</tr>`))?.[0] ?? '';
    expect(row('api')).toContain('not sent: no token ($GITHUB_TOKEN or --github-token-file)');
    expect(row('web')).toContain('claimed 2026-11-08T01:17:00Z, 2 sends, no answer recorded yet');
    expect(row('docs')).toContain('claimed 2026-11-08T00:17:00Z, 1 send, no answer recorded yet');
    expect(row('tool')).not.toContain('claimed');
    expect(result.stdout).toMatch(/<b>claimed, no answer yet<\/b>2</);
  });

  test('OpenMetrics: pending, claimed and not-sent-by-reason gauges, as prometheus_client parses them', async () => {
    const result = await cli(['report', '--root', root, '--format', 'openmetrics']);
    expect(result.status).toBe(0);
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const parsed = JSON.parse(
      execFileSync(
        python,
        [
          '-c',
          'import sys, json\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as p\nprint(json.dumps({s.name + json.dumps(s.labels, sort_keys=True): s.value for f in p(sys.stdin.read()) for s in f.samples}, sort_keys=True))',
        ],
        { input: result.stdout, encoding: 'utf8' },
      ),
    );
    expect(parsed).toMatchObject({
      'image_factory_pending_rebuilds{}': 1,
      'image_factory_claimed_rebuilds{}': 2,
      'image_factory_unsent_rebuilds{"reason": "no token ($GITHUB_TOKEN or --github-token-file)"}': 1,
      'image_factory_stale_images{}': 3,
    });
  });
});
