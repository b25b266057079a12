/**
 * Delivery and catch-up rules (README "How rebuilds are decided", DESIGN §10 "Delivery"), each written from the rule:
 * claims are kept apart from the bounded history and never lost; a claim never answered is sent again after the
 * claim timeout with the same key; a descendant is never claimed in the same run as its ancestor, and its wait
 * counts from when the wait starts; refusals merge into one pending entry; release times from the future are
 * unknown; the first update of a base can be urgent; a due trigger that cannot be sent stays pending with its
 * reason; no state is written that the next run could not load.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import type { ManagedImage } from '../src/enrolment/types.js';
import { planRun } from '../src/rebuild/plan-run.js';
import {
  claimRebuilds,
  claimsInFlight,
  credibleRelease,
  dueRebuilds,
  pendingByImage,
  recordBaseUpdate,
  recordTriggerOutcome,
  requeueRefused,
  timedOutClaims,
  triggerKey,
} from '../src/rebuild/record.js';
import { githubDispatch } from '../src/rebuild/triggers.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { MAX_REBUILD_HISTORY } from '../src/state/schema.js';
import { diffStateFiles, renderState } from '../src/state/store.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const T = (day: number, hour = 0, minute = 0) =>
  new Date(Date.UTC(2026, 10, day, hour, minute)).toISOString().replace('.000Z', 'Z');
const entry = (name: string, extra = '') =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n${extra}`;
const analysis = (image: string, dockerfile: string) => ({
  image,
  dockerfile: 'Dockerfile',
  uses: analyseDockerfile(dockerfile, 'Dockerfile', {}),
  build: { tag: '1.0', digest: D('f') },
});
const old = { created: '2026-10-01T00:00:00Z', baseDigests: [] as string[] };
const update = (base: string, c: string, released: string | null, seen: string, urgent = false) => ({
  base,
  digest: D(c),
  released,
  seen,
  urgent,
});

/** node (external) → node-base (built here, delay 1d) → backstage (3d). */
const chainEnrolment = loadEnrolment(
  `images:\n${entry('node-base', '    rebuildDelay: 1d\n')}${entry('backstage', '    rebuildDelay: 3d\n')}`,
  'images.yaml',
);
const chain: StateSnapshot = planStateUpdate(EMPTY_STATE, chainEnrolment, [
  analysis('node-base', 'FROM node:22\n'),
  analysis('backstage', 'FROM ghcr.io/acme/node-base:22\n'),
]);
const chainBuilds = new Map([
  ['node-base', old],
  ['backstage', old],
]);

function recorded(state: StateSnapshot, enrolment = chainEnrolment, u = update('node-22', 'a', T(1), T(1))) {
  const result = recordBaseUpdate(state, enrolment, u, chainBuilds);
  if (result.status !== 'recorded') throw new Error(`expected recorded, got ${result.status}`);
  return result.state;
}

const requestFor = (image: ManagedImage, key: string) => {
  const target = {
    provider: 'github' as const,
    repo: image.source.repo,
    branch: image.source.branch,
    workflow: image.source.workflow ?? 'build.yaml',
    inputs: { key },
  };
  return { request: githubDispatch('https://api.github.com', target), target };
};
const plan = (state: StateSnapshot, now: string, enrolment = chainEnrolment, claimTimeoutSeconds = 7200) =>
  planRun({ state, enrolment, updates: [], now, claimTimeoutSeconds, requestFor });

describe('catch-up: a release seen long after it happened', () => {
  test('the ancestor and its descendant are never claimed in the same run; the wait counts from the claim', () => {
    // node's release is 22 days old when the factory first sees it: both due times are long past.
    const state = recorded(chain, chainEnrolment, update('node-22', 'a', T(1), T(23)));
    expect(dueRebuilds(state, T(23)).map((r) => r.image)).toEqual(['node-base']);
    const first = plan(state, T(23));
    expect(first.sends.map((s) => s.image)).toEqual(['node-base']);
    // An hour less a minute after node-base was claimed, backstage still waits; an hour after, its wait is over.
    expect(plan(first.state, T(23, 0, 59)).sends).toEqual([]);
    expect(plan(first.state, T(23, 1)).sends.map((s) => s.image)).toEqual(['backstage']);
  });

  test('while the ancestor is still pending (not sendable), the descendant does not start its wait', () => {
    const state = recorded(chain, chainEnrolment, update('node-22', 'a', T(1), T(1)));
    const noGithub = () => 'no GitHub token: set GITHUB_TOKEN or --github-token-file';
    const later = planRun({
      state,
      enrolment: chainEnrolment,
      updates: [],
      now: T(10),
      claimTimeoutSeconds: 7200,
      requestFor: noGithub,
    });
    expect(later.sends).toEqual([]);
    expect(later.skipped.map((s) => s.image)).toEqual(['node-base']);
    expect(dueRebuilds(later.state, T(10)).map((r) => r.image)).toEqual(['node-base']);
  });
});

