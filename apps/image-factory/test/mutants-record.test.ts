/**
 * The rebuild decisions in state as docs/rebuilds.md ("The rules", "Delivery", "State") states them, pinned where the
 * mutation run found them unpinned (docs/mutation.md). Each transition changes only the base files it is about (the
 * state is the audit trail: `git log -p`), keeps what it does not answer (claims are never lost), writes files in one
 * order (deterministic output) and keeps exactly the fields the State section lists.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { FactoryError } from '../src/errors.js';
import {
  type BuildFacts,
  claimRebuilds,
  credibleRelease,
  dueRebuilds,
  markNotSent,
  pendingByImage,
  rebuildRecordOf,
  reclaim,
  recordBaseUpdate,
  recordTriggerOutcome,
  recordTriggerOutcomes,
  requeueRefused,
  timedOutClaims,
  triggerConfig,
  triggerKey,
  waveGraphOf,
} from '../src/rebuild/record.js';
import type { BaseUpdate } from '../src/rebuild/wave.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { MAX_SEEN_DIGESTS } from '../src/state/schema.js';
import { renderState } from '../src/state/store.js';
import { type BaseImageState, EMPTY_STATE, type RebuildRecord, type StateSnapshot } from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
/** 2026-11-<day> at <hour>:00. */
const T = (day: number, hour = 0) => `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;

const entry = (name: string, extra = '') =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n${extra}    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n`;
const external = '  - name: redis\n    registry: docker.io\n    repository: library/redis\n    allowTags: ^7\\.\n';
const enrolmentOf = (images: string, defaults = 'defaults:\n  rebuildDelay: 1d\n') =>
  loadEnrolment(`${defaults}images:\n${images}`, 'images.yaml');
const analysis = (image: string, dockerfile: string) => ({
  image,
  dockerfile: 'Dockerfile',
  uses: analyseDockerfile(dockerfile, 'Dockerfile', {}),
  build: { tag: '1.0', digest: D('f') },
});

/** api FROM node:22 and python:3.12; web FROM node:22; both rebuilt a day after a release. */
const enrolment = enrolmentOf(`${entry('api')}${entry('web')}`);
const initial = planStateUpdate(EMPTY_STATE, enrolment, [
  analysis('api', 'FROM node:22\nFROM python:3.12\n'),
  analysis('web', 'FROM node:22\n'),
]);
const old: BuildFacts = { created: '2026-10-01T00:00:00Z', baseDigests: [] };
const builds = new Map<string, BuildFacts>([
  ['api', old],
  ['web', old],
]);
const update = (base: string, c: string, day: number, extra: Partial<BaseUpdate> = {}): BaseUpdate => ({
  base,
  digest: D(c),
  released: T(day),
  seen: T(day),
  urgent: false,
  ...extra,
});

function recorded(state: StateSnapshot, u: BaseUpdate, e = enrolment, b: ReadonlyMap<string, BuildFacts> = builds) {
  const result = recordBaseUpdate(state, e, u, b);
  if (result.status !== 'recorded') throw new Error(`expected recorded, got ${result.status}`);
  return result.state;
}

const baseFile = (state: StateSnapshot, name: string): BaseImageState => {
  const base = state.baseImages.get(name);
  if (base === undefined) throw new Error(`no base ${name}`);
  return base;
};
const record = (state: StateSnapshot, name: string): RebuildRecord => {
  const r = baseFile(state, name).rebuild;
  if (r === undefined) throw new Error(`no rebuild record in ${name}`);
  return r;
};
/** The state with base `name`'s rebuild record replaced (a file as an earlier run, or an older version, wrote it). */
const withRecord = (state: StateSnapshot, name: string, rebuild: RebuildRecord): StateSnapshot => ({
  images: state.images,
  baseImages: new Map([...state.baseImages, [name, { ...baseFile(state, name), rebuild }]]),
});
const file = (state: StateSnapshot, name: string) => renderState(state).get(`base-images/${name}.yaml`) ?? '';

/** node-22 at digest a (Nov 1): api and web pending, due Nov 2; python-3-12 not yet updated (no rebuild record). */
const nodeUpdated = recorded(initial, update('node-22', 'a', 1));

describe('the wave sees the images as images.yaml enrols them', () => {
  test('an image with autoRebuild: true is rebuilt even when the default is false', () => {
    const e = enrolmentOf(
      `${entry('api', '    autoRebuild: true\n')}${entry('web')}`,
      'defaults:\n  rebuildDelay: 1d\n  autoRebuild: false\n',
    );
    const result = recordBaseUpdate(initial, e, update('node-22', 'a', 1), builds);
    if (result.status !== 'recorded') throw new Error(`expected recorded, got ${result.status}`);
    expect(result.decisions.map((d) => [d.image, d.action])).toEqual([
      ['api', 'rebuild'],
      ['web', 'record-only'],
    ]);
  });

  test('an image the factory only tracks (external, no Dockerfile here) is in no wave', () => {
    const e = enrolmentOf(`${entry('api')}${entry('web')}${external}`);
    const state = planStateUpdate(EMPTY_STATE, e, [
      analysis('api', 'FROM node:22\n'),
      analysis('web', 'FROM node:22\n'),
    ]);
    expect(state.images.get('redis')?.kind).toBe('external');
    const result = recordBaseUpdate(state, e, update('node-22', 'a', 1), builds);
    if (result.status !== 'recorded') throw new Error(`expected recorded, got ${result.status}`);
    expect(result.decisions.map((d) => d.image)).toEqual(['api', 'web']);
  });

  test('an image in state that images.yaml no longer lists is decided with the defaults', () => {
    const onlyApi = enrolmentOf(entry('api'), 'defaults:\n  rebuildDelay: 3d\n');
    const r = record(recorded(initial, update('node-22', 'a', 1), onlyApi), 'node-22');
    expect(r.pending.map((p) => [p.image, p.due])).toEqual([
      ['api', T(4)],
      ['web', T(4)],
    ]);
  });
});

