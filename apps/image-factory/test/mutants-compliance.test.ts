/**
 * Compliance's rules (src/compliance/check.ts) as docs/reports.md ("Compliance") and docs/cli.md ("compliance") state
 * them, pinned where the mutation run found them unpinned (docs/mutation.md): every verdict with what the factory
 * calls the image, the digest expected and the reason (a managed image against its last analysed build and the
 * rebuilds owed to it; a base or external image against the newest digest of its tag: the registry's, else the one
 * state records, never the state's when the registry could not be asked); what runs is judged only while something
 * runs; the signature findings recorded by the gate; the grouping, the sorting and the counts.
 */
import { describe, expect, test } from 'vitest';
import {
  type ContainerVerdict,
  checkCompliance,
  recordedSignatureFindings,
  type SignatureFinding,
  tagKey,
} from '../src/compliance/check.js';
import type { RunningContainer } from '../src/compliance/pods.js';
import { loadEnrolment } from '../src/enrolment/load.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import type { BaseImageState, RebuildRecord, StateSnapshot } from '../src/state/types.js';
import { EMPTY_STATE } from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
/** How a reason shows a digest: `sha256:` and 12 hexadecimal digits. */
const S = (c: string) => `sha256:${c.repeat(12)}`;
const at = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00Z`;

const managed = (name: string) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n`;
const redis = '  - name: redis\n    registry: docker.io\n    repository: library/redis\n    allowTags: ^7\\.\n';
const enrolment = loadEnrolment(
  `images:\n${['api', 'web', 'ops', 'svc', 'new', 'edge'].map(managed).join('')}${redis}`,
  'images.yaml',
);
const analysis = (image: string, dockerfile: string, digest: string) => ({
  image,
  dockerfile: 'Dockerfile',
  uses: analyseDockerfile(dockerfile, 'Dockerfile', {}),
  build: { tag: '1.0', digest },
});
const planned = planStateUpdate(EMPTY_STATE, enrolment, [
  analysis('api', 'FROM node:22\nFROM python:3.12\n', D('a')),
  analysis('web', 'FROM node:22\n', D('b')),
  analysis('ops', 'FROM node:22\n', D('c')),
  analysis('svc', 'FROM node:22\n', D('d')),
  // A base pinned by a bare digest, and one whose tag is spelled `null`.
  analysis('edge', `FROM alpine@${D('7')}\nFROM busybox:null\n`, D('e')),
]);
const PYTHON = [...planned.baseImages.keys()].find((n) => n.startsWith('python')) ?? '';

const seen = (c: string, day: number, extra: { blocked?: string; warning?: string } = {}) => ({
  digest: D(c),
  released: at(day),
  seen: at(day),
  ...extra,
});
const pending = (image: string, base: string, due: number, notSent?: string) => ({
  image,
  since: at(10),
  due: at(due),
  urgent: false,
  causes: [{ base, digest: D('2') }],
  waitFor: [],
  waitUntil: null,
  ...(notSent === undefined ? {} : { notSent }),
});
const claim = (image: string, sends: number) => ({
  image,
  key: `${image}-1`,
  digest: D('2'),
  since: at(10),
  urgent: false,
  causes: [{ base: 'node-22', digest: D('2') }],
  claimedAt: '2026-11-12T00:17:00Z',
  sends,
});
const BLOCKED =
  'no signature verifies; signed by nobody (no cosign signature found); the policy wants the key in k.pub';
const WARNED = 'not signed by any key the policy trusts; signed by an unknown key; the policy wants the key in k.pub';

