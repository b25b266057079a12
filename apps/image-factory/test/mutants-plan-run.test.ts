/**
 * planRun as docs/rebuilds.md states it: the base updates a run records come first ("Decided once"), and "a cycle in
 * the graph is an error naming it (a → b → a), exit 1, nothing recorded". Pins what the mutation run found unpinned
 * (docs/mutation.md).
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { FactoryError } from '../src/errors.js';
import { type DigestVerdict, verdictKey } from '../src/rebuild/gate.js';
import { planRun, type RequestFor, type RunInput } from '../src/rebuild/plan-run.js';
import { triggerRequest } from '../src/rebuild/trigger-request.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { EMPTY_STATE } from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const entry = (name: string) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    rebuildDelay: "0"\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n      triggerKeyInput: factory_key\n`;
const analysis = (name: string, dockerfile: string) => ({
  image: name,
  dockerfile: 'Dockerfile',
  uses: analyseDockerfile(dockerfile, 'Dockerfile', {}),
  build: { tag: '1', digest: D('f') },
});
const endpoints = {
  githubApiUrl: 'https://api.github.com',
  gitlabUrl: 'https://gitlab.com',
  githubToken: true,
  gitlabToken: true,
};
const requestFor: RequestFor = (image, key, contexts) => triggerRequest(image, endpoints, key, contexts);
const NOW = '2026-12-01T00:00:00Z';

describe('planRun records the updates it is given, then claims what is due', () => {
  const enrolment = loadEnrolment(`images:\n${entry('api')}`, 'images.yaml');
  const state = planStateUpdate(EMPTY_STATE, enrolment, [analysis('api', 'FROM node:22\n')]);
  const update = { base: 'node-22', digest: D('a'), released: '2026-11-30T00:00:00Z', seen: NOW, urgent: false };

  test('a recorded update is decided and, due at once (rebuildDelay 0), sent with its key input named', () => {
    const plan = planRun({
      state,
      enrolment,
      updates: [{ update, builds: new Map() }],
      now: NOW,
      claimTimeoutSeconds: 7200,
      requestFor,
    });
    expect(plan.decisions.map((d) => [d.image, d.action])).toEqual([['api', 'rebuild']]);
    expect(plan.sends).toHaveLength(1);
    expect(plan.sends[0]).toMatchObject({ image: 'api', keyInput: 'factory_key', resend: null });
    expect(plan.skipped).toEqual([]);
  });

  test('the same update again records nothing twice', () => {
    const first = planRun({
      state,
      enrolment,
      updates: [{ update, builds: new Map() }],
      now: NOW,
      claimTimeoutSeconds: 7200,
      requestFor,
    });
    const again = planRun({
      state: first.state,
      enrolment,
      updates: [{ update, builds: new Map() }],
      now: NOW,
      claimTimeoutSeconds: 7200,
      requestFor,
    });
    expect(again.decisions).toEqual([]);
    expect(again.sends).toEqual([]);
  });

  test('a claim never answered is sent again after the claim timeout, with one more send; unsendable, it is skipped with why', () => {
    const first = planRun({
      state,
      enrolment,
      updates: [{ update, builds: new Map() }],
      now: NOW,
      claimTimeoutSeconds: 7200,
      requestFor,
    });
    const later = '2026-12-01T02:00:00Z';
    const resent = planRun({
      state: first.state,
      enrolment,
      updates: [],
      now: later,
      claimTimeoutSeconds: 7200,
      requestFor,
    });
    expect(resent.sends).toHaveLength(1);
    expect(resent.sends[0]).toMatchObject({ key: first.sends[0]?.key, resend: { claimedBefore: NOW, sends: 2 } });
    const refused = planRun({
      state: first.state,
      enrolment,
      updates: [],
      now: later,
      claimTimeoutSeconds: 7200,
      requestFor: () => 'no GitHub token',
    });
    expect(refused.sends).toEqual([]);
    expect(refused.skipped).toEqual([
      { image: 'api', reason: `claim ${first.sends[0]?.key} not sent again: no GitHub token` },
    ]);
  });
});

describe('a cycle in the graph', () => {
  test('is an error naming it: nothing recorded, nothing sent', () => {
    const enrolment = loadEnrolment(`images:\n${entry('a')}${entry('b')}`, 'images.yaml');
    const state = planStateUpdate(EMPTY_STATE, enrolment, [
      analysis('a', 'FROM ghcr.io/acme/b:1\n'),
      analysis('b', 'FROM ghcr.io/acme/a:1\n'),
    ]);
    const bases = [...state.baseImages.keys()].sort();
    const base = bases.find((name) => name.includes('acme-b')) ?? '';
    const update = { base, digest: D('1'), released: NOW, seen: NOW, urgent: false };
    const run = () =>
      planRun({
        state,
        enrolment,
        updates: [{ update, builds: new Map() }],
        now: NOW,
        claimTimeoutSeconds: 7200,
        requestFor,
      });
    expect(run).toThrow(expect.objectContaining({ name: 'FactoryError', code: 'invalid-state' }));
    expect(run).toThrow(/^cycle in the dependency graph: \S+ → \S+ → \S+; nothing recorded, nothing triggered$/);
  });
});

// --- the signature gate in a run (docs/rebuilds.md "Signatures (the gate)") ---------------------------------------

const T = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00Z`;
const delayed = (name: string, delay: string) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    rebuildDelay: "${delay}"\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n      baseImagesInput: base_images\n`;
const NODE_POLICY = `baseImagePolicies:\n  - match: docker.io/library/node\n    verify:\n      keys:\n        - file: keys/cosign.pub\n      requireTransparencyLog: false\n`;
const at = (base: string, c: string, day: number) => ({
  update: { base, digest: D(c), released: T(day), seen: T(day), urgent: false },
  builds: new Map(),
});
const refuse: RequestFor = () => 'no GitHub token';
const run = (input: Omit<RunInput, 'claimTimeoutSeconds' | 'requestFor'> & { requestFor?: RequestFor }) =>
  planRun({ claimTimeoutSeconds: 7200, requestFor, ...input });
const verdictsOf = (entries: [string, string, DigestVerdict][]) =>
  new Map(entries.map(([base, digest, v]) => [verdictKey(base, digest), v]));
const PASSED: DigestVerdict = { status: 'passed' };
const DOWN: DigestVerdict = { status: 'unverifiable', reason: 'signature not verified: registry unavailable' };

describe('the gate verifies only digests not recorded yet (a repeated run asks nothing)', () => {
  const images = `images:\n${delayed('api', '7d')}`;
  const analysed = () =>
    planStateUpdate(EMPTY_STATE, loadEnrolment(images, 'images.yaml'), [analysis('api', 'FROM node:22\n')]);

  test('the current digest, or the latest, reported again: no verdict asked for, nothing changes', () => {
    const enrolment = loadEnrolment(`${images}${NODE_POLICY}`, 'images.yaml');
    const first = run({
      state: analysed(),
      enrolment,
      updates: [at('node-22', 'a', 1)],
      now: T(1),
      verdicts: verdictsOf([['node-22', D('a'), PASSED]]),
    });
    const second = run({
      state: first.state,
      enrolment,
      updates: [at('node-22', 'b', 2)],
      now: T(2),
      verdicts: verdictsOf([['node-22', D('b'), PASSED]]),
    });
    const record = second.state.baseImages.get('node-22')?.rebuild;
    expect([record?.current?.digest, record?.latest?.digest]).toEqual([D('a'), D('b')]);
    for (const digest of ['a', 'b']) {
      const again = run({ state: second.state, enrolment, updates: [at('node-22', digest, 3)], now: T(3) });
      expect(again.gate.needed).toEqual([]);
      expect(again.state).toEqual(second.state);
    }
  });

  test('a base whose first digest was blocked: the next that passes is decided on', () => {
    const enrolment = loadEnrolment(`${images}${NODE_POLICY}`, 'images.yaml');
    const blocked = run({
      state: analysed(),
      enrolment,
      updates: [at('node-22', 'a', 1)],
      now: T(1),
      verdicts: verdictsOf([['node-22', D('a'), { status: 'blocked', reason: 'signed by nobody' }]]),
    });
    expect(blocked.gate.blocked).toEqual([{ base: 'node-22', digest: D('a'), reason: 'signed by nobody' }]);
    expect(blocked.decisions).toEqual([]);
    const next = run({
      state: blocked.state,
      enrolment,
      updates: [at('node-22', 'b', 2)],
      now: T(2),
      verdicts: verdictsOf([['node-22', D('b'), PASSED]]),
    });
    expect(next.decisions.map((d) => [d.image, d.action])).toEqual([['api', 'rebuild']]);
    expect(next.gate).toEqual({ blocked: [], warnings: [], unverifiable: [], needed: [], held: [] });
  });

  test('an update of a base not in state is an error naming it (invalid state), checked or not', () => {
    for (const policy of ['', NODE_POLICY]) {
      const enrolment = loadEnrolment(`${images}${policy}`, 'images.yaml');
      const thrown = () => run({ state: analysed(), enrolment, updates: [at('redis-7', 'a', 1)], now: T(1) });
      expect(thrown).toThrow(FactoryError);
      expect(thrown).toThrow(/^no base image redis-7 in state/);
    }
  });
});

describe('a digest whose verification could not be made holds back every rebuild pinned to it', () => {
  test('each digest listed once, every image held (not skipped), nothing sent', () => {
    // api and cron (delay 0) would be pinned to node C, web (3d) to node B, worker to node:lts C: the same digest
    // of another base. A policy now covers node and the registry cannot say.
    const images = `images:\n${delayed('api', '0')}${delayed('web', '3d')}${delayed('cron', '0')}${delayed('worker', '0')}`;
    const free = loadEnrolment(images, 'images.yaml');
    const state = planStateUpdate(EMPTY_STATE, free, [
      analysis('api', 'FROM node:22\n'),
      analysis('web', 'FROM node:22\n'),
      analysis('cron', 'FROM node:22\n'),
      analysis('worker', 'FROM node:lts\n'),
    ]);
    const r1 = run({
      state,
      enrolment: free,
      updates: [at('node-22', 'b', 1), at('node-lts', 'c', 1)],
      now: T(1),
      requestFor: refuse,
    });
    const r2 = run({
      state: r1.state,
      enrolment: free,
      updates: [at('node-22', 'c', 5)],
      now: T(5),
      requestFor: refuse,
    });
    const down = run({
      state: r2.state,
      enrolment: loadEnrolment(`${images}${NODE_POLICY}`, 'images.yaml'),
      updates: [],
      now: T(6),
      verdicts: verdictsOf([
        ['node-22', D('b'), DOWN],
        ['node-22', D('c'), DOWN],
        ['node-lts', D('c'), DOWN],
      ]),
    });
    expect(down.sends).toEqual([]);
    expect(down.skipped).toEqual([]);
    expect(down.gate.unverifiable).toEqual([
      { base: 'node-22', digest: D('c'), reason: DOWN.reason },
      { base: 'node-22', digest: D('b'), reason: DOWN.reason },
      { base: 'node-lts', digest: D('c'), reason: DOWN.reason },
    ]);
    expect(down.gate.held.map((h) => [h.image, h.reason])).toEqual([
      ['api', `held back by the signature gate (node-22: ${D('c')} could not be verified)`],
      ['cron', `held back by the signature gate (node-22: ${D('c')} could not be verified)`],
      ['web', `held back by the signature gate (node-22: ${D('b')} could not be verified)`],
      ['worker', `held back by the signature gate (node-lts: ${D('c')} could not be verified)`],
    ]);
  });
});

describe('a due rebuild is sent as images.yaml says now', () => {
  test('its own rebuildDelay decides the pin, not the default', () => {
    // defaults 7d, api 2d: on Nov 5 the digest released Nov 3 is old enough for api (not sendable until then).
    const images = `defaults:\n  rebuildDelay: 7d\nimages:\n${delayed('api', '2d')}`;
    const enrolment = loadEnrolment(images, 'images.yaml');
    const state = planStateUpdate(EMPTY_STATE, enrolment, [analysis('api', 'FROM node:22\n')]);
    const first = run({ state, enrolment, updates: [at('node-22', 'a', 1)], now: T(1), requestFor: refuse });
    const second = run({
      state: first.state,
      enrolment,
      updates: [at('node-22', 'b', 3)],
      now: T(3),
      requestFor: refuse,
    });
    const due = run({ state: second.state, enrolment, updates: [], now: T(5) });
    expect(due.sends.map((s) => s.request.body)).toEqual([expect.stringContaining(`docker.io/library/node@${D('b')}`)]);
  });

  test('an image no longer managed in images.yaml is not sent: left pending, with why', () => {
    const managed = loadEnrolment(`images:\n${delayed('api', '0')}`, 'images.yaml');
    const state = planStateUpdate(EMPTY_STATE, managed, [analysis('api', 'FROM node:22\n')]);
    const pending = run({ state, enrolment: managed, updates: [at('node-22', 'a', 1)], now: T(1), requestFor: refuse });
    const external = loadEnrolment(
      `images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    allowTags: '^1$'\n`,
      'images.yaml',
    );
    const later = run({ state: pending.state, enrolment: external, updates: [], now: T(2) });
    expect(later.sends).toEqual([]);
    expect(later.skipped).toEqual([{ image: 'api', reason: 'api is not a managed image in images.yaml' }]);
  });

  test('an image whose state file is gone is sent unpinned (no base pins known), its claim without pins', () => {
    const enrolment = loadEnrolment(`images:\n${delayed('api', '0')}`, 'images.yaml');
    const state = planStateUpdate(EMPTY_STATE, enrolment, [analysis('api', 'FROM node:22\n')]);
    const pending = run({ state, enrolment, updates: [at('node-22', 'a', 1)], now: T(1), requestFor: refuse });
    const gone = { images: new Map(), baseImages: pending.state.baseImages };
    const sent = run({ state: gone, enrolment, updates: [], now: T(2) });
    expect(sent.sends.map((s) => s.image)).toEqual(['api']);
    expect(sent.sends[0]?.request.body).not.toContain('docker-image://');
    const claims = sent.state.baseImages.get('node-22')?.rebuild?.claims ?? [];
    expect(claims.map((c) => [c.image, c.pins])).toEqual([['api', undefined]]);
  });
});

describe('a due rebuild whose pin has no verdict yet is held back, not skipped', () => {
  test('the digest is asked for, the rebuild held this run (nothing recorded), nothing sent', () => {
    // api was left pending on node C under no policy; now a policy covers node and the job has not verified C yet.
    const images = `images:\n${delayed('api', '0')}`;
    const free = loadEnrolment(images, 'images.yaml');
    const state = planStateUpdate(EMPTY_STATE, free, [analysis('api', 'FROM node:22\n')]);
    const pending = run({ state, enrolment: free, updates: [at('node-22', 'c', 1)], now: T(1), requestFor: refuse });
    const asked = run({
      state: pending.state,
      enrolment: loadEnrolment(`${images}${NODE_POLICY}`, 'images.yaml'),
      updates: [],
      now: T(2),
    });
    expect(asked.gate.needed).toEqual([{ base: 'node-22', digest: D('c') }]);
    expect(asked.gate.held.map((h) => h.image)).toEqual(['api']);
    expect(asked.skipped).toEqual([]);
    expect(asked.sends).toEqual([]);
    expect(asked.state).toEqual(pending.state);
  });
});