describe('the record of an update', () => {
  test('a base the state does not know is an error naming its state file', () => {
    const attempt = () => recordBaseUpdate(initial, enrolment, update('ruby-3', 'a', 1), builds);
    expect(attempt).toThrow(FactoryError);
    expect(attempt).toThrow(
      expect.objectContaining({
        code: 'invalid-state',
        message: expect.stringContaining('image-factory/state/base-images/ruby-3.yaml'),
      }),
    );
  });

  test('the newest digest (latest) reported again changes nothing', () => {
    const twice = recorded(nodeUpdated, update('node-22', 'b', 3));
    expect(recordBaseUpdate(twice, enrolment, update('node-22', 'b', 3), builds)).toEqual({
      status: 'unchanged',
      state: twice,
    });
  });

  test('a digest that fixes a CRITICAL is seen as urgent', () => {
    const r = record(recorded(initial, update('node-22', 'a', 1, { urgent: true })), 'node-22');
    expect(r.seen).toEqual([{ digest: D('a'), released: T(1), seen: T(1), urgent: true }]);
  });

  test('a fresh image is history with why; a record-only one has no answer', () => {
    const e = enrolmentOf(`${entry('api')}${entry('web', '    autoRebuild: false\n')}`);
    const freshApi = new Map<string, BuildFacts>([
      ['api', { created: null, baseDigests: [D('a')] }],
      ['web', old],
    ]);
    expect(record(recorded(initial, update('node-22', 'a', 1), e, freshApi), 'node-22').history).toStrictEqual([
      { image: 'api', digest: D('a'), result: 'fresh', at: T(1), answer: `its build records ${D('a')} as its base` },
      { image: 'web', digest: D('a'), result: 'record-only', at: T(1) },
    ]);
  });

  test(`the last ${MAX_SEEN_DIGESTS} digests seen are kept, oldest first`, () => {
    let state = initial;
    for (let i = 0; i < MAX_SEEN_DIGESTS + 5; i++) {
      const u = update('node-22', 'a', 1 + i);
      state = recorded(state, { ...u, digest: `sha256:${String(i).padStart(64, '0')}` });
    }
    const seen = record(state, 'node-22').seen ?? [];
    expect(seen).toHaveLength(MAX_SEEN_DIGESTS);
    expect(seen[0]?.released).toBe(T(6));
    expect(seen.at(-1)?.released).toBe(T(25));
  });

  test('the pending entries are written in image order, whichever was decided first', () => {
    // api is fresh for digest a, so only web is pending; digest b makes api pending too.
    const freshApi = new Map<string, BuildFacts>([
      ['api', { created: null, baseDigests: [D('a')] }],
      ['web', old],
    ]);
    const first = recorded(initial, update('node-22', 'a', 1), enrolment, freshApi);
    expect(record(first, 'node-22').pending.map((p) => p.image)).toEqual(['web']);
    const second = recorded(first, update('node-22', 'b', 3), enrolment, freshApi);
    expect(record(second, 'node-22').pending.map((p) => p.image)).toEqual(['api', 'web']);
  });

  test('a release time later than now is unknown; no release time is unknown without a doubt', () => {
    expect(credibleRelease(null, T(1))).toEqual({ released: null });
    expect(credibleRelease(T(1), T(1))).toEqual({ released: T(1) });
  });
});

describe('files written by versions that kept claims in the history', () => {
  test('a claimed entry becomes a claim and leaves the history; the other entries stay', () => {
    const legacy = withRecord(nodeUpdated, 'node-22', {
      ...record(nodeUpdated, 'node-22'),
      pending: [],
      history: [
        { image: 'web', digest: D('a'), result: 'triggered', at: T(2), key: 'web-1', answer: 'HTTP 204' },
        { image: 'api', digest: D('a'), result: 'claimed', at: T(2), key: 'api-1' },
      ],
    });
    const r = rebuildRecordOf(baseFile(legacy, 'node-22'));
    expect(r.history).toEqual([
      { image: 'web', digest: D('a'), result: 'triggered', at: T(2), key: 'web-1', answer: 'HTTP 204' },
    ]);
    expect(r.claims.map((c) => [c.image, c.key, c.claimedAt])).toEqual([['api', 'api-1', T(2)]]);
  });
});

