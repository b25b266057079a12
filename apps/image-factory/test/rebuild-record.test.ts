/** The rebuild decisions in state: recorded, due, claimed once, answered; deterministic and within the schema. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import {
  claimRebuilds,
  dueRebuilds,
  pendingByImage,
  recordBaseUpdate,
  recordTriggerOutcome,
  triggerKey,
} from '../src/rebuild/record.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { readState, renderState } from '../src/state/store.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';
import { tempDir } from './support/git-repos.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const managed = (name: string, extra = '') =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n${extra}`;
const enrolment = loadEnrolment(
  `defaults:\n  rebuildDelay: 7d\nimages:\n${managed('api')}${managed('web', '    rebuildDelay: 1d\n')}${managed('tool', '    autoRebuild: false\n')}`,
  'images.yaml',
);
const analysis = (image: string, dockerfile: string) => ({
  image,
  dockerfile: 'Dockerfile',
  uses: analyseDockerfile(dockerfile, 'Dockerfile', {}),
  build: { tag: '1.0', digest: D('f') },
});
const initial: StateSnapshot = planStateUpdate(EMPTY_STATE, enrolment, [
  analysis('api', 'FROM node:22\nFROM nginx:1.27\n'),
  analysis('web', 'FROM node:22\n'),
  analysis('tool', 'FROM node:22\n'),
]);
const old = { created: '2026-10-01T00:00:00Z', baseDigests: [] };
const builds = new Map([
  ['api', old],
  ['web', old],
  ['tool', old],
]);
const update = (base: string, c: string, released: string, seen = released) => ({
  base,
  digest: D(c),
  released,
  seen,
  urgent: false,
});

function recorded(state: StateSnapshot, base: string, c: string, released: string) {
  const result = recordBaseUpdate(state, enrolment, update(base, c, released), builds);
  if (result.status !== 'recorded') throw new Error(`expected recorded, got ${result.status}`);
  return result;
}

describe('recording a base update', () => {
  test('the first digest becomes current; dependents get pending rebuilds; autoRebuild: false only history', () => {
    const { state, decisions } = recorded(initial, 'node-22', 'a', '2026-11-01T00:00:00Z');
    expect(decisions.map((d) => [d.image, d.action])).toEqual([
      ['api', 'rebuild'],
      ['tool', 'record-only'],
      ['web', 'rebuild'],
    ]);
    const record = state.baseImages.get('node-22')?.rebuild;
    expect(record?.current).toEqual({ digest: D('a'), released: '2026-11-01T00:00:00Z', seen: '2026-11-01T00:00:00Z' });
    expect(record?.pending.map((p) => [p.image, p.due])).toEqual([
      ['api', '2026-11-08T00:00:00Z'],
      ['web', '2026-11-02T00:00:00Z'],
    ]);
    expect(record?.history).toEqual([
      { image: 'tool', digest: D('a'), result: 'record-only', at: '2026-11-01T00:00:00Z' },
    ]);
  });

  test('what is recorded is within the state schema: written by the store and read back (validated) unchanged', async () => {
    const { state } = recorded(initial, 'node-22', 'a', '2026-11-01T00:00:00Z');
    const dir = tempDir();
    for (const [path, content] of renderState(state)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const read = await readState(dir);
    expect(read.baseImages.get('node-22')?.rebuild).toEqual(state.baseImages.get('node-22')?.rebuild);
  });

  test('the same digest again changes nothing; a newer one is latest and keeps the first start (no starvation)', () => {
    const first = recorded(initial, 'node-22', 'a', '2026-11-01T00:00:00Z').state;
    expect(recordBaseUpdate(first, enrolment, update('node-22', 'a', '2026-11-01T00:00:00Z'), builds).status).toBe(
      'unchanged',
    );
    const second = recorded(first, 'node-22', 'b', '2026-11-03T00:00:00Z').state;
    const record = second.baseImages.get('node-22')?.rebuild;
    expect(record?.latest?.digest).toBe(D('b'));
    expect(record?.pending.find((p) => p.image === 'api')).toMatchObject({
      since: '2026-11-01T00:00:00Z',
      due: '2026-11-08T00:00:00Z',
    });
  });

  test('a state written twice from the same inputs is byte-identical', () => {
    const a = renderState(recorded(initial, 'node-22', 'a', '2026-11-01T00:00:00Z').state);
    const b = renderState(recorded(initial, 'node-22', 'a', '2026-11-01T00:00:00Z').state);
    expect(a).toEqual(b);
    expect(a.get('base-images/node-22.yaml')).toContain('pending:');
  });
});

describe('due, claimed once, answered', () => {
  test('due at its time; claimed once with a key; a second claim finds nothing', () => {
    const state = recorded(initial, 'node-22', 'a', '2026-11-01T00:00:00Z').state;
    expect(dueRebuilds(state, '2026-11-01T23:59:59Z')).toEqual([]);
    const due = dueRebuilds(state, '2026-11-02T00:00:00Z');
    expect(due.map((d) => d.image)).toEqual(['web']);
    const [web] = due;
    if (web === undefined) throw new Error('web not due');
    const claimed = claimRebuilds(state, due, '2026-11-02T00:00:00Z');
    const record = claimed.baseImages.get('node-22')?.rebuild;
    expect(record?.pending.map((p) => p.image)).toEqual(['api']);
    expect(record?.claims).toEqual([
      {
        image: 'web',
        key: triggerKey(web),
        digest: D('a'),
        since: '2026-11-01T00:00:00Z',
        urgent: false,
        causes: [{ base: 'node-22', digest: D('a') }],
        claimedAt: '2026-11-02T00:00:00Z',
        sends: 1,
      },
    ]);
    expect(record?.history.filter((h) => h.image === 'web')).toEqual([]);
    expect(dueRebuilds(claimed, '2026-11-02T00:00:00Z')).toEqual([]);
  });

  test('two bases, one image: one rebuild, one key, claimed from both files', () => {
    const one = recorded(initial, 'node-22', 'a', '2026-11-01T00:00:00Z').state;
    const two = recorded(one, 'nginx-1-27', 'c', '2026-11-01T01:00:00Z').state;
    expect(pendingByImage(two).get('api')?.causes).toEqual([
      { base: 'nginx-1-27', digest: D('c') },
      { base: 'node-22', digest: D('a') },
    ]);
    const due = dueRebuilds(two, '2026-11-09T00:00:00Z');
    expect(due.map((d) => d.image)).toEqual(['api', 'web']);
    const claimed = claimRebuilds(two, due, '2026-11-09T00:00:00Z');
    const keys = [...claimed.baseImages.values()].flatMap((b) =>
      (b.rebuild?.claims ?? []).filter((c) => c.image === 'api').map((c) => c.key),
    );
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
    expect([...claimed.baseImages.values()].every((b) => (b.rebuild?.pending ?? []).length === 0)).toBe(true);
    // Nothing waits on the newest digests any more: they are current now.
    expect(claimed.baseImages.get('node-22')?.rebuild?.current?.digest).toBe(D('a'));
  });

  test('triggered is recorded with the answer; transient is due again under the same key', () => {
    const state = recorded(initial, 'node-22', 'a', '2026-11-01T00:00:00Z').state;
    const [web] = dueRebuilds(state, '2026-11-02T00:00:00Z');
    if (web === undefined) throw new Error('web not due');
    const claimed = claimRebuilds(state, [web], '2026-11-02T00:00:00Z');
    const key = triggerKey(web);
    const ok = recordTriggerOutcome(claimed, key, { status: 'triggered', answer: 'HTTP 204' }, '2026-11-02T00:00:05Z');
    expect(ok.baseImages.get('node-22')?.rebuild?.claims).toBeUndefined();
    expect(ok.baseImages.get('node-22')?.rebuild?.history.at(-1)).toMatchObject({
      key,
      result: 'triggered',
      answer: 'HTTP 204',
    });
    const again = recordTriggerOutcome(
      claimed,
      key,
      { status: 'transient', answer: 'HTTP 502 after 4 attempts' },
      '2026-11-02T00:00:05Z',
    );
    const due = dueRebuilds(again, '2026-11-02T00:00:05Z');
    expect(due.map((d) => [d.image, triggerKey(d)])).toEqual([['web', key]]);
  });
});

test('a cycle is reported and nothing is recorded', () => {
  const cyclic = loadEnrolment(
    `images:\n  - name: a\n    registry: ghcr.io\n    repository: acme/a\n    source:\n      provider: github\n      repo: acme/a\n      dockerfile: Dockerfile\n  - name: b\n    registry: ghcr.io\n    repository: acme/b\n    source:\n      provider: github\n      repo: acme/b\n      dockerfile: Dockerfile\n`,
    'images.yaml',
  );
  const state = planStateUpdate(EMPTY_STATE, cyclic, [
    {
      image: 'a',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM node:22\nFROM ghcr.io/acme/b:1\n', 'Dockerfile', {}),
    },
    { image: 'b', dockerfile: 'Dockerfile', uses: analyseDockerfile('FROM ghcr.io/acme/a:1\n', 'Dockerfile', {}) },
  ]);
  const result = recordBaseUpdate(state, cyclic, update('node-22', 'a', '2026-11-01T00:00:00Z'), new Map());
  expect(result).toEqual({ status: 'cycle', cycle: ['a', 'b', 'a'] });
});