function withRecords(records: Record<string, RebuildRecord>): StateSnapshot {
  const baseImages = new Map(planned.baseImages);
  for (const [name, rebuild] of Object.entries(records)) {
    const base = baseImages.get(name);
    if (base === undefined) throw new Error(`${name} not planned`);
    baseImages.set(name, { ...base, rebuild } satisfies BaseImageState);
  }
  return { images: planned.images, baseImages };
}
/** node moved to 2 (api's rebuild pending with python's, not sent; ops' pending; web and svc claimed); python unrecorded. */
const state = withRecords({
  'node-22': {
    current: seen('1', 1),
    latest: seen('2', 10),
    seen: [seen('1', 1), seen('2', 10), seen('3', 11, { blocked: BLOCKED }), seen('4', 12, { warning: WARNED })],
    pending: [pending('api', 'node-22', 18, 'no token'), pending('ops', 'node-22', 19)],
    claims: [claim('web', 1), claim('svc', 2)],
    history: [],
  },
  [PYTHON]: { pending: [pending('api', PYTHON, 17)], history: [] },
});

const container = (image: string, digest: string | null, extra: Partial<RunningContainer> = {}): RunningContainer => ({
  namespace: 'shop',
  pod: 'app-1',
  workload: 'Deployment/app',
  container: 'app',
  init: false,
  image,
  digest,
  note: null,
  pulling: false,
  ...extra,
});
const NONE = new Map<string, string>();
function judged(
  c: RunningContainer,
  options: { newest?: ReadonlyMap<string, string>; unchecked?: ReadonlyMap<string, string>; s?: StateSnapshot } = {},
): ContainerVerdict {
  const report = checkCompliance([c], options.s ?? state, options.newest ?? NONE, options.unchecked ?? NONE);
  const verdict = report.workloads[0]?.containers[0];
  if (verdict === undefined) throw new Error(`${c.image} was not judged`);
  return verdict;
}
const said = (v: ContainerVerdict) => [v.known, v.expected, v.verdict, v.reason];

test('tagKey: `registry/repository:tag` of a reference with a tag; null without one or for no reference at all', () => {
  expect(
    ['node:22', `node:22@${D('1')}`, 'ghcr.io/acme/api:1.0', `node@${D('1')}`, 'Not A Reference'].map(tagKey),
  ).toEqual(['docker.io/library/node:22', 'docker.io/library/node:22', 'ghcr.io/acme/api:1.0', null, null]);
});

test('the findings state records: each gated base digest by registry/repository@digest, with its verdict and why', () => {
  expect(recordedSignatureFindings(state)).toEqual(
    new Map<string, SignatureFinding>([
      [`docker.io/library/node@${D('3')}`, { verdict: 'blocked', reason: BLOCKED }],
      [`docker.io/library/node@${D('4')}`, { verdict: 'warning', reason: WARNED }],
    ]),
  );
  expect(recordedSignatureFindings(planned).size).toBe(0);
});

describe('a managed image: against its last analysed build, then the rebuilds owed to it', () => {
  test.each([
    ['its last build, nothing owed', 'ghcr.io/acme/edge:1.0', D('e'), 'current', 'the last analysed build'],
    [
      'another build',
      'ghcr.io/acme/edge:0.9',
      D('f'),
      'behind',
      `runs ${S('f')}, the last analysed build is ${S('e')} (1.0)`,
    ],
    [
      'its last build, a rebuild pending over two bases and not sent',
      'ghcr.io/acme/api:1.0',
      D('a'),
      'stale',
      `a rebuild is pending (node-22, ${PYTHON}; due ${at(17)}; not sent: no token)`,
    ],
    [
      'its last build, a rebuild pending',
      'ghcr.io/acme/ops:1.0',
      D('c'),
      'stale',
      `a rebuild is pending (node-22; due ${at(19)})`,
    ],
    [
      'its last build, a rebuild claimed once',
      'ghcr.io/acme/web:1.0',
      D('b'),
      'stale',
      "a rebuild was claimed 2026-11-12T00:17:00Z (1 send) and its CI's answer is not recorded yet",
    ],
    [
      'its last build, a rebuild claimed twice',
      'ghcr.io/acme/svc:1.0',
      D('d'),
      'stale',
      "a rebuild was claimed 2026-11-12T00:17:00Z (2 sends) and its CI's answer is not recorded yet",
    ],
  ])('%s', (_, image, digest, verdict, reason) => {
    const name = image.split('/')[2]?.split(':')[0];
    const build = planned.images.get(name ?? '');
    expect(said(judged(container(image, digest)))).toEqual([
      `managed ${name}`,
      build?.kind === 'managed' ? build.build?.digest : undefined,
      verdict,
      reason,
    ]);
  });

  test('no build analysed yet: unverified; nothing running: not-running while pulling, else unverified, with why', () => {
    expect(said(judged(container('ghcr.io/acme/new:1', D('9'))))).toEqual([
      'managed new',
      null,
      'unverified',
      'no build of it analysed yet',
    ]);
    expect(said(judged(container('ghcr.io/acme/new:1', null, { pulling: true })))).toEqual([
      'managed new',
      null,
      'not-running',
      'not running',
    ]);
    const imageId = container('ghcr.io/acme/web:1.0', null, { note: 'only an image ID is reported' });
    expect(said(judged(imageId))).toEqual(['managed web', D('b'), 'unverified', 'only an image ID is reported']);
    expect(judged(imageId).vulnerabilities).toBe(null);
  });
});