describe('due rebuilds', () => {
  test('are listed by image, whichever base file holds them', () => {
    // python's file holds api, node's holds web only.
    const webOnNode = withRecord(nodeUpdated, 'node-22', {
      ...record(nodeUpdated, 'node-22'),
      pending: record(nodeUpdated, 'node-22').pending.filter((p) => p.image === 'web'),
    });
    const both = recorded(webOnNode, update('python-3-12', 'c', 1));
    const order = [...both.baseImages.keys()];
    expect(order.indexOf('node-22')).toBeLessThan(order.indexOf('python-3-12'));
    expect(dueRebuilds(both, T(3)).map((r) => r.image)).toEqual(['api', 'web']);
  });

  test('an image waiting for two ancestors is not due while one of them is still pending', () => {
    const r = record(nodeUpdated, 'node-22');
    const waiting = withRecord(nodeUpdated, 'node-22', {
      ...r,
      pending: r.pending.map((p) => (p.image === 'web' ? { ...p, waitFor: ['api', 'gone'], waitUntil: T(2, 1) } : p)),
    });
    // api still pending, 'gone' not: web waits (its wait has not started), long after waitUntil.
    expect(dueRebuilds(waiting, T(9)).map((p) => p.image)).toEqual(['api']);
  });
});

describe('the idempotency key', () => {
  test('is <image>-<16 hex>, from the decision', () => {
    const [api] = dueRebuilds(nodeUpdated, T(3));
    if (api === undefined) throw new Error('api is due');
    expect(triggerKey(api)).toMatch(/^api-[0-9a-f]{16}$/);
  });
});

describe('claiming', () => {
  const pendingOf = (state: StateSnapshot, image: string) => {
    const p = pendingByImage(state).get(image);
    if (p === undefined) throw new Error(`${image} is not pending`);
    return p;
  };

  test('changes only the base files that hold the claimed rebuild', () => {
    const claimed = claimRebuilds(nodeUpdated, [pendingOf(nodeUpdated, 'web')], T(3));
    expect(baseFile(claimed, 'python-3-12')).toBe(baseFile(nodeUpdated, 'python-3-12'));
    expect(file(claimed, 'python-3-12')).toBe(file(nodeUpdated, 'python-3-12'));
    expect(file(claimed, 'python-3-12')).not.toContain('rebuild');
  });

  test('a claim already in the file stays when another image is claimed; claims are listed by image', () => {
    const webFirst = claimRebuilds(nodeUpdated, [pendingOf(nodeUpdated, 'web')], T(3));
    const both = claimRebuilds(webFirst, [pendingOf(webFirst, 'api')], T(3));
    expect(record(both, 'node-22').claims?.map((c) => c.image)).toEqual(['api', 'web']);
  });

  test('two claims of one image (the first never answered) are listed by key', () => {
    // api claimed on digest a, unanswered; digest b makes api pending again under a new decision, claimed too.
    const first = claimRebuilds(nodeUpdated, [pendingOf(nodeUpdated, 'api')], T(3));
    const again = recorded(first, update('node-22', 'b', 4));
    const second = claimRebuilds(again, [pendingOf(again, 'api')], T(6));
    const keys =
      record(second, 'node-22')
        .claims?.filter((c) => c.image === 'api')
        .map((c) => c.key) ?? [];
    expect(keys).toHaveLength(2);
    expect(keys).toEqual([...keys].sort());
  });

  test('the claims in a file are listed by image, then by key', () => {
    // A claim of api never answered (its key sorts last), then api is pending again and claimed under a new key.
    const r = record(nodeUpdated, 'node-22');
    const state = withRecord(nodeUpdated, 'node-22', {
      ...r,
      claims: [
        {
          image: 'api',
          key: 'api-ffffffffffffffff',
          digest: D('a'),
          since: T(1),
          urgent: false,
          causes: [{ base: 'node-22', digest: D('a') }],
          claimedAt: T(2),
          sends: 1,
        },
      ],
    });
    const claimed = claimRebuilds(state, [pendingOf(state, 'api'), pendingOf(state, 'web')], T(3));
    const keys = record(claimed, 'node-22').claims?.map((c) => c.key) ?? [];
    expect(keys).toEqual([expect.stringMatching(/^api-/), 'api-ffffffffffffffff', expect.stringMatching(/^web-/)]);
    expect(keys[0]).not.toBe('api-ffffffffffffffff');
  });

  test('each base of an image is claimed on its own pin', () => {
    const both = recorded(nodeUpdated, update('python-3-12', 'c', 1));
    const pins = [
      { base: 'node-22', digest: D('a') },
      { base: 'python-3-12', digest: D('c') },
    ];
    const claimed = claimRebuilds(both, [pendingOf(both, 'api')], T(3), new Map([['api', pins]]));
    expect(record(claimed, 'node-22').claims?.map((c) => [c.image, c.digest, c.pins])).toEqual([['api', D('a'), pins]]);
    expect(record(claimed, 'python-3-12').claims?.map((c) => [c.image, c.digest, c.pins])).toEqual([
      ['api', D('c'), pins],
    ]);
  });

  test('an unpinned claim has no pins, also when the pins decided are none', () => {
    for (const pins of [new Map(), new Map([['web', []]])]) {
      const claimed = claimRebuilds(nodeUpdated, [pendingOf(nodeUpdated, 'web')], T(3), pins);
      const [claim] = record(claimed, 'node-22').claims ?? [];
      expect(claim !== undefined && 'pins' in claim).toBe(false);
      expect(file(claimed, 'node-22')).not.toContain('pins');
    }
  });

  test('once nothing waits on the newest digest it is current, and no longer latest', () => {
    const newer = recorded(nodeUpdated, update('node-22', 'b', 3));
    const all = claimRebuilds(newer, [...pendingByImage(newer).values()], T(5));
    const r = record(all, 'node-22');
    expect(r.current?.digest).toBe(D('b'));
    expect(r.latest).toBeUndefined();
    expect(file(all, 'node-22')).not.toContain('latest');
  });

  test('an image waiting in another base file for a claimed one starts its wait there too', () => {
    // web waits (in node's file) for api and node-base; api is pending again in python's file only.
    const r = record(nodeUpdated, 'node-22');
    const waiting = recorded(
      withRecord(nodeUpdated, 'node-22', {
        ...r,
        pending: r.pending
          .filter((p) => p.image === 'web')
          .map((p) => ({ ...p, waitFor: ['api', 'node-base'], waitUntil: T(2, 1) })),
      }),
      update('python-3-12', 'c', 1),
    );
    const claimed = claimRebuilds(waiting, [pendingOf(waiting, 'api')], T(5));
    expect(record(claimed, 'node-22').pending.map((p) => [p.image, p.waitUntil])).toEqual([['web', T(5, 1)]]);
  });
});

