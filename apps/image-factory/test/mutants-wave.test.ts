/**
 * One wave of rebuilds as docs/rebuilds.md ("The rules") and DESIGN §10 state it, pinned where the mutation run found
 * it unpinned (docs/mutation.md): a cycle is an error naming the loop itself, found through any image of the wave;
 * a graph without one is decided promptly however many images share ancestors; one rebuild per image per wave, whose
 * causes are the union of its pending updates (each once, in order); an image reached through two ancestors waits for
 * both; `autoRebuild: false` stays record-only; fresh already only when the build is known to be newer than a known
 * release, and the reason says why; decisions listed by image name.
 */
import { describe, expect, test } from 'vitest';
import {
  type BaseUpdate,
  decideWave,
  type PendingRebuild,
  type WaveGraph,
  type WaveImage,
} from '../src/rebuild/wave.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = '2026-11-10T00:00:00Z';
const RELEASED = '2026-11-01T00:00:00Z';

/** An image built on `bases` (base-image state names), immediate rebuilds, its current build old. */
const image = (name: string, bases: string[], extra: Partial<WaveImage> = {}): WaveImage => ({
  name,
  rebuildDelaySeconds: 0,
  autoRebuild: true,
  bases,
  build: { created: '2026-10-01T00:00:00Z', baseDigests: [] },
  ...extra,
});

/** A graph of `images` (in the order given) where base `<name>-base` is the managed image `name`. */
const graphOf = (images: WaveImage[], managed: string[] = []): WaveGraph => ({
  images: new Map(images.map((i) => [i.name, i])),
  managedBase: new Map(managed.map((m) => [`${m}-base`, m])),
});

const update = (extra: Partial<BaseUpdate> = {}): BaseUpdate => ({
  base: 'node',
  digest: D('a'),
  released: RELEASED,
  seen: NOW,
  urgent: false,
  ...extra,
});

function decisions(graph: WaveGraph, u = update(), pending = new Map<string, PendingRebuild>()) {
  const result = decideWave(graph, u, pending);
  if (!result.ok) throw new Error(`unexpected cycle ${result.cycle.join(' → ')}`);
  return result.decisions;
}

function cycleOf(graph: WaveGraph, u = update()) {
  const result = decideWave(graph, u, new Map());
  if (result.ok) throw new Error('expected a cycle');
  return result.cycle;
}

describe('a cycle in the graph is an error naming it', () => {
  test('the loop is named, not the way into it', () => {
    // node → entry → a → b → a
    const graph = graphOf(
      [image('entry', ['node']), image('a', ['entry-base', 'b-base']), image('b', ['a-base'])],
      ['entry', 'a', 'b'],
    );
    expect(cycleOf(graph)).toEqual(['a', 'b', 'a']);
  });

  test('a loop behind the second image built on an ancestor is found', () => {
    // node → root; root → fine (no loop); root → x → y → x
    const graph = graphOf(
      [
        image('root', ['node']),
        image('fine', ['root-base']),
        image('x', ['root-base', 'y-base']),
        image('y', ['x-base']),
      ],
      ['root', 'x', 'y'],
    );
    expect(cycleOf(graph)).toEqual(['x', 'y', 'x']);
  });

  test('a loop behind the second direct dependent of the base is found', () => {
    const graph = graphOf(
      [image('alpha', ['node']), image('omega', ['node', 'loop-base']), image('loop', ['omega-base'])],
      ['omega', 'loop'],
    );
    expect(cycleOf(graph)).toEqual(['omega', 'loop', 'omega']);
  });

  test('of two loops through an image published under two tags, the one named does not depend on the tags', () => {
    // hub is published as hub-22 and hub-latest; a (FROM hub-latest) and b (FROM hub-22) are each built into hub.
    const images = [image('hub', ['node', 'a-base', 'b-base']), image('a', ['hub-latest']), image('b', ['hub-22'])];
    const graph = (order: [string, string][]) => ({
      images: new Map(images.map((i) => [i.name, i])),
      managedBase: new Map([...order, ['a-base', 'a'] as [string, string], ['b-base', 'b'] as [string, string]]),
    });
    const one = cycleOf(
      graph([
        ['hub-22', 'hub'],
        ['hub-latest', 'hub'],
      ]),
    );
    const other = cycleOf(
      graph([
        ['hub-latest', 'hub'],
        ['hub-22', 'hub'],
      ]),
    );
    expect(one).toEqual(['hub', 'a', 'hub']);
    expect(other).toEqual(one);
  });

  test('the cycle named does not depend on the order images were enrolled in', () => {
    const images = [image('p', ['node', 'q-base']), image('q', ['node', 'p-base'])];
    const forward = cycleOf(graphOf(images, ['p', 'q']));
    const backward = cycleOf(graphOf([...images].reverse(), ['q', 'p']));
    expect(forward).toEqual(['p', 'q', 'p']);
    expect(backward).toEqual(forward);
  });
});

