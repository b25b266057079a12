/**
 * A later update that a rebuild's pin does not build is the image's next wave, not lost (issue 19 item 2: "aged, never
 * starved"; found by the docs timeline scenario, test/e2e/timeline.e2e.ts). api (rebuildDelay 7d) is built on
 * node:22. node moves on Nov 1 (a) and again on Nov 3 (b). On Nov 8 api is due and pinned to a (the first pending
 * update; b is not yet 7 days old): b must stay pending for api, due Nov 10 — before, the claim took both causes and
 * api stayed on a until node moved once more.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { pinsFor } from '../src/rebuild/pins.js';
import {
  claimRebuilds,
  dueRebuilds,
  pendingByImage,
  recordBaseUpdate,
  recordTriggerOutcome,
} from '../src/rebuild/record.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';

const DAY = 86_400;
const T = (day: number, hour = 0) => new Date(Date.UTC(2026, 10, day, hour)).toISOString().replace('.000Z', 'Z');
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const enrolment = loadEnrolment(
  'images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    rebuildDelay: 7d\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n      workflow: build.yaml\n',
  'images.yaml',
);
const initial: StateSnapshot = planStateUpdate(EMPTY_STATE, enrolment, [
  {
    image: 'api',
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile('FROM node:22\n', 'Dockerfile', {}),
    build: { tag: '1', digest: digest('f') },
  },
]);
const built = new Map([['api', { created: '2026-10-01T00:00:00Z', baseDigests: [] }]]);

function recorded(state: StateSnapshot, c: string, released: string, urgent = false): StateSnapshot {
  const result = recordBaseUpdate(
    state,
    enrolment,
    { base: 'node-22', digest: digest(c), released, seen: released, urgent },
    built,
  );
  if (result.status !== 'recorded') throw new Error(result.status);
  return result.state;
}

/** Claim what is due at `now`, pinned as the planner pins (pins.ts), with api's delay. */
function claimDue(state: StateSnapshot, now: string, delays = new Map([['api', 7 * DAY]])) {
  const due = dueRebuilds(state, now);
  const pins = new Map(
    due.map((r) => {
      const image = state.images.get(r.image);
      if (image === undefined) throw new Error(r.image);
      return [r.image, pinsFor(image, state.baseImages, 7 * DAY, now, r.urgent, r.causes)] as const;
    }),
  );
  return { due, pins, state: claimRebuilds(state, due, now, pins, delays) };
}

describe('a later update the pin does not build stays pending as the next wave', () => {
  const twoUpdates = recorded(recorded(initial, 'a', T(1)), 'b', T(3));

  test('Nov 8: api is claimed on a; b stays pending for api, since its release, due 7 days after it', () => {
    const { due, pins, state } = claimDue(twoUpdates, T(8));
    expect(due.map((r) => r.image)).toEqual(['api']);
    expect(pins.get('api')).toEqual([{ base: 'node-22', digest: digest('a') }]);
    expect(state.baseImages.get('node-22')?.rebuild?.claims?.map((c) => [c.image, c.digest])).toEqual([
      ['api', digest('a')],
    ]);
    expect(pendingByImage(state).get('api')).toMatchObject({
      since: T(3),
      due: T(10),
      urgent: false,
      causes: [{ base: 'node-22', digest: digest('b') }],
      waitFor: [],
    });
    // b is still waited on: it is not current yet.
    expect(state.baseImages.get('node-22')?.rebuild?.latest?.digest).toBe(digest('b'));
  });

  test('Nov 10: the next wave is due, pinned to b, with a key of its own; nothing is pending after it', () => {
    const first = claimDue(twoUpdates, T(8));
    const key = first.state.baseImages.get('node-22')?.rebuild?.claims?.[0]?.key ?? '';
    const triggered = recordTriggerOutcome(first.state, key, { status: 'triggered', answer: 'HTTP 204' }, T(8));
    expect(dueRebuilds(triggered, T(9, 23))).toEqual([]);
    const second = claimDue(triggered, T(10));
    expect(second.pins.get('api')).toEqual([{ base: 'node-22', digest: digest('b') }]);
    const claims = second.state.baseImages.get('node-22')?.rebuild?.claims ?? [];
    expect(claims.map((c) => c.digest)).toEqual([digest('b')]);
    expect(claims[0]?.key).not.toBe(key);
    expect(pendingByImage(second.state).get('api')).toBeUndefined();
    expect(second.state.baseImages.get('node-22')?.rebuild?.current?.digest).toBe(digest('b'));
  });

  test('a pin on the newest cause leaves nothing pending (one rebuild per wave)', () => {
    const { pins, state } = claimDue(twoUpdates, T(11));
    expect(pins.get('api')).toEqual([{ base: 'node-22', digest: digest('b') }]);
    expect(pendingByImage(state).get('api')).toBeUndefined();
  });

  test('a later cause that fixes a CRITICAL is due at once, still pinned only once it is chosen', () => {
    const urgentB = recorded(recorded(initial, 'a', T(1)), 'b', T(3), true);
    // Urgent: due at once and pinned to b, the digest that fixes it — nothing left over.
    const { pins, state } = claimDue(urgentB, T(3, 1));
    expect(pins.get('api')).toEqual([{ base: 'node-22', digest: digest('b') }]);
    expect(pendingByImage(state).get('api')).toBeUndefined();
  });
});