describe('claims are kept apart from the bounded history', () => {
  const many = Array.from({ length: 120 }, (_, i) => `app-${String(i).padStart(3, '0')}`);
  const manyEnrolment = loadEnrolment(
    `defaults:\n  rebuildDelay: "0"\nimages:\n${many.map((n) => entry(n)).join('')}`,
    'images.yaml',
  );
  const manyState = planStateUpdate(
    EMPTY_STATE,
    manyEnrolment,
    many.map((n) => analysis(n, 'FROM node:22\n')),
  );

  test('120 claims, 120 transient answers: 120 pending afterwards, the same keys, nothing lost', () => {
    const result = recordBaseUpdate(manyState, manyEnrolment, update('node-22', 'a', T(1), T(1)), new Map());
    if (result.status !== 'recorded') throw new Error(result.status);
    const due = dueRebuilds(result.state, T(1));
    expect(due).toHaveLength(120);
    let state = claimRebuilds(result.state, due, T(1));
    expect(claimsInFlight(state)).toHaveLength(120);
    for (const rebuild of due) {
      state = recordTriggerOutcome(state, triggerKey(rebuild), { status: 'transient', answer: 'HTTP 502' }, T(1, 1));
    }
    const record = state.baseImages.get('node-22')?.rebuild;
    expect(record?.history).toHaveLength(MAX_REBUILD_HISTORY);
    expect(record?.pending).toHaveLength(120);
    expect(dueRebuilds(state, T(1, 1)).map(triggerKey)).toEqual(due.map(triggerKey));
  });

  test('claims survive any number of later history entries', () => {
    const result = recordBaseUpdate(manyState, manyEnrolment, update('node-22', 'a', T(1), T(1)), new Map());
    if (result.status !== 'recorded') throw new Error(result.status);
    const [first, ...rest] = dueRebuilds(result.state, T(1));
    if (first === undefined) throw new Error('none due');
    let state = claimRebuilds(result.state, [first, ...rest], T(1));
    for (const rebuild of rest) {
      state = recordTriggerOutcome(state, triggerKey(rebuild), { status: 'triggered', answer: 'HTTP 204' }, T(1));
    }
    expect(claimsInFlight(state).map((c) => c.key)).toEqual([triggerKey(first)]);
  });
});

describe('a claim never answered is sent again, with the same key', () => {
  const state = recorded(chain);
  const claimed = plan(state, T(2)).state;
  const [claim] = claimsInFlight(claimed);

  test('not before the claim timeout; at it, once, with the same key and the time it was claimed', () => {
    expect(claim).toMatchObject({ image: 'node-base', claimedAt: T(2), sends: 1 });
    expect(timedOutClaims(claimed, T(2, 1, 59), 7200)).toEqual([]);
    expect(plan(claimed, T(2, 1, 59)).sends).toEqual([]);
    const again = plan(claimed, T(2, 2));
    expect(again.sends).toEqual([
      expect.objectContaining({ image: 'node-base', key: claim?.key, resend: { claimedBefore: T(2), sends: 2 } }),
    ]);
    // Claimed again (the commit is the lock): a concurrent sweep on the new head does not send it a third time.
    expect(claimsInFlight(again.state)).toEqual([
      expect.objectContaining({ claimedAt: T(2), lastClaimedAt: T(2, 2), sends: 2 }),
    ]);
    expect(plan(again.state, T(2, 2)).sends).toEqual([]);
  });

  test('the claim timeout is the caller’s: a shorter one resends sooner', () => {
    expect(plan(claimed, T(2, 0, 10), chainEnrolment, 600).sends.map((s) => s.key)).toEqual([claim?.key]);
  });

  test('a claim written by an older version (a `claimed` history entry, never answered) is healed the same way', () => {
    const base = state.baseImages.get('node-22');
    if (base?.rebuild === undefined) throw new Error('no record');
    const legacy: StateSnapshot = {
      images: state.images,
      baseImages: new Map(state.baseImages).set('node-22', {
        ...base,
        rebuild: {
          ...base.rebuild,
          pending: base.rebuild.pending.filter((p) => p.image !== 'node-base'),
          history: [{ image: 'node-base', digest: D('a'), result: 'claimed', at: T(2), key: 'node-base-legacykey' }],
        },
      }),
    };
    expect(plan(legacy, T(2, 1)).sends).toEqual([]);
    const healed = plan(legacy, T(2, 2));
    expect(healed.sends.map((s) => [s.image, s.key])).toEqual([['node-base', 'node-base-legacykey']]);
    const record = healed.state.baseImages.get('node-22')?.rebuild;
    expect(record?.history.filter((h) => h.result === 'claimed')).toEqual([]);
    expect(record?.claims).toEqual([expect.objectContaining({ key: 'node-base-legacykey', sends: 2 })]);
  });
});