describe('a base or external image: against the newest digest of its tag', () => {
  const live = new Map([['docker.io/library/redis:7.2', D('5')]]);
  test.each([
    [
      'the newest digest state records (latest)',
      'node:22',
      D('2'),
      'base node-22',
      D('2'),
      'current',
      'the newest digest of 22',
    ],
    ['an older digest', 'node:22', D('1'), 'base node-22', D('2'), 'behind', `runs ${S('1')}, 22 is now ${S('2')}`],
    [
      'pinned by digest in the spec',
      `node:22@${D('1')}`,
      D('1'),
      'base node-22',
      D('2'),
      'behind',
      `runs ${S('1')}, 22 is now ${S('2')} (pinned by digest in the spec: update the pin)`,
    ],
    [
      'a base with nothing recorded',
      'python:3.12',
      D('6'),
      `base ${PYTHON}`,
      null,
      'unverified',
      'the newest digest of its tag is not known: run with --live',
    ],
    [
      'the registry’s newest digest',
      'redis:7.2',
      D('5'),
      'external redis',
      D('5'),
      'current',
      'the newest digest of 7.2',
    ],
    [
      'behind the registry’s',
      'redis:7.2',
      D('6'),
      'external redis',
      D('5'),
      'behind',
      `runs ${S('6')}, 7.2 is now ${S('5')}`,
    ],
    [
      'no tag at all',
      `redis@${D('5')}`,
      D('5'),
      'external redis',
      null,
      'unverified',
      'pinned by digest with no tag: there is no newest digest to compare with',
    ],
  ])('%s', (_, image, digest, known, expected, verdict, reason) => {
    expect(said(judged(container(image, digest), { newest: live }))).toEqual([known, expected, verdict, reason]);
  });

  test('nothing running: not judged, nothing said about what runs', () => {
    const pulling = judged(container('node:22', null, { pulling: true, note: 'ContainerCreating' }));
    expect(pulling).toMatchObject({ known: 'base node-22', expected: D('2'), verdict: 'not-running' });
    expect(pulling.reason).toBe('ContainerCreating');
    expect(pulling.vulnerabilities).toBe(null);
    const bare = judged(container(`redis@${D('5')}`, null, { pulling: true }));
    expect(said(bare)).toEqual(['external redis', null, 'not-running', 'not running']);
    expect(bare.vulnerabilities).toBe(null);
  });

  test('--live could not ask about the tag: unverified with why, never judged on the digest state records', () => {
    const unchecked = new Map([['docker.io/library/node:22', 'HTTP 503 (kept failing)']]);
    expect(said(judged(container('node:22', D('2')), { unchecked }))).toEqual([
      'base node-22',
      null,
      'unverified',
      'the registry could not be asked for the newest digest of 22: HTTP 503 (kept failing)',
    ]);
    // Another tag of the same image is judged as usual.
    const other = new Map([['docker.io/library/node:20', 'HTTP 503']]);
    expect(judged(container('node:22', D('2')), { unchecked: other }).verdict).toBe('current');
  });

  test('a base is known by its tag as written: a bare digest is no tag, and a base with no tag is no tag’s base', () => {
    const report = checkCompliance(
      [container('alpine:null', D('7')), container(`busybox@${D('8')}`, D('8')), container('busybox:null', D('8'))],
      state,
      NONE,
    );
    expect(report.untracked.map((u) => u.image)).toEqual(['alpine:null', `busybox@${D('8')}`]);
    expect(report.workloads.flatMap((w) => w.containers.map((c) => c.known))).toEqual(['base busybox-null']);
  });
});

