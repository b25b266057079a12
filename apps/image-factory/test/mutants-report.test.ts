/**
 * The report's model (src/report/model.ts) as docs/cli.md ("report", its `--json` shape) and docs/reports.md state it,
 * pinned where the mutation run found it unpinned (docs/mutation.md): every enrolled image in name order with its
 * reference, build, bases (their reference, newest digest and release, live over recorded), pending rebuild, claims
 * and last trigger; an enrolled image with no state file yet; the base images in name order, pinned or not; the
 * signature gate's blocked and warned digests; `live` only with --live; and every summary count.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import type { LiveStatus } from '../src/registry/live-status.js';
import { buildReport, type ReportImage } from '../src/report/model.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import type { BaseImageState, RebuildRecord, StateSnapshot } from '../src/state/types.js';
import { EMPTY_STATE } from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = new Date('2026-11-23T12:00:00Z');
const managed = (name: string) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n`;
const redis = '  - name: redis\n    registry: docker.io\n    repository: library/redis\n    allowTags: ^7\\.\n';
/** Enrolled out of name order: the report sorts them. */
const IMAGES = `${managed('web')}${redis}${managed('ops')}${managed('api')}${managed('new')}`;
const enrolment = loadEnrolment(`images:\n${IMAGES}`, 'images.yaml');
/** `zeta` is enrolled after the last analysis: it has no state file yet. */
const enrolledLater = loadEnrolment(`images:\n${IMAGES}${managed('zeta')}`, 'images.yaml');

const PYTHON = `docker.io/library/python@${D('7')}`;
const analysis = (image: string, dockerfile: string, tag: string, digest: string) => ({
  image,
  dockerfile: 'Dockerfile',
  uses: analyseDockerfile(dockerfile, 'Dockerfile', {}),
  build: { tag, digest },
});
const planned = planStateUpdate(EMPTY_STATE, enrolment, [
  analysis('web', `FROM node:22\nFROM python@${D('7')}\n`, '1.0', D('a')),
  analysis('api', 'FROM node:22\n', '2.0', D('b')),
  analysis('ops', 'FROM node:22 AS build\nFROM alpine:3\n', '3.0', D('c')),
]);
const PY = [...planned.baseImages.keys()].find((n) => n.startsWith('python')) ?? '';