/** app (7d) on two bases: node:22 and nginx:1.27. */
const twoBases = loadEnrolment(
  'images:\n  - name: app\n    registry: ghcr.io\n    repository: acme/app\n    rebuildDelay: 7d\n    source:\n      provider: github\n      repo: acme/app\n      dockerfile: Dockerfile\n      workflow: build.yaml\n',
  'images.yaml',
);
const appInitial: StateSnapshot = planStateUpdate(EMPTY_STATE, twoBases, [
  {
    image: 'app',
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile('FROM node:22 AS build\nFROM nginx:1.27\n', 'Dockerfile', {}),
    build: { tag: '1', digest: digest('f') },
  },
]);
const appBuilt = new Map([['app', { created: '2026-10-01T00:00:00Z', baseDigests: [] }]]);

function update(state: StateSnapshot, base: string, c: string, released: string): StateSnapshot {
  const result = recordBaseUpdate(
    state,
    twoBases,
    { base, digest: digest(c), released, seen: released, urgent: false },
    appBuilt,
  );
  if (result.status !== 'recorded') throw new Error(result.status);
  return result.state;
}

function claimApp(state: StateSnapshot, now: string) {
  const due = dueRebuilds(state, now);
  const pins = new Map(
    due.map((r) => {
      const image = state.images.get(r.image);
      if (image === undefined) throw new Error(r.image);
      return [r.image, pinsFor(image, state.baseImages, 7 * DAY, now, r.urgent, r.causes)] as const;
    }),
  );
  const claimed = claimRebuilds(state, due, now, pins, new Map([['app', 7 * DAY]]));
  let answered = claimed;
  for (const base of claimed.baseImages.values())
    for (const claim of base.rebuild?.claims ?? [])
      answered = recordTriggerOutcome(answered, claim.key, { status: 'triggered', answer: 'HTTP 204' }, now);
  return { due, pins, state: answered };
}

describe('a carried-over update ages on its own clock, whichever base makes the image due sooner', () => {
  test('the nginx update carried to Nov 14 is not pinned on Nov 10, when node’s carried update makes app due', () => {
    // Nov 1 node a and Nov 5 nginx x: one wave, due Nov 8. Nov 3 node b and Nov 7 nginx y arrive meanwhile.
    let state = update(appInitial, 'node-22', 'a', T(1));
    state = update(state, 'node-22', 'b', T(3));
    state = update(state, 'nginx-1-27', 'x', T(5));
    state = update(state, 'nginx-1-27', 'y', T(7));
    const first = claimApp(state, T(8));
    expect(first.pins.get('app')).toEqual([
      { base: 'nginx-1-27', digest: digest('x') },
      { base: 'node-22', digest: digest('a') },
    ]);
    // b (since Nov 3) and y (since Nov 7) are carried over, each in its base's file, each on its own clock.
    const nodeNext = first.state.baseImages.get('node-22')?.rebuild?.pending?.[0];
    const nginxNext = first.state.baseImages.get('nginx-1-27')?.rebuild?.pending?.[0];
    expect([nodeNext?.since, nodeNext?.due]).toEqual([T(3), T(10)]);
    expect([nginxNext?.since, nginxNext?.due]).toEqual([T(7), T(14)]);
    // Nov 10: node's b is due and taken; nginx's y is 3 days old and not yet due: nginx stays on x.
    const second = claimApp(first.state, T(10));
    expect(second.pins.get('app')).toEqual([
      { base: 'nginx-1-27', digest: digest('x') },
      { base: 'node-22', digest: digest('b') },
    ]);
    expect(pendingByImage(second.state).get('app')).toMatchObject({ since: T(7), due: T(14) });
    // Nov 14: y is due, and taken.
    const third = claimApp(second.state, T(14));
    expect(third.pins.get('app')).toEqual([
      { base: 'nginx-1-27', digest: digest('y') },
      { base: 'node-22', digest: digest('b') },
    ]);
    expect(pendingByImage(third.state).get('app')).toBeUndefined();
  });
});
