/**
 * Rebuild rules a review found unpinned (a one-line change survived the whole suite), each written from the README's
 * rule ("How rebuilds are decided") and the DESIGN §10 text, not from the code.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { claimRebuilds, dueRebuilds, pendingByImage, recordBaseUpdate } from '../src/rebuild/record.js';
import { triggerRequest } from '../src/rebuild/trigger-request.js';
import {
  type BaseUpdate,
  decideWave,
  type PendingRebuild,
  type WaveGraph,
  type WaveImage,
} from '../src/rebuild/wave.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { MAX_REBUILD_HISTORY } from '../src/state/schema.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';

const DAY = 86_400;
const T = (day: number, hour = 0) => new Date(Date.UTC(2026, 10, day, hour)).toISOString().replace('.000Z', 'Z');
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const image = (name: string, bases: string[], extra: Partial<WaveImage> = {}): WaveImage => ({
  name,
  bases,
  rebuildDelaySeconds: 7 * DAY,
  autoRebuild: true,
  build: { created: T(1), baseDigests: [] },
  ...extra,
});
const graph = (images: WaveImage[], managedBase: Record<string, string> = {}): WaveGraph => ({
  images: new Map(images.map((i) => [i.name, i])),
  managedBase: new Map(Object.entries(managedBase)),
});
const update = (c: string, released: string | null, seen: string, urgent = false): BaseUpdate => ({
  base: 'node',
  digest: digest(c),
  released,
  seen,
  urgent,
});
function decide(g: WaveGraph, u: BaseUpdate, pending: PendingRebuild[] = []) {
  const result = decideWave(g, u, new Map(pending.map((p) => [p.image, p])));
  if (!result.ok) throw new Error(`cycle ${result.cycle.join(' → ')}`);
  return result.decisions;
}
const rebuildOf = (decisions: ReturnType<typeof decide>, name: string): PendingRebuild => {
  const found = decisions.find((d) => d.image === name);
  if (found?.action !== 'rebuild') throw new Error(`${name}: ${found?.action}`);
  const { action: _action, ...pending } = found;
  return pending;
};

describe('urgency is kept, and never delays', () => {
  test('a later update that is not urgent keeps a pending rebuild urgent and due when it was', () => {
    const g = graph([image('api', ['node'])]);
    const first = rebuildOf(decide(g, update('a', T(10), T(10), true)), 'api');
    expect(first).toMatchObject({ urgent: true, due: T(10) });
    const second = rebuildOf(decide(g, update('b', T(11), T(11)), [first]), 'api');
    expect(second).toMatchObject({ urgent: true, due: T(10) });
  });

  test('a later urgent update never moves the due time later', () => {
    const g = graph([image('api', ['node'])]);
    const first = rebuildOf(decide(g, update('a', T(10), T(10), true)), 'api');
    const second = rebuildOf(decide(g, update('b', T(12), T(12), true), [first]), 'api');
    expect(second.due).toBe(T(10));
  });

  test('an urgent update of a rebuild pending under its delay makes it due when the urgent digest is seen', () => {
    const g = graph([image('api', ['node'])]);
    const first = rebuildOf(decide(g, update('a', T(1), T(1))), 'api');
    expect(first.due).toBe(T(8));
    const second = rebuildOf(decide(g, update('b', T(3), T(3, 5), true), [first]), 'api');
    expect(second).toMatchObject({ since: T(1), due: T(3, 5), urgent: true });
  });
});

describe('fresh already', () => {
  test('built after the release: fresh; built in the same second as the release: rebuilt (it cannot hold it)', () => {
    const built = (created: string) => graph([image('api', ['node'], { build: { created, baseDigests: [] } })]);
    expect(decide(built(T(2, 1)), update('a', T(2), T(2)))[0]?.action).toBe('fresh');
    expect(decide(built(T(2)), update('a', T(2), T(2)))[0]?.action).toBe('rebuild');
    expect(decide(built(T(1)), update('a', T(2), T(2)))[0]?.action).toBe('rebuild');
  });

  test('an unknown release time never makes a build fresh by its age', () => {
    const g = graph([image('api', ['node'], { build: { created: T(20), baseDigests: [] } })]);
    expect(decide(g, update('a', null, T(2)))[0]?.action).toBe('rebuild');
  });

  test('applies to the images built on the base, not to their descendants: those follow their ancestor', () => {
    const g = graph(
      [
        image('node-base', ['node'], { rebuildDelaySeconds: DAY }),
        // Built long after node's release, but on the old node-base: it must be rebuilt after node-base.
        image('backstage', ['node-base-22'], { build: { created: T(25), baseDigests: [] } }),
      ],
      { 'node-base-22': 'node-base' },
    );
    expect(decide(g, update('a', T(2), T(2))).map((d) => [d.image, d.action])).toEqual([
      ['backstage', 'rebuild'],
      ['node-base', 'rebuild'],
    ]);
    // node-base fresh: nor is backstage rebuilt (it is in no wave of this update).
    const fresh = graph(
      [
        image('node-base', ['node'], { build: { created: T(3), baseDigests: [] } }),
        image('backstage', ['node-base-22']),
      ],
      { 'node-base-22': 'node-base' },
    );
    expect(decide(fresh, update('a', T(2), T(2))).map((d) => [d.image, d.action])).toEqual([['node-base', 'fresh']]);
  });
});

/** api and web on node:22, api also on nginx:1.27. */
const entry = (name: string, extra = '') =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n${extra}`;
const enrolment = loadEnrolment(
  `images:\n${entry('api', '    rebuildDelay: 7d\n')}${entry('web', '    rebuildDelay: 1d\n')}`,
  'images.yaml',
);
const analysis = (name: string, dockerfile: string) => ({
  image: name,
  dockerfile: 'Dockerfile',
  uses: analyseDockerfile(dockerfile, 'Dockerfile', {}),
  build: { tag: '1', digest: digest('f') },
});
const initial: StateSnapshot = planStateUpdate(EMPTY_STATE, enrolment, [
  analysis('api', 'FROM node:22\nFROM nginx:1.27\n'),
  analysis('web', 'FROM node:22\n'),
]);
const old = new Map([
  ['api', { created: '2026-10-01T00:00:00Z', baseDigests: [] }],
  ['web', { created: '2026-10-01T00:00:00Z', baseDigests: [] }],
]);
function recorded(state: StateSnapshot, base: string, c: string, released: string) {
  const result = recordBaseUpdate(
    state,
    enrolment,
    { base, digest: digest(c), released, seen: released, urgent: false },
    old,
  );
  if (result.status !== 'recorded') throw new Error(result.status);
  return result.state;
}

describe('state bookkeeping', () => {
  test('a claim takes the newest digest the base has seen; that digest becomes current once nothing waits on it', () => {
    const one = recorded(initial, 'node-22', 'a', T(1));
    const two = recorded(one, 'node-22', 'b', T(2));
    const record = two.baseImages.get('node-22')?.rebuild;
    expect([record?.current?.digest, record?.latest?.digest]).toEqual([digest('a'), digest('b')]);
    // web (1d) is due first: claimed on b, the newest; api still pending, so b is only latest.
    const webClaimed = claimRebuilds(two, dueRebuilds(two, T(3)), T(3));
    const afterWeb = webClaimed.baseImages.get('node-22')?.rebuild;
    expect(afterWeb?.claims?.map((c) => [c.image, c.digest])).toEqual([['web', digest('b')]]);
    expect([afterWeb?.current?.digest, afterWeb?.latest?.digest]).toEqual([digest('a'), digest('b')]);
    const apiClaimed = claimRebuilds(webClaimed, dueRebuilds(webClaimed, T(8)), T(8));
    const afterApi = apiClaimed.baseImages.get('node-22')?.rebuild;
    expect(afterApi?.current?.digest).toBe(digest('b'));
    expect(afterApi?.latest).toBeUndefined();
  });

  test('merged across base files, the earliest start and the earliest due time win', () => {
    const one = recorded(initial, 'nginx-1-27', 'c', T(5));
    const two = recorded(one, 'node-22', 'a', T(2));
    expect(pendingByImage(two).get('api')).toMatchObject({ since: T(2), due: T(9) });
  });

  test(`the history keeps the last ${MAX_REBUILD_HISTORY} entries, the newest`, () => {
    let state = initial;
    const fresh = new Map([
      ['api', { created: '2026-12-31T00:00:00Z', baseDigests: [] }],
      ['web', { created: '2026-12-31T00:00:00Z', baseDigests: [] }],
    ]);
    for (let i = 0; i < 40; i++) {
      const hex = i.toString(16).padStart(2, '0');
      const result = recordBaseUpdate(
        state,
        enrolment,
        { base: 'node-22', digest: `sha256:${hex.repeat(32)}`, released: T(1), seen: T(1 + (i % 20)), urgent: false },
        fresh,
      );
      if (result.status !== 'recorded') throw new Error(result.status);
      state = result.state;
    }
    const history = state.baseImages.get('node-22')?.rebuild?.history ?? [];
    expect(history).toHaveLength(MAX_REBUILD_HISTORY);
    // 80 entries were written (2 per update); the last is the 40th update's.
    expect(history.at(-1)?.digest).toBe(`sha256:${'27'.repeat(32)}`);
    expect(history[0]?.digest).toBe(`sha256:${'0f'.repeat(32)}`);
  });
});

describe('what a trigger sends', () => {
  const managed = (extra: string) => {
    const loaded = loadEnrolment(`images:\n${entry('api', extra)}`, 'images.yaml').images[0];
    if (loaded?.kind !== 'managed') throw new Error('not managed');
    return loaded;
  };
  const endpoints = {
    githubApiUrl: 'https://api.github.com',
    gitlabUrl: 'https://gitlab.com',
    githubToken: true,
    gitlabToken: true,
  };
  const bodyOf = (extra: string, contexts = '') => {
    const made = triggerRequest(managed(extra), endpoints, 'api-0123456789abcdef', contexts);
    if (typeof made === 'string') throw new Error(made);
    return JSON.parse(made.request.body ?? '{}');
  };

  test('no inputs declared: the request carries none (GitHub answers 422 to an undeclared input)', () => {
    expect(bodyOf('')).not.toHaveProperty('inputs');
  });

  test('the key goes only in the input images.yaml names for it, with the declared inputs', () => {
    expect(bodyOf('      triggerKeyInput: factory_key\n')).toMatchObject({
      inputs: { factory_key: 'api-0123456789abcdef' },
    });
    expect(bodyOf('      triggerInputs: {reason: base}\n').inputs).toEqual({ reason: 'base' });
  });

  test('the pins go only in the input images.yaml names for them; without one the build is unpinned', () => {
    const lines = 'node:22=docker-image://docker.io/library/node@sha256:…';
    expect(bodyOf('      baseImagesInput: base_images\n', lines).inputs).toEqual({ base_images: lines });
    expect(bodyOf('', lines)).not.toHaveProperty('inputs');
  });

  test('no token: not sendable, and says which', () => {
    const made = triggerRequest(managed(''), { ...endpoints, githubToken: false }, 'k');
    expect(made).toBe('no GitHub token: set GITHUB_TOKEN or --github-token-file');
  });
});
