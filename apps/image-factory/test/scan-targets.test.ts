/**
 * What the daily rescan scans (issue 21: the vulnerability database changes, digests do not): every base image
 * something is built on, at its current and latest digests; every external image at the digests its recorded scans
 * name; nothing else. `scan targets` prints one reference per line (a shell loop over `trivy image`) or JSON.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { recordBaseUpdate } from '../src/rebuild/record.js';
import { scanTargets } from '../src/scan/index.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { EMPTY_STATE, type StateSnapshot, type VulnerabilityScan } from '../src/state/types.js';
import { cli } from './helpers.js';
import { analyze, DIGEST, ENV, monorepo } from './support/gitops-fixtures.js';

const scan = (digest: string, scannedAt: string): VulnerabilityScan => ({
  digest,
  scannedAt,
  trivyVersion: '0.70.0',
  dbUpdatedAt: null,
  summary: { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
  fixable: [],
  eosl: false,
});

describe('scanTargets', () => {
  const enrolment = loadEnrolment(
    "images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n  - name: redis\n    registry: docker.io\n    repository: library/redis\n    allowTags: '^7$'\n",
    'images.yaml',
  );
  let state: StateSnapshot = planStateUpdate(EMPTY_STATE, enrolment, [
    {
      image: 'api',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile(`FROM node:22\nFROM alpine@sha256:${'e'.repeat(64)}\n`, 'Dockerfile', {}),
      build: { tag: '1', digest: DIGEST('f') },
    },
  ]);
  for (const [c, at] of [
    ['a', '2026-11-01T00:00:00Z'],
    ['b', '2026-11-03T00:00:00Z'],
  ] as const) {
    const r = recordBaseUpdate(
      state,
      enrolment,
      { base: 'node-22', digest: DIGEST(c), released: at, seen: at, urgent: false },
      new Map(),
    );
    if (r.status !== 'recorded') throw new Error(r.status);
    state = r.state;
  }
  const redis = state.images.get('redis');
  if (redis?.kind !== 'external') throw new Error('redis');
  state = {
    baseImages: state.baseImages,
    images: new Map(state.images).set('redis', {
      ...redis,
      vulnerabilities: {
        scans: [
          scan(DIGEST('1'), '2026-11-01T00:00:00Z'),
          scan(DIGEST('3'), '2026-11-03T00:00:00Z'),
          scan(DIGEST('2'), '2026-11-02T00:00:00Z'),
        ],
      },
    }),
  };

  test('a base at its current and latest digests; a base pinned by digest is not rescanned; an external at its two newest scans', () => {
    expect(scanTargets(state).map((t) => [t.kind, t.image, t.reference])).toEqual([
      ['base', 'node-22', `docker.io/library/node@${DIGEST('a')}`],
      ['base', 'node-22', `docker.io/library/node@${DIGEST('b')}`],
      ['external', 'redis', `docker.io/library/redis@${DIGEST('2')}`],
      ['external', 'redis', `docker.io/library/redis@${DIGEST('3')}`],
    ]);
  });
});

test('scan targets reads the GitOps repository and writes nothing: one reference per line, or JSON', async () => {
  const remote = monorepo({ api: 'FROM node:22\n' });
  expect((await analyze(remote, 'api', '1.0', DIGEST('f'))).status).toBe(0);
  const base = ['--git-repo', remote];
  // The base's digest recorded offline (`--released`: no registry asked; no token: nothing sent).
  const recorded = await cli(
    [
      'rebuild',
      '--base',
      'node-22',
      '--digest',
      DIGEST('a'),
      '--released',
      '2026-11-01T00:00:00Z',
      '--now',
      '2026-11-01T01:00:00Z',
      ...base,
    ],
    { env: { ...ENV, GITHUB_TOKEN: '' } },
  );
  expect(recorded.status, recorded.stderr).toBe(0);
  const text = await cli(['scan', 'targets', ...base], { env: ENV });
  expect(text.status, text.stderr).toBe(0);
  expect(text.stdout).toBe(`docker.io/library/node@${DIGEST('a')}\n`);
  const json = await cli(['scan', 'targets', '--json', ...base], { env: ENV });
  expect(JSON.parse(json.stdout)).toEqual([
    { image: 'node-22', kind: 'base', digest: DIGEST('a'), reference: `docker.io/library/node@${DIGEST('a')}` },
  ]);
  expect((await cli(['scan', 'targets', '--report', 'x.json', ...base], { env: ENV })).status).toBe(2);
});