describe('claims never answered', () => {
  test('only the claims timed out are claimed again; other claims and base files are unchanged', () => {
    const web = claimRebuilds(nodeUpdated, [pendingByImage(nodeUpdated).get('web') ?? fail()], T(3));
    const both = claimRebuilds(web, [pendingByImage(web).get('api') ?? fail()], T(4));
    const timedOut = timedOutClaims(both, T(3, 3), 7200);
    expect(timedOut.map((c) => c.image)).toEqual(['web']);
    const again = reclaim(both, timedOut, T(3, 3));
    expect(record(again, 'node-22').claims?.map((c) => [c.image, c.sends])).toEqual([
      ['api', 1],
      ['web', 2],
    ]);
    expect(baseFile(again, 'python-3-12')).toBe(baseFile(both, 'python-3-12'));
  });
});

function fail(): never {
  throw new Error('expected a pending rebuild');
}

describe('an answer', () => {
  /** api and web claimed on node-22 (api pinned), answers not recorded. */
  const pins = [
    { base: 'node-22', digest: D('a') },
    { base: 'python-3-12', digest: D('c') },
  ];
  const claimed = claimRebuilds(nodeUpdated, [...pendingByImage(nodeUpdated).values()], T(3), new Map([['api', pins]]));
  const keyOf = (state: StateSnapshot, image: string) =>
    record(state, 'node-22').claims?.find((c) => c.image === image)?.key ?? fail();

  test('closes only the claim it answers, in the files that hold it', () => {
    const answered = recordTriggerOutcome(
      claimed,
      keyOf(claimed, 'web'),
      { status: 'triggered', answer: 'HTTP 204' },
      T(4),
    );
    const r = record(answered, 'node-22');
    expect(r.history.map((h) => [h.image, h.result])).toEqual([['web', 'triggered']]);
    expect(r.claims?.map((c) => c.image)).toEqual(['api']);
    expect(baseFile(answered, 'python-3-12')).toBe(baseFile(claimed, 'python-3-12'));
  });

  test("many answers at once: the files one after the other would write, in the answers' order, once per key", () => {
    const answers = [
      { key: keyOf(claimed, 'web'), outcome: { status: 'transient', answer: 'HTTP 502' } },
      { key: keyOf(claimed, 'api'), outcome: { status: 'triggered', answer: 'HTTP 204', run: 'r1' } },
      // A second answer for a key already answered finds no claim left, one after the other: it changes nothing.
      { key: keyOf(claimed, 'web'), outcome: { status: 'triggered', answer: 'HTTP 204' } },
    ] as const;
    const files = (state: StateSnapshot) => [...renderState(state)];
    const oneByOne = (list: readonly (typeof answers)[number][]) =>
      list.reduce((state, a) => recordTriggerOutcome(state, a.key, a.outcome, T(4)), claimed);
    const batch = recordTriggerOutcomes(claimed, answers, T(4));
    expect(files(batch)).toEqual(files(oneByOne(answers)));
    expect(record(batch, 'node-22').history.map((h) => [h.image, h.result])).toEqual([
      ['web', 'transient'],
      ['api', 'triggered'],
    ]);
    const reversed = [answers[1], answers[0]];
    expect(files(recordTriggerOutcomes(claimed, reversed, T(4)))).toEqual(files(oneByOne(reversed)));
    expect(files(recordTriggerOutcomes(claimed, reversed, T(4)))).not.toEqual(files(batch));
    expect(recordTriggerOutcomes(claimed, [], T(4))).toEqual(claimed);
  });

  test('the last claim answered leaves no claims list in the file', () => {
    let state = claimed;
    for (const image of ['api', 'web']) {
      state = recordTriggerOutcome(state, keyOf(state, image), { status: 'triggered', answer: 'HTTP 204' }, T(4));
    }
    expect('claims' in record(state, 'node-22')).toBe(false);
    expect(file(state, 'node-22')).not.toContain('claims');
  });

  test('keeps the run it started and the pins; a fingerprint of the settings only with a refusal', () => {
    const key = keyOf(claimed, 'api');
    const triggered = recordTriggerOutcome(
      claimed,
      key,
      { status: 'triggered', answer: 'HTTP 200', run: 'https://github.com/acme/api/actions/runs/1', config: 'f1' },
      T(4),
    );
    expect(record(triggered, 'node-22').history).toStrictEqual([
      {
        image: 'api',
        digest: D('a'),
        result: 'triggered',
        at: T(4),
        key,
        answer: 'HTTP 200',
        run: 'https://github.com/acme/api/actions/runs/1',
        pins,
      },
    ]);
    const refused = recordTriggerOutcome(claimed, key, { status: 'failed', answer: 'HTTP 422', config: 'f1' }, T(4));
    expect(record(refused, 'node-22').history).toStrictEqual([
      { image: 'api', digest: D('a'), result: 'failed', at: T(4), key, answer: 'HTTP 422', config: 'f1', pins },
    ]);
    const webKey = keyOf(claimed, 'web');
    const unpinned = recordTriggerOutcome(
      claimed,
      webKey,
      { status: 'transient', answer: 'HTTP 502', config: 'f1' },
      T(4),
    );
    expect(record(unpinned, 'node-22').history).toStrictEqual([
      { image: 'web', digest: D('a'), result: 'transient', at: T(4), key: webKey, answer: 'HTTP 502' },
    ]);
  });

  test('a transient answer makes the decision pending again, due at once, beside the others', () => {
    const key = keyOf(claimed, 'web');
    // Meanwhile api is pending again (digest b, not due before Nov 5).
    const meanwhile = recorded(claimed, update('node-22', 'b', 4));
    const again = recordTriggerOutcome(meanwhile, key, { status: 'transient', answer: 'HTTP 502' }, T(4, 1));
    expect(record(again, 'node-22').pending.map((p) => [p.image, p.due])).toEqual([
      ['api', T(5)],
      ['web', T(4, 1)],
    ]);
  });

  test('merged with the same image pending again: urgent if either is, waiting for nothing, due at once', () => {
    const key = keyOf(claimed, 'web');
    const claim = record(claimed, 'node-22').claims?.find((c) => c.image === 'web') ?? fail();
    for (const [claimUrgent, pendingUrgent] of [
      [false, false],
      [false, true],
      [true, false],
    ] as const) {
      const r = record(claimed, 'node-22');
      const state = withRecord(claimed, 'node-22', {
        ...r,
        claims: (r.claims ?? []).map((c) => (c.key === key ? { ...c, urgent: claimUrgent } : c)),
        pending: [
          {
            image: 'web',
            since: T(4),
            due: T(5),
            urgent: pendingUrgent,
            causes: [{ base: 'node-22', digest: D('b') }],
            waitFor: ['node-base'],
            waitUntil: T(5, 1),
          },
        ],
      });
      const again = recordTriggerOutcome(state, key, { status: 'transient', answer: 'HTTP 502' }, T(4, 2));
      expect(record(again, 'node-22').pending).toEqual([
        {
          image: 'web',
          since: claim.since,
          due: T(4, 2),
          urgent: claimUrgent || pendingUrgent,
          causes: [
            { base: 'node-22', digest: D('a') },
            { base: 'node-22', digest: D('b') },
          ],
          waitFor: [],
          waitUntil: null,
        },
      ]);
      expect(dueRebuilds(again, T(4, 2)).map((p) => p.image)).toEqual(['web']);
    }
  });
});

