/**
 * Builds use the digest that was decided (DESIGN §10 "Builds use the digest decided", issue 19): each base of the
 * image pinned to the newest digest released at least the image's rebuildDelay before now (the first pending
 * update's digest always qualifies at its due time: soak without starvation), the CRITICAL-fixing digest when urgent;
 * sent as BuildKit named contexts under the names BuildKit's Dockerfile frontend looks FROMs up by
 * (moby/buildkit v0.32.2 frontend/dockerui/config.go:468-486: familiar form, `:latest` trimmed).
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import type { ManagedImage } from '../src/enrolment/types.js';
import { buildContextName, buildContexts, pinnedDigest } from '../src/rebuild/pins.js';
import { planRun } from '../src/rebuild/plan-run.js';
import { claimsInFlight, recordBaseUpdate, recordTriggerOutcome } from '../src/rebuild/record.js';
import { githubDispatch } from '../src/rebuild/triggers.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';

const DAY = 86_400;
const D = (c: string) => `sha256:${c.repeat(64)}`;
const T = (day: number, hour = 0) => new Date(Date.UTC(2026, 10, day, hour)).toISOString().replace('.000Z', 'Z');

describe('the named-context name of a FROM (BuildKit: familiar form, :latest trimmed)', () => {
  test.each([
    [{ registry: 'docker.io', repository: 'library/node', tag: '22-bookworm-slim' }, 'node:22-bookworm-slim'],
    [{ registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }, 'alpine'],
    [{ registry: 'docker.io', repository: 'bitnami/redis', tag: '7.4' }, 'bitnami/redis:7.4'],
    [{ registry: 'ghcr.io', repository: 'acme/node-base', tag: '22' }, 'ghcr.io/acme/node-base:22'],
    [{ registry: 'localhost:5000', repository: 'x/y', tag: 'latest' }, 'localhost:5000/x/y'],
  ])('%o → %s', (base, name) => {
    expect(buildContextName(base)).toBe(name);
  });
});

describe('the digest a rebuild is pinned to', () => {
  const seen = (c: string, day: number, urgent = false) => ({
    digest: D(c),
    released: T(day),
    seen: T(day),
    ...(urgent ? { urgent: true as const } : {}),
  });
  // node re-pushed every two days; api waits 7 days.
  const record = {
    current: seen('0', -10),
    latest: seen('d', 6),
    seen: [seen('0', -10), seen('a', 0), seen('b', 2), seen('c', 4), seen('d', 6)],
    pending: [],
    history: [],
  };

  test('at the first update’s due time, the first update’s digest: nothing younger than the delay', () => {
    expect(pinnedDigest(record, 7 * DAY, T(7), false, D('a'))).toBe(D('a'));
  });

  test('later, the newest digest at least the delay old (never one younger)', () => {
    expect(pinnedDigest(record, 7 * DAY, T(9), false, D('a'))).toBe(D('b'));
    expect(pinnedDigest(record, 7 * DAY, T(12, 23), false, D('a'))).toBe(D('c'));
    expect(pinnedDigest(record, 0, T(6), false, D('a'))).toBe(D('d'));
  });

  test('before any digest has aged (an urgent or a shortened wait), the first pending update’s digest', () => {
    expect(pinnedDigest({ ...record, seen: record.seen.slice(1) }, 7 * DAY, T(3), false, D('a'))).toBe(D('a'));
  });

  test('urgent: the digest that fixes the CRITICAL, however young', () => {
    const urgent = { ...record, seen: [...record.seen.slice(0, 4), seen('d', 6, true)] };
    expect(pinnedDigest(urgent, 7 * DAY, T(6), true, D('a'))).toBe(D('d'));
  });
});

describe('a triggered rebuild carries its pins, and a re-send carries the same', () => {
  const entry = (name: string, extra = '') =>
    `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n${extra}`;
  const enrolment = loadEnrolment(`images:\n${entry('api', '    rebuildDelay: 7d\n')}`, 'images.yaml');
  let state: StateSnapshot = planStateUpdate(EMPTY_STATE, enrolment, [
    {
      image: 'api',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM node:22 AS build\nFROM gcr.io/distroless/nodejs22\n', 'Dockerfile', {}),
      build: { tag: '1', digest: D('f') },
    },
  ]);
  const old = new Map([['api', { created: '2026-10-01T00:00:00Z', baseDigests: [] }]]);
  for (const [c, day] of [
    ['0', -10],
    ['a', 0],
    ['b', 2],
    ['c', 4],
    ['d', 6],
  ] as const) {
    const r = recordBaseUpdate(
      state,
      enrolment,
      { base: 'node-22', digest: D(c), released: T(day), seen: T(day), urgent: false },
      old,
    );
    if (r.status !== 'recorded') throw new Error(r.status);
    state = r.state;
  }
  const sent: string[] = [];
  const requestFor = (image: ManagedImage, key: string, contexts: string) => {
    sent.push(contexts);
    const target = {
      provider: 'github' as const,
      repo: image.source.repo,
      branch: image.source.branch,
      workflow: 'build.yaml',
      inputs: { key, base_images: contexts },
    };
    return { request: githubDispatch('https://api.github.com', target), target };
  };

  test('the due rebuild is pinned to the aged digest of node; a base with no recorded digest is left as is', () => {
    const plan = planRun({ state, enrolment, updates: [], now: T(7), claimTimeoutSeconds: 7200, requestFor });
    expect(plan.sends.map((s) => s.image)).toEqual(['api']);
    expect(sent.at(-1)).toBe(`node:22=docker-image://docker.io/library/node@${D('a')}`);
    const [claim] = claimsInFlight(plan.state);
    expect(claim?.pins).toEqual([{ base: 'node-22', digest: D('a') }]);
    expect(plan.state.baseImages.get('node-22')?.rebuild?.claims?.[0]?.digest).toBe(D('a'));

    // Never answered: the re-send, days later, carries the same pins (the same decision), not a newer digest.
    const again = planRun({
      state: plan.state,
      enrolment,
      updates: [],
      now: T(12),
      claimTimeoutSeconds: 7200,
      requestFor,
    });
    expect(again.sends.map((s) => [s.key, s.resend?.sends])).toEqual([[claim?.key, 2]]);
    expect(sent.at(-1)).toBe(sent.at(-2));
  });

  test('buildContexts: one line per pinned base, sorted', () => {
    expect(
      buildContexts(
        [
          { base: 'node-22', digest: D('a') },
          { base: 'gcr-io-distroless-nodejs22', digest: D('b') },
        ],
        new Map([
          ['node-22', { registry: 'docker.io', repository: 'library/node', tag: '22' }],
          ['gcr-io-distroless-nodejs22', { registry: 'gcr.io', repository: 'distroless/nodejs22', tag: 'latest' }],
        ]),
      ).split('\n'),
    ).toEqual([
      `gcr.io/distroless/nodejs22=docker-image://gcr.io/distroless/nodejs22@${D('b')}`,
      `node:22=docker-image://docker.io/library/node@${D('a')}`,
    ]);
  });
});

describe('down a chain (found by the end-to-end cascade)', () => {
  const entry = (name: string, delay: string) =>
    `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n    rebuildDelay: ${delay}\n`;
  const enrolment = loadEnrolment(`images:\n${entry('node-base', '1d')}${entry('backstage', '3d')}`, 'images.yaml');
  const old = new Map([
    ['node-base', { created: '2026-10-01T00:00:00Z', baseDigests: [] }],
    ['backstage', { created: '2026-10-01T00:00:00Z', baseDigests: [] }],
  ]);
  const requestFor = (image: ManagedImage, key: string, contexts: string) => {
    const target = {
      provider: 'github' as const,
      repo: image.source.repo,
      branch: 'main',
      workflow: 'build.yaml',
      inputs: { key, contexts },
    };
    return { request: githubDispatch('https://api.github.com', target), target };
  };
  const update = (base: string, digest: string, at: string) => ({
    base,
    digest,
    released: at,
    seen: at,
    urgent: false,
  });
  function step(state: StateSnapshot, u: ReturnType<typeof update> | null, now: string) {
    return planRun({
      state,
      enrolment,
      updates: u === null ? [] : [{ update: u, builds: old }],
      now,
      claimTimeoutSeconds: 7200,
      requestFor,
    });
  }

  test('a descendant is pinned to its ancestor’s new build, younger than its own delay: the update it waited for', () => {
    let state: StateSnapshot = planStateUpdate(EMPTY_STATE, enrolment, [
      {
        image: 'node-base',
        dockerfile: 'Dockerfile',
        uses: analyseDockerfile('FROM node:22\n', 'Dockerfile', {}),
        build: { tag: '1', digest: D('1') },
      },
      {
        image: 'backstage',
        dockerfile: 'Dockerfile',
        uses: analyseDockerfile('FROM ghcr.io/acme/node-base:22\n', 'Dockerfile', {}),
        build: { tag: '1', digest: D('2') },
      },
    ]);
    // What the base Warehouses first saw (the builds the dependents are on), long ago.
    state = step(state, update('node-22', D('0'), '2026-09-01T00:00:00Z'), '2026-09-01T00:00:00Z').state;
    state = step(
      state,
      update('ghcr-io-acme-node-base-22', D('8'), '2026-09-01T00:00:00Z'),
      '2026-09-01T00:00:00Z',
    ).state;
    // node moves on Nov 2; node-base (1d) is rebuilt on Nov 3, its new build seen at once.
    state = step(state, update('node-22', D('a'), T(2)), T(2)).state;
    const nodeBase = step(state, null, T(3));
    expect(nodeBase.sends.map((s) => s.image)).toEqual(['node-base']);
    state = recordTriggerOutcome(
      nodeBase.state,
      nodeBase.sends[0]?.key ?? '',
      { status: 'triggered', answer: 'HTTP 204' },
      T(3),
    );
    state = step(state, update('ghcr-io-acme-node-base-22', D('b'), T(3, 1)), T(3, 1)).state;
    // The node file keeps the digests it has seen through the claim.
    expect(state.baseImages.get('node-22')?.rebuild?.seen?.map((d) => d.digest)).toEqual([D('0'), D('a')]);
    // backstage (3d from node's release) is due Nov 5: node-base's new build is two days old, and still it is the one.
    const backstage = step(state, null, T(5));
    expect(backstage.sends.map((s) => s.image)).toEqual(['backstage']);
    expect(claimsInFlight(backstage.state).find((c) => c.image === 'backstage')?.pins).toEqual([
      { base: 'ghcr-io-acme-node-base-22', digest: D('b') },
    ]);
  });
});