describe('a graph without a cycle is decided promptly', () => {
  test('40 layers of two images, each built on both images of the layer above: every image decided once', () => {
    // 2^40 paths from the base to the last layer: deciding must not walk them one by one.
    const layers = 40;
    const name = (layer: number, side: string) => `l${String(layer).padStart(2, '0')}${side}`;
    const images: WaveImage[] = [];
    const managed: string[] = [];
    for (let layer = 0; layer < layers; layer++) {
      for (const side of ['a', 'b']) {
        const bases = layer === 0 ? ['node'] : [`${name(layer - 1, 'a')}-base`, `${name(layer - 1, 'b')}-base`];
        images.push(image(name(layer, side), bases));
        managed.push(name(layer, side));
      }
    }
    const started = Date.now();
    const all = decisions(graphOf(images, managed));
    expect(all).toHaveLength(2 * layers);
    expect(all.at(-1)).toMatchObject({
      image: name(layers - 1, 'b'),
      waitFor: [name(layers - 2, 'a'), name(layers - 2, 'b')],
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('decisions', () => {
  test('are listed by image name, whatever the order of the graph and of the wave', () => {
    // node → zeta → mid; node → beta. Enrolled in reverse order; decided zeta/beta first, mid last.
    const graph = graphOf([image('zeta', ['node']), image('mid', ['zeta-base']), image('beta', ['node'])], ['zeta']);
    expect(decisions(graph).map((d) => d.image)).toEqual(['beta', 'mid', 'zeta']);
    const wide = graphOf(['e', 'd', 'c', 'b', 'a'].map((n) => image(n, ['node'])));
    expect(decisions(wide).map((d) => d.image)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('an image reached through two ancestors waits for both, named in order', () => {
    // node → zeta → x (reached first, one level down); node → alpha → mid → x (reached again, two levels down).
    const graph = graphOf(
      [
        image('zeta', ['node']),
        image('alpha', ['node']),
        image('mid', ['alpha-base']),
        image('x', ['zeta-base', 'mid-base']),
      ],
      ['zeta', 'alpha', 'mid'],
    );
    const x = decisions(graph).find((d) => d.image === 'x');
    expect(x).toMatchObject({ action: 'rebuild', waitFor: ['mid', 'zeta'] });
  });

  test('autoRebuild: false is record-only, also when the image is reached through two ancestors', () => {
    const graph = graphOf(
      [
        image('left', ['node']),
        image('right', ['node']),
        image('tool', ['left-base', 'right-base'], { autoRebuild: false }),
      ],
      ['left', 'right'],
    );
    expect(decisions(graph).find((d) => d.image === 'tool')).toEqual({
      action: 'record-only',
      image: 'tool',
      since: RELEASED,
    });
  });
});

describe('one rebuild per image per wave: the causes are the union of the pending updates', () => {
  const graph = graphOf([image('api', ['node', 'python'])]);
  const pendingWith = (causes: { base: string; digest: string }[]) =>
    new Map<string, PendingRebuild>([
      ['api', { image: 'api', since: RELEASED, due: RELEASED, urgent: false, causes, waitFor: [], waitUntil: null }],
    ]);
  const causesOf = (pending: Map<string, PendingRebuild>, u = update()) => {
    const api = decisions(graph, u, pending).find((d) => d.image === 'api');
    if (api?.action !== 'rebuild') throw new Error('expected a rebuild of api');
    return api.causes;
  };

  test('a cause already pending is listed once', () => {
    expect(causesOf(pendingWith([{ base: 'node', digest: D('a') }]))).toEqual([{ base: 'node', digest: D('a') }]);
  });

  test('a new digest of the same base is added, the causes in digest order', () => {
    expect(causesOf(pendingWith([{ base: 'node', digest: D('b') }]))).toEqual([
      { base: 'node', digest: D('a') },
      { base: 'node', digest: D('b') },
    ]);
  });

  test('the same digest of another base is another cause; the causes in base order', () => {
    const pending = pendingWith([
      { base: 'python', digest: D('a') },
      { base: 'python', digest: D('c') },
    ]);
    expect(causesOf(pending)).toEqual([
      { base: 'node', digest: D('a') },
      { base: 'python', digest: D('a') },
      { base: 'python', digest: D('c') },
    ]);
    expect(causesOf(pending, update({ base: 'python', digest: D('b') }))).toEqual([
      { base: 'python', digest: D('a') },
      { base: 'python', digest: D('b') },
      { base: 'python', digest: D('c') },
    ]);
  });

  test('a cause of a base earlier by name comes first, whichever was pending first', () => {
    expect(causesOf(pendingWith([{ base: 'python', digest: D('a') }]), update({ digest: D('b') }))).toEqual([
      { base: 'node', digest: D('b') },
      { base: 'python', digest: D('a') },
    ]);
    expect(causesOf(pendingWith([{ base: 'node', digest: D('b') }]), update({ base: 'python' }))).toEqual([
      { base: 'node', digest: D('b') },
      { base: 'python', digest: D('a') },
    ]);
  });

  test('causes given out of order come back in order', () => {
    const pending = pendingWith([
      { base: 'zlib', digest: D('e') },
      { base: 'python', digest: D('d') },
      { base: 'python', digest: D('c') },
    ]);
    expect(causesOf(pending).map((c) => `${c.base}@${c.digest.slice(7, 8)}`)).toEqual([
      'node@a',
      'python@c',
      'python@d',
      'zlib@e',
    ]);
  });
});

describe('fresh already: built strictly after a known release, or recording the new digest as its base', () => {
  const withBuild = (build: WaveImage['build']) => graphOf([image('api', ['node'], { build })]);

  test('the reason names the digest the build records', () => {
    const [api] = decisions(withBuild({ created: null, baseDigests: [D('a')] }));
    expect(api).toEqual({ action: 'fresh', image: 'api', reason: `its build records ${D('a')} as its base` });
  });

  test('the reason names when the image was built and when the digest was released', () => {
    const [api] = decisions(withBuild({ created: '2026-11-02T00:00:00Z', baseDigests: [] }));
    expect(api).toEqual({
      action: 'fresh',
      image: 'api',
      reason: `built 2026-11-02T00:00:00Z, after ${D('a')} was released (${RELEASED})`,
    });
  });

  test('a release time unknown (an epoch date) cannot make a build fresh: it is rebuilt', () => {
    const [api] = decisions(
      withBuild({ created: '2026-11-09T00:00:00Z', baseDigests: [] }),
      update({ released: null }),
    );
    expect(api).toMatchObject({ action: 'rebuild', image: 'api', since: NOW });
  });

  test('a build whose creation time is unknown is not fresh by time: it is rebuilt', () => {
    const [api] = decisions(withBuild({ created: null, baseDigests: [] }));
    expect(api).toMatchObject({ action: 'rebuild', image: 'api', since: RELEASED });
  });
});