describe('a due rebuild that cannot be sent', () => {
  test('is marked in the files that hold it; other files are unchanged', () => {
    const marked = markNotSent(nodeUpdated, [{ image: 'web', reason: 'no GitHub token' }]);
    expect(record(marked, 'node-22').pending.map((p) => [p.image, p.notSent])).toEqual([
      ['api', undefined],
      ['web', 'no GitHub token'],
    ]);
    expect(baseFile(marked, 'python-3-12')).toBe(baseFile(nodeUpdated, 'python-3-12'));
  });
});

describe('a refused trigger is retried once when images.yaml changes what the trigger sends', () => {
  const apiWith = (source: string) =>
    enrolmentOf(
      `  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n${source}${entry('web')}${external}`,
    );
  const withInputs = apiWith('      workflow: build.yaml\n      triggerInputs:\n        a: "1"\n        b: "2"\n');
  const managedApi = (e: ReturnType<typeof enrolmentOf>) => {
    const api = e.images.find((i) => i.name === 'api');
    if (api?.kind !== 'managed') throw new Error('api is managed');
    return api;
  };
  const fingerprint = (source: string) => triggerConfig(managedApi(apiWith(source)));

  test('the fingerprint is the same whatever the order of the inputs, and 16 hex', () => {
    const reordered = fingerprint('      workflow: build.yaml\n      triggerInputs:\n        b: "2"\n        a: "1"\n');
    expect(reordered).toBe(triggerConfig(managedApi(withInputs)));
    expect(reordered).toMatch(/^[0-9a-f]{16}$/);
  });

  test('the fingerprint changes with the workflow and with the key input', () => {
    const base = fingerprint('      workflow: build.yaml\n');
    expect(fingerprint('      workflow: release.yaml\n')).not.toBe(base);
    expect(fingerprint('      workflow: build.yaml\n      triggerKeyInput: factory_key\n')).not.toBe(base);
    expect(fingerprint('      workflow: build.yaml\n      branch: develop\n')).not.toBe(base);
  });

  /** node-22's file with `history` and web pending. */
  const refusedState = (history: RebuildRecord['history']) => {
    const r = record(nodeUpdated, 'node-22');
    return withRecord(nodeUpdated, 'node-22', { ...r, pending: r.pending.filter((p) => p.image === 'web'), history });
  };
  const refusal = (config: string | undefined, result: 'failed' | 'triggered' = 'failed') => ({
    image: 'api',
    digest: D('a'),
    result,
    at: T(2),
    key: 'api-0123456789abcdef',
    answer: 'HTTP 422 Unexpected inputs provided',
    ...(config === undefined ? {} : { config }),
  });

  test('a changed setting: the rebuild is pending again beside the others, the refusal marked requeued', () => {
    const state = refusedState([refusal('0000000000000000')]);
    const requeued = requeueRefused(state, withInputs, T(9));
    const r = record(requeued, 'node-22');
    expect(r.pending).toEqual([
      {
        image: 'api',
        since: T(2),
        due: T(9),
        urgent: false,
        causes: [{ base: 'node-22', digest: D('a') }],
        waitFor: [],
        waitUntil: null,
      },
      record(state, 'node-22').pending[0],
    ]);
    expect(r.history).toEqual([{ ...refusal('0000000000000000'), result: 'requeued' }]);
    expect(baseFile(requeued, 'python-3-12')).toBe(baseFile(state, 'python-3-12'));
  });

  test('a refusal is retried once: after its retry, a further change of images.yaml does not retry it again', () => {
    const state = refusedState([refusal('0000000000000000')]);
    const requeued = requeueRefused(state, withInputs, T(9));
    // The retry is claimed and answered (triggered): api is neither pending nor claimed any more.
    const claimed = claimRebuilds(requeued, [pendingByImage(requeued).get('api') ?? fail()], T(9));
    const key = record(claimed, 'node-22').claims?.find((c) => c.image === 'api')?.key ?? fail();
    const answered = recordTriggerOutcome(claimed, key, { status: 'triggered', answer: 'HTTP 204' }, T(9));
    const changedAgain = apiWith('      workflow: release.yaml\n');
    const after = requeueRefused(answered, changedAgain, T(10));
    expect(after).toBe(answered);
    expect(pendingByImage(after).has('api')).toBe(false);
  });

  test('the same settings, a refusal without a fingerprint, an image no longer enrolled or a trigger that worked: nothing', () => {
    const same = refusedState([refusal(triggerConfig(managedApi(withInputs)))]);
    expect(requeueRefused(same, withInputs, T(9))).toBe(same);
    const older = refusedState([refusal(undefined)]);
    expect(requeueRefused(older, withInputs, T(9))).toBe(older);
    const removed = refusedState([refusal('0000000000000000')]);
    expect(requeueRefused(removed, enrolmentOf(entry('web')), T(9))).toBe(removed);
    const worked = refusedState([refusal(undefined, 'triggered')]);
    expect(requeueRefused(worked, withInputs, T(9))).toBe(worked);
  });
});