const at = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00Z`;
const seen = (c: string, day: number, extra: { blocked?: string; warning?: string } = {}) => ({
  digest: D(c),
  released: at(day),
  seen: at(day),
  ...extra,
});
const pending = (image: string, notSent?: string) => ({
  image,
  since: at(10),
  due: at(17),
  urgent: false,
  causes: [{ base: 'node-22', digest: D('2') }],
  waitFor: [],
  waitUntil: null,
  ...(notSent === undefined ? {} : { notSent }),
});
const UNSIGNED =
  'no signature verifies; signed by nobody (no cosign signature found); the policy wants the key in k.pub';
const STRANGER = 'not signed by any key the policy trusts; signed by an unknown key; the policy wants the key in k.pub';
const record: RebuildRecord = {
  current: seen('1', 1),
  latest: seen('2', 10),
  seen: [
    seen('1', 1),
    seen('2', 10),
    seen('3', 11, { blocked: UNSIGNED }),
    seen('4', 12, { warning: STRANGER }),
    seen('5', 13, { blocked: STRANGER }),
  ],
  // Found due and not sent, in an order that is not the reasons' order.
  pending: [pending('api', 'workflow missing'), pending('ops', 'no token'), pending('web', 'no token')],
  claims: [
    {
      image: 'web',
      key: 'web-1',
      digest: D('2'),
      since: at(10),
      urgent: false,
      causes: [{ base: 'node-22', digest: D('2') }],
      claimedAt: '2026-11-12T00:17:00Z',
      sends: 2,
    },
  ],
  history: [
    { image: 'api', digest: D('1'), result: 'failed', at: at(3), key: 'api-1', answer: 'HTTP 404', run: 'run-9' },
    { image: 'ops', digest: D('1'), result: 'triggered', at: at(4) },
  ],
};

/** The base files in a map out of name order (a state read from files has no order to rely on); alpine's missing. */
function stateOf(nodeRecord: RebuildRecord | undefined): StateSnapshot {
  const base = (name: string): BaseImageState => {
    const b = planned.baseImages.get(name);
    if (b === undefined) throw new Error(`${name} not planned`);
    return b;
  };
  const node = base('node-22');
  return {
    images: planned.images,
    baseImages: new Map([
      [PY, base(PY)],
      ['node-22', nodeRecord === undefined ? node : { ...node, rebuild: nodeRecord }],
    ]),
  };
}
const state = stateOf(record);

function live(created: Record<string, string | null>, baseDigest: string | null): LiveStatus {
  return {
    checkedAt: '2026-11-23T11:59:00Z',
    baseImages:
      baseDigest === null
        ? []
        : [
            {
              name: 'node-22',
              reference: 'docker.io/library/node:22',
              pinned: false,
              digest: baseDigest,
              released: at(20),
              dependents: ['api', 'ops', 'web'],
              error: null,
            },
          ],
    externalImages: [],
    managedImages: Object.entries(created).map(([name, time]) => ({ name, build: name, created: time, error: null })),
    requests: { ping: 0, head: 0, get: 0, token: 0 },
    rateLimits: [],
    failedRegistries: [{ registry: 'docker.io', images: ['redis'], exitCode: 3, error: 'HTTP 503' }],
  };
}

const imageOf = (images: readonly ReportImage[], name: string): ReportImage => {
  const image = images.find((i) => i.name === name);
  if (image === undefined) throw new Error(`${name} not in the report`);
  return image;
};

/** Built inside each test, so that a mutant of the model is active while it runs. */
const reportOf = () => buildReport(state, enrolledLater, NOW);

describe('report: every enrolled image, by name', () => {
  test('sorted by name, each with its kind and its registry/repository reference', () => {
    expect(reportOf().images.map((i) => [i.name, i.kind, i.reference])).toEqual([
      ['api', 'managed', 'ghcr.io/acme/api'],
      ['new', 'managed', 'ghcr.io/acme/new'],
      ['ops', 'managed', 'ghcr.io/acme/ops'],
      ['redis', 'external', 'docker.io/library/redis'],
      ['web', 'managed', 'ghcr.io/acme/web'],
      ['zeta', 'managed', 'ghcr.io/acme/zeta'],
    ]);
  });

  test('an image enrolled with no state file yet, and an external image: nothing known but what the state says', () => {
    const nothing = {
      build: null,
      created: null,
      ageDays: null,
      bases: [],
      stale: null,
      pending: null,
      claims: [],
      lastTrigger: null,
      carried: null,
    };
    expect(imageOf(reportOf().images, 'zeta')).toStrictEqual({
      name: 'zeta',
      kind: 'managed',
      reference: 'ghcr.io/acme/zeta',
      ...nothing,
      vulnerabilities: null,
    });
    // An external image's recorded scans (none yet: not scanned, never zero findings).
    expect(imageOf(reportOf().images, 'redis')).toStrictEqual({
      name: 'redis',
      kind: 'external',
      reference: 'docker.io/library/redis',
      ...nothing,
      vulnerabilities: { digest: null, scan: null, latest: null, fixedByLatest: [] },
    });
  });

  test('a managed image: its last analysed build (tag and digest), or null before its first build', () => {
    expect(imageOf(reportOf().images, 'web').build).toStrictEqual({ tag: '1.0', digest: D('a') });
    expect(imageOf(reportOf().images, 'new').build).toBe(null);
  });

  test("its bases: the state's reference, the newest digest recorded and its release; unknown when nothing is", () => {
    expect(imageOf(reportOf().images, 'web').bases).toStrictEqual([
      { name: 'node-22', reference: 'docker.io/library/node:22', digest: D('2'), released: at(10), stale: null },
      { name: PY, reference: PYTHON, digest: null, released: null, stale: null },
    ]);
    // A base with no state file (alpine's is missing): its name stands for its reference, nothing else is known.
    expect(imageOf(reportOf().images, 'ops').bases.find((b) => b.name === 'alpine-3')).toStrictEqual({
      name: 'alpine-3',
      reference: 'alpine-3',
      digest: null,
      released: null,
      stale: null,
    });
  });

  test('a pending rebuild: due, reason, causes as base@digest, why not sent; claims awaiting their answer', () => {
    const web = imageOf(reportOf().images, 'web');
    expect(web.pending).toStrictEqual({
      due: at(17),
      reason: 'delay',
      urgent: false,
      waitFor: [],
      causes: [`node-22@${D('2')}`],
      notSent: 'no token',
    });
    expect(web.claims).toStrictEqual([{ key: 'web-1', claimedAt: '2026-11-12T00:17:00Z', sends: 2 }]);
    expect(imageOf(reportOf().images, 'new')).toMatchObject({ pending: null, claims: [] });
  });

  test('a rebuild owed makes an image stale even with no registry facts; without one and without facts: unknown', () => {
    expect(['api', 'new', 'ops', 'web'].map((n) => imageOf(reportOf().images, n).stale)).toEqual([
      true,
      null,
      true,
      true,
    ]);
    const claimedOnly = buildReport(stateOf({ ...record, pending: [] }), enrolment, NOW);
    expect(imageOf(claimedOnly.images, 'web').stale).toBe(true);
    expect(imageOf(claimedOnly.images, 'api').stale).toBe(null);
  });

  test('the last trigger carries the key, the answer and the run when recorded, and only then', () => {
    expect(imageOf(reportOf().images, 'api').lastTrigger).toStrictEqual({
      at: at(3),
      result: 'failed',
      key: 'api-1',
      answer: 'HTTP 404',
      run: 'run-9',
    });
    expect(imageOf(reportOf().images, 'ops').lastTrigger).toStrictEqual({ at: at(4), result: 'triggered' });
    expect(imageOf(reportOf().images, 'web').lastTrigger).toBe(null);
  });
});

describe('report: base images, signatures, live', () => {
  test('the base images sorted by name, pinned when the Dockerfile pins them by digest', () => {
    expect(
      buildReport(state, enrolment, NOW).baseImages.map((b) => [b.name, b.reference, b.pinned, b.managedImage]),
    ).toEqual([
      ['node-22', 'docker.io/library/node:22', false, null],
      [PY, PYTHON, true, null],
    ]);
  });

  test('the signature gate: blocked and warned digests apart, counted, the unsigned ones among the blocked', () => {
    const report = buildReport(state, enrolment, NOW);
    expect(report.signatures.blocked.map((g) => [g.digest, g.unsigned])).toEqual([
      [D('3'), true],
      [D('5'), false],
    ]);
    expect(report.signatures.warnings.map((g) => [g.digest, g.reason])).toEqual([[D('4'), STRANGER]]);
    expect(report.summary).toMatchObject({ blockedDigests: 2, unsignedDigests: 1 });
    const none = buildReport(stateOf(undefined), enrolment, NOW);
    expect(none.signatures).toEqual({ blocked: [], warnings: [] });
    expect(none.summary).toMatchObject({ blockedDigests: 0, unsignedDigests: 0 });
  });

  test('`live` is null without --live; with it, when the registries were asked and the ones that failed', () => {
    expect(buildReport(state, enrolment, NOW).live).toBe(null);
    const facts = live({}, null);
    expect(buildReport(state, enrolment, NOW, facts).live).toStrictEqual({
      checkedAt: '2026-11-23T11:59:00Z',
      failedRegistries: [{ registry: 'docker.io', images: ['redis'], exitCode: 3, error: 'HTTP 503' }],
    });
  });

  test("with --live a base's digest is the registry's, over the one recorded", () => {
    const web = imageOf(buildReport(state, enrolment, NOW, live({}, D('9'))).images, 'web');
    expect(web.bases.find((b) => b.name === 'node-22')).toMatchObject({ digest: D('9'), released: at(20) });
    // The registry's digest stands alone when nothing is recorded.
    const unrecorded = imageOf(buildReport(stateOf(undefined), enrolment, NOW, live({}, D('9'))).images, 'web');
    expect(unrecorded.bases.find((b) => b.name === 'node-22')?.digest).toBe(D('9'));
  });
});

describe('report: the summary', () => {
  test('counts by kind, owed, claimed, and the unsent rebuilds by reason, sorted', () => {
    const { summary } = buildReport(state, enrolledLater, NOW);
    expect(summary).toMatchObject({
      images: 6,
      managed: 5,
      external: 1,
      baseImages: 2,
      stale: 3,
      pendingRebuilds: 3,
      claimedRebuilds: 1,
      unsentRebuilds: [
        { reason: 'no token', images: 2 },
        { reason: 'workflow missing', images: 1 },
      ],
      failedTriggers: 1,
      oldestBuildAgeDays: null,
    });
    const quiet = buildReport(stateOf(undefined), enrolment, NOW).summary;
    expect(quiet).toMatchObject({ stale: 0, pendingRebuilds: 0, claimedRebuilds: 0, unsentRebuilds: [] });
  });

  test('the oldest build age is the largest of the ages known (with --live), null when none is', () => {
    const facts = live({ api: at(5), web: '2026-11-20T12:00:00Z', ops: null }, null);
    const report = buildReport(state, enrolment, NOW, facts);
    expect(['api', 'ops', 'web'].map((n) => imageOf(report.images, n).ageDays)).toEqual([18, null, 3]);
    expect(report.summary.oldestBuildAgeDays).toBe(18);
    expect(buildReport(state, enrolment, NOW, live({ ops: null }, null)).summary.oldestBuildAgeDays).toBe(null);
  });
});