describe('the report: grouped, sorted, counted', () => {
  const containers: RunningContainer[] = [
    container('redis:7.2', D('5'), { namespace: 'ops', workload: 'Deployment/z' }),
    container('ghcr.io/acme/web:1.0', D('b'), { namespace: 'shop', workload: 'Deployment/web', pod: 'web-2' }),
    container('node:22', D('1'), { namespace: 'shop', workload: 'Deployment/web', pod: 'web-1', container: 'z' }),
    container('ghcr.io/acme/edge:1.0', D('e'), { namespace: 'shop', workload: 'Deployment/web', pod: 'web-1' }),
    container('nginx:1.27', D('9'), { namespace: 'data', workload: 'StatefulSet/db', pod: 'db-0', container: 'proxy' }),
    container('Not A Reference', D('9'), { namespace: 'data', workload: 'StatefulSet/db', pod: 'db-1' }),
    container('nginx:1.27', D('9'), { namespace: 'data', workload: 'StatefulSet/db', pod: 'db-0', container: 'a' }),
    container('redis:7.2', D('5'), { namespace: 'data', workload: 'StatefulSet/db', pod: 'db-0' }),
    container('ghcr.io/acme/new:1', null, { namespace: 'data', workload: 'Deployment/ui', pulling: true }),
    container('node:22', D('3'), { namespace: 'data', workload: 'Deployment/ui', pod: 'ui-1' }),
    container('node:22', D('4'), { namespace: 'data', workload: 'Deployment/ui', pod: 'ui-2' }),
  ];
  const live = new Map([['docker.io/library/redis:7.2', D('5')]]);
  /** Built inside each test, so that a mutant of the rules is active while it runs. */
  const reportOf = () => checkCompliance(containers, state, live, NONE, recordedSignatureFindings(state));

  test('workloads by namespace/workload, their containers by pod/container; untracked images apart, sorted', () => {
    const report = reportOf();
    expect(
      report.workloads.map((w) => [`${w.namespace}/${w.workload}`, w.containers.map((c) => `${c.pod}/${c.container}`)]),
    ).toEqual([
      ['data/Deployment/ui', ['app-1/app', 'ui-1/app', 'ui-2/app']],
      ['data/StatefulSet/db', ['db-0/app']],
      ['ops/Deployment/z', ['app-1/app']],
      ['shop/Deployment/web', ['web-1/app', 'web-1/z', 'web-2/app']],
    ]);
    expect(report.untracked).toEqual([
      { image: 'Not A Reference', containers: ['data/db-1/app'] },
      { image: 'nginx:1.27', containers: ['data/db-0/a', 'data/db-0/proxy'] },
    ]);
  });

  test('every verdict counted, the untracked ones too', () => {
    expect(reportOf().counts).toEqual({
      current: 3,
      behind: 3,
      stale: 1,
      unverified: 0,
      'not-running': 1,
      untracked: 3,
    });
  });

  test('a container running a digest the gate recorded carries the finding, counted; the others carry none', () => {
    const report = reportOf();
    const ui = report.workloads[0]?.containers ?? [];
    expect(ui.map((c) => c.signature)).toEqual([
      undefined,
      { verdict: 'blocked', reason: BLOCKED },
      { verdict: 'warning', reason: WARNED },
    ]);
    expect(ui.map((c) => 'signature' in c)).toEqual([false, true, true]);
    expect(report.signatures).toEqual({ blocked: 1, warning: 1, unverifiable: 0 });
    expect(checkCompliance(containers, state, live).signatures).toEqual({ blocked: 0, warning: 0, unverifiable: 0 });
  });
});