/** The fields an object has (a field holding `undefined` counts: the state read back from its file has no such field). */
const fieldsOf = (o: object) => Object.keys(o).sort();

describe("the wave's view of the state", () => {
  test('each managed image once, its bases each once and by name; only the bases that are images built here map to them', () => {
    const e = enrolmentOf(`${entry('api')}${entry('node-base')}`);
    const state = planStateUpdate(EMPTY_STATE, e, [
      analysis('api', 'FROM python:3.12 AS deps\nFROM ghcr.io/acme/node-base:22\nFROM python:3.12\n'),
      analysis('node-base', 'FROM node:22\n'),
    ]);
    const graph = waveGraphOf(state, e, new Map([['api', old]]));
    expect([...graph.images.values()]).toEqual([
      {
        name: 'api',
        rebuildDelaySeconds: 86400,
        autoRebuild: true,
        bases: ['ghcr-io-acme-node-base-22', 'python-3-12'],
        build: old,
      },
      { name: 'node-base', rebuildDelaySeconds: 86400, autoRebuild: true, bases: ['node-22'], build: null },
    ]);
    expect(graph.managedBase).toEqual(new Map([['ghcr-io-acme-node-base-22', 'node-base']]));
  });
});

describe('the signature gate (docs/rebuilds.md "Signatures")', () => {
  const blocked = (reason: string) => ({ status: 'blocked', reason }) as const;
  const gated = (state: StateSnapshot, u: BaseUpdate, reason: string) => {
    const result = recordBaseUpdate(state, enrolment, u, builds, blocked(reason));
    if (result.status !== 'blocked') throw new Error(`expected blocked, got ${result.status}`);
    return result.state;
  };
  const a = { digest: D('a'), released: T(1), seen: T(1) };
  const b = { digest: D('b'), released: T(3), seen: T(3) };
  const onceBlocked = gated(nodeUpdated, update('node-22', 'b', 3), 'not signed');

  test('a digest whose verification could not be made is never recorded: asking to is an internal error naming it', () => {
    const attempt = () =>
      recordBaseUpdate(nodeUpdated, enrolment, update('node-22', 'b', 3), builds, {
        status: 'unverifiable',
        reason: 'signature not verified: HTTP 503',
      });
    expect(attempt).toThrow(FactoryError);
    expect(attempt).toThrow(
      expect.objectContaining({ code: 'internal', message: expect.stringContaining(`node-22@${D('b')}`) }),
    );
  });

  test('the same digest blocked again for the same reason changes nothing', () => {
    expect(recordBaseUpdate(onceBlocked, enrolment, update('node-22', 'b', 3), builds, blocked('not signed'))).toEqual({
      status: 'unchanged',
      state: onceBlocked,
    });
  });

  test('blocked again for another reason: it says the new reason, and is still seen once', () => {
    const again = gated(onceBlocked, update('node-22', 'b', 3), 'signed by an unknown key');
    expect(record(again, 'node-22').seen).toEqual([a, { ...b, blocked: 'signed by an unknown key' }]);
  });

  test('a second digest blocked for the same reason is recorded blocked too; the current one stays as it was', () => {
    const twice = gated(onceBlocked, update('node-22', 'c', 4), 'not signed');
    const r = record(twice, 'node-22');
    expect(r.seen).toEqual([
      a,
      { ...b, blocked: 'not signed' },
      { digest: D('c'), released: T(4), seen: T(4), blocked: 'not signed' },
    ]);
    expect(r.current).toEqual(a);
    expect(r.pending).toEqual(record(nodeUpdated, 'node-22').pending);
  });

  test(`a blocked digest is one of the last ${MAX_SEEN_DIGESTS} seen: the oldest leaves`, () => {
    let state = initial;
    for (let i = 0; i < MAX_SEEN_DIGESTS; i++) {
      state = recorded(state, { ...update('node-22', 'a', 1 + i), digest: `sha256:${String(i).padStart(64, '0')}` });
    }
    const seen = record(gated(state, update('node-22', 'b', 25), 'not signed'), 'node-22').seen ?? [];
    expect(seen).toHaveLength(MAX_SEEN_DIGESTS);
    expect(seen[0]?.released).toBe(T(2));
    expect(seen.at(-1)).toEqual({ digest: D('b'), released: T(25), seen: T(25), blocked: 'not signed' });
  });
});

