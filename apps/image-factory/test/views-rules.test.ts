/**
 * The views' rules pinned from the README (each test fails when its rule is changed by one line): staleness ("a base
 * released after the build": the same second is not after), age (a build created after the report's time has no age
 * and no freshness, never a negative one or a guessed "fresh"), the reason of a pending rebuild that is urgent and
 * waits for an ancestor, the last trigger (fresh / record-only are decisions, not triggers; newest last at the same
 * second), one graph edge per dependency, compliance's live digest over the state's, a spec pinned by digest, and a
 * claim awaiting its answer making an image stale. `buildReport` is given the registries' facts throughout.
 */
import { describe, expect, test } from 'vitest';
import { checkCompliance } from '../src/compliance/check.js';
import type { RunningContainer } from '../src/compliance/pods.js';
import { loadEnrolment } from '../src/enrolment/load.js';
import type { LiveStatus } from '../src/registry/live-status.js';
import { buildReport } from '../src/report/model.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import type { BaseImageState, RebuildRecord, StateSnapshot } from '../src/state/types.js';
import { EMPTY_STATE } from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = new Date('2026-11-23T12:00:00Z');
const managed = (name: string) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n`;
const enrolment = loadEnrolment(`images:\n${managed('app')}${managed('nb')}${managed('solo')}`, 'images.yaml');
const planned = planStateUpdate(EMPTY_STATE, enrolment, [
  {
    image: 'app',
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile('FROM node:22 AS build\nFROM gcr.io/distroless/static\n', 'Dockerfile', {}),
    build: { tag: '1.0', digest: D('a') },
  },
  {
    image: 'nb',
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile('FROM node:22\n', 'Dockerfile', {}),
    build: { tag: '22', digest: D('b') },
  },
  {
    image: 'solo',
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile('FROM scratch\nCOPY app /\n', 'Dockerfile', {}),
    build: { tag: '1', digest: D('d') },
  },
]);
const [NODE, STATIC] = ['node-22', [...planned.baseImages.keys()].find((n) => n.includes('static')) ?? ''];

function withRecord(state: StateSnapshot, name: string, record: Partial<RebuildRecord>): StateSnapshot {
  const base = state.baseImages.get(name);
  if (base === undefined) throw new Error(`${name} not planned`);
  const next: BaseImageState = { ...base, rebuild: { pending: [], history: [], ...record } };
  return { images: state.images, baseImages: new Map([...state.baseImages, [name, next]]) };
}

/** The registries' facts as liveStatus returns them: app built at `created`, the bases released at these times. */
function facts(created: string | null, released: Record<string, string | null>): LiveStatus {
  return {
    checkedAt: '2026-11-23T12:00:00Z',
    baseImages: Object.entries(released).map(([name, time]) => ({
      name,
      reference: name,
      pinned: false,
      digest: D('9'),
      released: time,
      dependents: ['app'],
      error: null,
    })),
    externalImages: [],
    managedImages: [{ name: 'app', build: `ghcr.io/acme/app:1.0@${D('a')}`, created, error: null }],
    requests: { ping: 0, head: 0, get: 0, token: 0 },
    rateLimits: [],
    failedRegistries: [],
  };
}

const appOf = (state: StateSnapshot, live: LiveStatus, now = NOW) => {
  const app = buildReport(state, enrolment, now, live).images.find((i) => i.name === 'app');
  if (app === undefined) throw new Error('app not in the report');
  return app;
};

describe('report: age and staleness from the registries’ facts', () => {
  test('a build 18 days old, one base released after it: stale, that base marked, the oldest age in the summary', () => {
    const live = facts('2026-11-05T00:00:00Z', { [NODE]: '2026-11-10T00:00:00Z', [STATIC]: '2026-10-01T00:00:00Z' });
    const report = buildReport(planned, enrolment, NOW, live);
    const app = report.images.find((i) => i.name === 'app');
    expect(app).toMatchObject({ created: '2026-11-05T00:00:00Z', ageDays: 18, stale: true });
    expect(Object.fromEntries((app?.bases ?? []).map((b) => [b.name, [b.released, b.stale]]))).toEqual({
      [NODE]: ['2026-11-10T00:00:00Z', true],
      [STATIC]: ['2026-10-01T00:00:00Z', false],
    });
    expect(report.summary.oldestBuildAgeDays).toBe(18);
    expect(report.summary.stale).toBe(1);
  });

  test('the stale boundary: a base released in the same second as the build is not after it; one second later is', () => {
    const same = appOf(planned, facts('2026-11-05T00:00:00Z', { [NODE]: '2026-11-05T00:00:00Z', [STATIC]: null }));
    expect(same.bases.find((b) => b.name === NODE)?.stale).toBe(false);
    const both = facts('2026-11-05T00:00:00Z', { [NODE]: '2026-11-05T00:00:00Z', [STATIC]: '2026-11-04T23:59:59Z' });
    expect(appOf(planned, both).stale).toBe(false);
    const later = facts('2026-11-05T00:00:00Z', { [NODE]: '2026-11-05T00:00:01Z', [STATIC]: '2026-11-01T00:00:00Z' });
    expect(appOf(planned, later)).toMatchObject({ stale: true });
    // One base unknown and none newer: not "fresh", unknown.
    expect(
      appOf(planned, facts('2026-11-05T00:00:00Z', { [NODE]: '2026-11-01T00:00:00Z', [STATIC]: null })).stale,
    ).toBe(null);
  });

  test('age counts whole days up to the report time; a build created after it has no age and no freshness', () => {
    const released = { [NODE]: '2026-11-01T00:00:00Z', [STATIC]: '2026-10-01T00:00:00Z' };
    expect(appOf(planned, facts('2026-11-23T12:00:00Z', released)).ageDays).toBe(0);
    expect(appOf(planned, facts('2026-11-22T12:00:00Z', released)).ageDays).toBe(1);
    expect(appOf(planned, facts('2026-11-22T12:00:01Z', released)).ageDays).toBe(0);
    // Created a day after the report's time (a report --now in the past, a builder's clock ahead): shown as the
    // registry said, but no age (never -1 days) and no staleness (never "fresh" because its bases are older).
    const inverted = appOf(planned, facts('2026-11-24T12:00:00Z', released));
    expect(inverted).toMatchObject({ created: '2026-11-24T12:00:00Z', ageDays: null, stale: null });
    expect(inverted.bases.map((b) => b.stale)).toEqual([null, null]);
    // An image built on nothing (FROM scratch) is fresh once its build time is known, and unknown before.
    const solo = (created: string | null) => {
      const live = { ...facts(null, {}), managedImages: [{ name: 'solo', build: 'solo', created, error: null }] };
      return buildReport(planned, enrolment, NOW, live).images.find((i) => i.name === 'solo');
    };
    expect(solo('2026-11-01T00:00:00Z')).toMatchObject({ bases: [], stale: false });
    expect(solo(null)).toMatchObject({ bases: [], stale: null });
    // A base "released" after the report's time says nothing either.
    const future = appOf(planned, facts('2026-11-05T00:00:00Z', { [NODE]: '2026-11-30T00:00:00Z', [STATIC]: null }));
    expect(future.bases.find((b) => b.name === NODE)?.stale).toBe(null);
  });
});

describe('report: pending rebuilds and triggers', () => {
  const entry = {
    since: '2026-11-01T00:00:00Z',
    due: '2026-11-02T00:00:00Z',
    causes: [{ base: NODE, digest: D('2') }],
  };

  test('urgent and waiting for an ancestor: the reason is "waiting" (the ancestor is rebuilt first), urgent kept', () => {
    const state = withRecord(planned, NODE, {
      pending: [{ image: 'app', ...entry, urgent: true, waitFor: ['nb'], waitUntil: '2026-11-02T01:00:00Z' }],
    });
    expect(appOf(state, facts(null, {})).pending).toMatchObject({ reason: 'waiting', urgent: true, waitFor: ['nb'] });
    const urgent = withRecord(planned, NODE, {
      pending: [{ image: 'app', ...entry, urgent: true, waitFor: [], waitUntil: null }],
    });
    expect(appOf(urgent, facts(null, {})).pending).toMatchObject({ reason: 'urgent', urgent: true });
    const delay = withRecord(planned, NODE, {
      pending: [{ image: 'app', ...entry, urgent: false, waitFor: [], waitUntil: null }],
    });
    expect(appOf(delay, facts(null, {})).pending?.reason).toBe('delay');
  });

  test('the last trigger ignores fresh and record-only decisions; at the same second the entry written later wins', () => {
    const h = (result: 'failed' | 'fresh' | 'record-only' | 'triggered', at: string) => ({
      image: 'app',
      digest: D('2'),
      result,
      at,
      key: `app-${result}`,
    });
    const state = withRecord(planned, NODE, {
      history: [
        h('failed', '2026-11-02T00:00:00Z'),
        h('fresh', '2026-11-03T00:00:00Z'),
        h('record-only', '2026-11-04T00:00:00Z'),
      ],
    });
    expect(appOf(state, facts(null, {})).lastTrigger).toMatchObject({ result: 'failed', at: '2026-11-02T00:00:00Z' });
    const tie = withRecord(planned, NODE, {
      history: [h('triggered', '2026-11-02T00:00:00Z'), h('failed', '2026-11-02T00:00:00Z')],
    });
    expect(appOf(tie, facts(null, {})).lastTrigger?.result).toBe('failed');
    expect(buildReport(tie, enrolment, NOW).summary.failedTriggers).toBe(1);
  });
});

test('graph: an image that uses a base twice (two tags of an image built here) draws one edge', () => {
  const twice = planStateUpdate(planned, enrolment, [
    {
      image: 'app',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM ghcr.io/acme/nb:22 AS build\nFROM ghcr.io/acme/nb:22-slim\n', 'Dockerfile', {}),
      build: { tag: '1.1', digest: D('c') },
    },
  ]);
  const fromNb = [...twice.baseImages.values()].filter((b) => b.managedImage === 'nb' && b.dependents.includes('app'));
  expect(fromNb).toHaveLength(2);
  const { edges } = buildReport(twice, enrolment, NOW).graph;
  expect(edges.filter((e) => e.from === 'nb' && e.to === 'app')).toHaveLength(1);
});

describe('compliance', () => {
  const container = (image: string, digest: string): RunningContainer => ({
    namespace: 'ops',
    pod: 'agent-1',
    workload: 'DaemonSet/agent',
    container: 'agent',
    init: false,
    image,
    digest,
    note: null,
    pulling: false,
  });
  const seen = (digest: string) => ({ digest, released: '2026-11-01T00:00:00Z', seen: '2026-11-01T00:00:00Z' });
  const state = withRecord(planned, NODE, { current: seen(D('1')) });
  const verdict = (c: RunningContainer, newest: ReadonlyMap<string, string>, s: StateSnapshot = state) =>
    checkCompliance([c], s, newest).workloads[0]?.containers[0];
  const NODE_TAG = 'docker.io/library/node:22';

  test("the registry's newest digest (--live) wins over the digest the state recorded", () => {
    const live = new Map([[NODE_TAG, D('2')]]);
    expect(verdict(container('node:22', D('2')), live)).toMatchObject({ verdict: 'current', expected: D('2') });
    expect(verdict(container('node:22', D('1')), live)).toMatchObject({ verdict: 'behind', expected: D('2') });
    // Without it, the newest digest the state recorded is the expectation: `latest` once one newer than `current`
    // was seen.
    expect(verdict(container('node:22', D('1')), new Map())).toMatchObject({ verdict: 'current', expected: D('1') });
    const moved = withRecord(planned, NODE, { current: seen(D('1')), latest: seen(D('3')) });
    expect(verdict(container('node:22', D('1')), new Map(), moved)).toMatchObject({
      verdict: 'behind',
      expected: D('3'),
    });
  });

  test('a spec pinned by digest is judged against the newest digest of its tag, and the reason says to move the pin', () => {
    const live = new Map([[NODE_TAG, D('2')]]);
    expect(verdict(container(`node:22@${D('1')}`, D('1')), live)).toMatchObject({
      verdict: 'behind',
      expected: D('2'),
      reason: expect.stringContaining('pinned by digest in the spec'),
    });
    expect(verdict(container(`node:22@${D('2')}`, D('2')), live)).toMatchObject({ verdict: 'current' });
  });

  test('a managed image running its last build with a claim awaiting its CI answer is stale, with when it was claimed', () => {
    const claimed = withRecord(planned, NODE, {
      claims: [
        {
          image: 'app',
          key: 'app-1',
          digest: D('2'),
          since: '2026-11-01T00:00:00Z',
          urgent: false,
          causes: [{ base: NODE, digest: D('2') }],
          claimedAt: '2026-11-08T00:17:00Z',
          sends: 1,
        },
      ],
    });
    expect(verdict(container('ghcr.io/acme/app:1.0', D('a')), new Map(), claimed)).toMatchObject({
      verdict: 'stale',
      reason: expect.stringContaining('claimed 2026-11-08T00:17:00Z'),
    });
    expect(verdict(container('ghcr.io/acme/app:1.0', D('a')), new Map(), planned)?.verdict).toBe('current');
  });
});
