/**
 * planRun as docs/rebuilds.md states it: the base updates a run records come first ("Decided once"), and "a cycle in
 * the graph is an error naming it (a → b → a), exit 1, nothing recorded". Pins what the mutation run found unpinned
 * (docs/mutation.md).
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { FactoryError } from '../src/errors.js';
import { planRun, type RequestFor } from '../src/rebuild/plan-run.js';
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
    expect(run).toThrow(FactoryError);
    expect(run).toThrow(/^cycle in the dependency graph: \S+ → \S+ → \S+; nothing recorded, nothing triggered$/);
  });
});