describe('the idempotency key is from the decision: image, start and causes', () => {
  test('the same decision has the same key; other causes, another key', () => {
    const decision = { image: 'api', since: T(1), causes: [{ base: 'node-22', digest: D('a') }] };
    const key = triggerKey(decision);
    expect(triggerKey({ ...decision, causes: [{ base: 'node-22', digest: D('a') }] })).toBe(key);
    expect(triggerKey({ ...decision, causes: [{ base: 'node-22', digest: D('b') }] })).not.toBe(key);
    expect(triggerKey({ ...decision, causes: [{ base: 'python-3-12', digest: D('a') }] })).not.toBe(key);
    expect(triggerKey({ ...decision, since: T(2) })).not.toBe(key);
  });
});

describe('a later update the pin does not build is the next wave (docs/rebuilds.md "The rules")', () => {
  const WEEK = 7 * 86400;
  /** node-22 seen at a (Nov 1), b (released Nov 3, first seen Nov 4) and c (Nov 5): api and web pending on all three. */
  const threeSeen = recorded(
    recorded(nodeUpdated, update('node-22', 'b', 3, { seen: T(4) })),
    update('node-22', 'c', 5),
  );
  const cause = (c: string) => ({ base: 'node-22', digest: D(c) });
  /** api claimed on Nov 6, pinned to `pin` on node-22, its delay a week unless told. */
  const claimApi = (state: StateSnapshot, pin: string | undefined, delays = new Map([['api', WEEK]])) => {
    const api = pendingByImage(state).get('api') ?? fail();
    const pins = pin === undefined ? new Map() : new Map([['api', [{ base: 'node-22', digest: D(pin) }]]]);
    return record(claimRebuilds(state, [api], T(6), pins, delays), 'node-22').pending.filter((p) => p.image === 'api');
  };
  const withApiCauses = (state: StateSnapshot, causes: { base: string; digest: string }[]) => {
    const r = record(state, 'node-22');
    return withRecord(state, 'node-22', {
      ...r,
      pending: r.pending.map((p) => (p.image === 'api' ? { ...p, causes } : p)),
    });
  };

  test('the causes seen after the pin stay pending, since the first was released (not first seen), due the delay after', () => {
    expect(claimApi(threeSeen, 'a')).toEqual([
      {
        image: 'api',
        since: T(3),
        due: T(10),
        urgent: false,
        causes: [cause('b'), cause('c')],
        waitFor: [],
        waitUntil: null,
      },
    ]);
  });

  test('one of them fixing a CRITICAL makes them urgent: due at once', () => {
    const urgentC = recorded(
      recorded(nodeUpdated, update('node-22', 'b', 3, { seen: T(4) })),
      update('node-22', 'c', 5, { urgent: true }),
    );
    expect(claimApi(urgentC, 'a')).toMatchObject([{ since: T(3), due: T(3), urgent: true }]);
  });

  test("only the image's own causes on this base stay pending", () => {
    expect(claimApi(withApiCauses(threeSeen, [cause('a'), cause('b')]), 'a').map((p) => p.causes)).toEqual([
      [cause('b')],
    ]);
    // The same digest under another base (two tags of one image) is not an update of this one.
    const otherBase = withApiCauses(threeSeen, [cause('a'), { base: 'python-3-12', digest: D('b') }]);
    expect(claimApi(otherBase, 'a')).toEqual([]);
  });

  test('a later digest blocked since (its signature checked again) is never the next wave', () => {
    const r = record(threeSeen, 'node-22');
    const bBlocked = withRecord(threeSeen, 'node-22', {
      ...r,
      seen: (r.seen ?? []).map((d) => (d.digest === D('b') ? { ...d, blocked: 'not signed' } : d)),
    });
    expect(claimApi(bBlocked, 'a').map((p) => [p.since, p.causes])).toEqual([[T(5), [cause('c')]]]);
  });

  test('unpinned (it takes the newest), pinned to the newest, or without a delay given: nothing stays pending', () => {
    expect(claimApi(threeSeen, undefined)).toEqual([]);
    expect(claimApi(threeSeen, 'c')).toEqual([]);
    expect(claimApi(threeSeen, 'a', new Map())).toEqual([]);
  });
});