describe('pending entries', () => {
  test('two refusals of one image merge into one pending entry: the earliest start, every digest refused', () => {
    const apiEnrolment = (workflow: string) =>
      loadEnrolment(
        `images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n      workflow: ${workflow}\n`,
        'images.yaml',
      );
    const before = apiEnrolment('old.yaml');
    let state = planStateUpdate(EMPTY_STATE, before, [analysis('api', 'FROM node:22\n')]);
    for (const [c, day] of [
      ['a', 1],
      ['b', 10],
    ] as const) {
      const r = recordBaseUpdate(state, before, update('node-22', c, T(day), T(day)), new Map());
      if (r.status !== 'recorded') throw new Error(r.status);
      const due = dueRebuilds(r.state, T(day + 7));
      state = claimRebuilds(r.state, due, T(day + 7));
      for (const d of due) {
        state = recordTriggerOutcome(
          state,
          triggerKey(d),
          { status: 'failed', answer: 'Workflow does not exist', config: 'old-config' },
          T(day + 7),
        );
      }
    }
    const requeued = requeueRefused(state, apiEnrolment('fixed.yaml'), T(20));
    const pending = requeued.baseImages.get('node-22')?.rebuild?.pending ?? [];
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      image: 'api',
      since: T(8),
      due: T(20),
      causes: [
        { base: 'node-22', digest: D('a') },
        { base: 'node-22', digest: D('b') },
      ],
    });
  });

  test('a due rebuild that cannot be sent stays pending with its reason; the same reason again changes nothing', () => {
    const state = recorded(chain);
    const none = () => 'no GitHub token: set GITHUB_TOKEN or --github-token-file';
    const run = (s: StateSnapshot) =>
      planRun({
        state: s,
        enrolment: chainEnrolment,
        updates: [],
        now: T(3),
        claimTimeoutSeconds: 7200,
        requestFor: none,
      });
    const first = run(state);
    const pending = first.state.baseImages.get('node-22')?.rebuild?.pending ?? [];
    expect(pending.find((p) => p.image === 'node-base')?.notSent).toBe(
      'no GitHub token: set GITHUB_TOKEN or --github-token-file',
    );
    expect(pendingByImage(first.state).has('node-base')).toBe(true);
    expect(diffStateFiles(renderState(first.state), run(first.state).state).changes).toEqual([]);
  });

  test('the idempotency key names the decision: its image, start and causes', () => {
    const base = { image: 'api', since: T(1), causes: [{ base: 'node-22', digest: D('a') }] };
    expect(triggerKey(base)).toBe(triggerKey({ ...base }));
    expect(triggerKey({ ...base, since: T(2) })).not.toBe(triggerKey(base));
    expect(triggerKey({ ...base, causes: [{ base: 'node-22', digest: D('b') }] })).not.toBe(triggerKey(base));
  });
});

describe('time is data', () => {
  test('a release time later than now (beyond five minutes of clock skew) is unknown, and says so', () => {
    expect(credibleRelease('9999-12-31T00:00:00Z', T(1))).toEqual({
      released: null,
      doubt: expect.stringContaining('later than now'),
    });
    expect(credibleRelease(T(1, 0, 5), T(1))).toEqual({ released: T(1, 0, 5) });
    expect(credibleRelease(T(1, 0, 6), T(1)).released).toBeNull();
    expect(credibleRelease(null, T(1))).toEqual({ released: null });
  });

  test('the delay counts from the first-seen time when the release is unknown: due is a real instant', () => {
    const state = recorded(chain, chainEnrolment, update('node-22', 'a', null, T(5)));
    const text = renderState(state).get('base-images/node-22.yaml') ?? '';
    expect(text).toMatch(new RegExp(`due: '${T(6)}'\n`));
    expect(text).not.toContain('+0');
  });

  test('a state the next run could not load is refused before it is written', () => {
    const state = recorded(chain);
    const base = state.baseImages.get('node-22');
    if (base?.rebuild === undefined) throw new Error('no record');
    const broken: StateSnapshot = {
      images: state.images,
      baseImages: new Map(state.baseImages).set('node-22', {
        ...base,
        rebuild: {
          ...base.rebuild,
          pending: base.rebuild.pending.map((p) => ({ ...p, due: '2026-02-30T00:00:00Z' })),
        },
      }),
    };
    expect(() => diffStateFiles(new Map(), broken)).toThrow(/base-images\/node-22.yaml.*could not load/);
  });
});