describe('what is written has only the fields that hold something (docs/rebuilds.md "State")', () => {
  test('claiming one of two images of a base with no newer digest writes no latest', () => {
    const claimed = claimRebuilds(nodeUpdated, [pendingByImage(nodeUpdated).get('web') ?? fail()], T(3));
    expect(fieldsOf(record(claimed, 'node-22'))).toEqual(['claims', 'current', 'history', 'pending', 'seen']);
  });

  test('a file written before digests seen were kept gets no seen list from a claim', () => {
    const { seen: _seen, ...before } = record(nodeUpdated, 'node-22');
    const state = withRecord(nodeUpdated, 'node-22', before);
    const claimed = claimRebuilds(state, [pendingByImage(state).get('web') ?? fail()], T(3));
    expect(fieldsOf(record(claimed, 'node-22'))).toEqual(['claims', 'current', 'history', 'pending']);
  });

  test('a file that records no digest of its base: the claim is on the digest decided, and no current is invented', () => {
    const r = record(nodeUpdated, 'node-22');
    const state = withRecord(nodeUpdated, 'node-22', { pending: r.pending, history: [] });
    const claimed = record(claimRebuilds(state, [pendingByImage(state).get('web') ?? fail()], T(3)), 'node-22');
    expect(fieldsOf(claimed)).toEqual(['claims', 'history', 'pending']);
    expect(claimed.claims?.map((c) => [c.image, c.digest])).toEqual([['web', D('a')]]);
  });

  test('nor is a claim written without a digest of its base', () => {
    const r = record(nodeUpdated, 'node-22');
    const pending = r.pending.map((p) => ({ ...p, causes: [{ base: 'python-3-12', digest: D('c') }] }));
    const state = withRecord(nodeUpdated, 'node-22', { pending, history: [] });
    const claimed = record(claimRebuilds(state, [pendingByImage(state).get('web') ?? fail()], T(3)), 'node-22');
    expect(claimed.claims ?? []).toEqual([]);
  });

  test('a refusal without the settings fingerprint keeps none', () => {
    const r = record(nodeUpdated, 'node-22');
    const claimed = claimRebuilds(nodeUpdated, [pendingByImage(nodeUpdated).get('web') ?? fail()], T(3));
    const key = record(claimed, 'node-22').claims?.[0]?.key ?? fail();
    const refused = recordTriggerOutcome(claimed, key, { status: 'failed', answer: 'HTTP 422' }, T(4));
    expect(record(refused, 'node-22').history).toStrictEqual([
      ...r.history,
      { image: 'web', digest: D('a'), result: 'failed', at: T(4), key, answer: 'HTTP 422' },
    ]);
  });
});

describe('a due rebuild that cannot be sent: marked where it is held, unchanged reasons change nothing', () => {
  /** api pending in node's and python's files, web in node's. */
  const both = recorded(nodeUpdated, update('python-3-12', 'c', 1));
  // Marked inside each test (not once for the block): Stryker attributes what runs while a file is collected to no test.
  const markWeb = () => markNotSent(both, [{ image: 'web', reason: 'no GitHub token' }]);

  test('the other entries and the files that do not hold it are unchanged', () => {
    const marked = markWeb();
    const [api] = record(both, 'node-22').pending;
    expect(record(marked, 'node-22').pending[0]).toStrictEqual(api);
    expect(baseFile(marked, 'python-3-12')).toBe(baseFile(both, 'python-3-12'));
  });

  test('the same reason again changes nothing; another reason replaces it', () => {
    const marked = markWeb();
    expect(markNotSent(marked, [{ image: 'web', reason: 'no GitHub token' }])).toBe(marked);
    const other = markNotSent(marked, [{ image: 'web', reason: 'images.yaml names no source.workflow for web' }]);
    expect(record(other, 'node-22').pending.map((p) => p.notSent)).toEqual([
      undefined,
      'images.yaml names no source.workflow for web',
    ]);
  });
});
