/**
 * The signature gate in the rebuild decisions, from issue 22 item 3 and DESIGN §12: "a base or external digest that
 * fails an enforce policy is never the digest a rebuild is decided on or pinned to: the decision is recorded as
 * `blocked: <reason>` in state (who signed it, if anyone, and what the policy wanted), the next digest that passes
 * proceeds, urgency does not bypass it; `warn` records and proceeds". No policy: nothing is verified and nothing
 * changes. A verification that could not be made fails closed: the digest is not used and nothing is recorded.
 * The planner is pure: the verdicts are data, and what it has no verdict for it asks for (`gate.needed`).
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import {
  type DigestVerdict,
  gatedDigests,
  gateReason,
  planRun,
  type RequestFor,
  type RunInput,
  recordTriggerOutcome,
  verdictKey,
  verdictOf,
} from '../src/rebuild/index.js';
import { triggerRequest } from '../src/rebuild/trigger-request.js';
import type { Verification } from '../src/signatures/index.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { MAX_GATE_REASON } from '../src/state/schema.js';
import { readState, writeState } from '../src/state/store.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';
import { tempDir } from './support/git-repos.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const T = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00Z`;
const KEY_FILE = 'keys/cosign.pub';

const image = (delay: string) =>
  `  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    rebuildDelay: "${delay}"\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n      workflow: build.yaml\n      baseImagesInput: base_images\n`;
const policy = (mode: 'enforce' | 'warn') =>
  `baseImagePolicies:\n  - match: docker.io/library/node\n    verify:\n      mode: ${mode}\n      keys:\n        - file: ${KEY_FILE}\n      requireTransparencyLog: false\n`;
const enrolmentOf = (delay: string, mode: 'enforce' | 'warn' | null) =>
  loadEnrolment(`images:\n${image(delay)}${mode === null ? '' : policy(mode)}`, 'images.yaml');

const endpoints = {
  githubApiUrl: 'https://api.github.com',
  gitlabUrl: 'https://gitlab.com',
  githubToken: true,
  gitlabToken: true,
};
const requestFor: RequestFor = (img, key, contexts) => triggerRequest(img, endpoints, key, contexts);

const initial = planStateUpdate(EMPTY_STATE, enrolmentOf('0', null), [
  {
    image: 'api',
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile('FROM node:22\n', 'Dockerfile', {}),
    build: { tag: '1', digest: D('f') },
  },
]);

/** A verification as verifyImageSignatures makes it: unsigned, or signed by a key the policy does not trust. */
const UNSIGNED = (digest: string): Verification => ({
  verified: false,
  reason: `${digest} is not signed (no cosign signature found)`,
  signatures: [],
});
const STRANGER = 'sha256:5757575757575757575757575757575757575757575757575757575757575757';
const WRONG_KEY = (digest: string): Verification => ({
  verified: false,
  reason: `no signature of ${digest} satisfies the policy (1 found: not signed by any key the policy trusts (or the signature is corrupt))`,
  signatures: [
    { format: 'legacy', kind: 'key', issuer: null, subject: STRANGER, tlog: false, valid: false, problem: 'x' },
  ],
});
const PASSED: DigestVerdict = { status: 'passed' };

const update = (digest: string, day: number, urgent = false) => ({
  update: { base: 'node-22', digest, released: T(day), seen: T(day), urgent },
  builds: new Map(),
});

function plan(
  state: StateSnapshot,
  mode: 'enforce' | 'warn' | null,
  now: string,
  updates: RunInput['updates'],
  verdicts: Record<string, DigestVerdict> = {},
  delay = '0',
) {
  return planRun({
    state,
    enrolment: enrolmentOf(delay, mode),
    updates,
    now,
    claimTimeoutSeconds: 7200,
    requestFor,
    verdicts: new Map(Object.entries(verdicts).map(([digest, v]) => [verdictKey('node-22', digest), v])),
  });
}

const record = (state: StateSnapshot) => state.baseImages.get('node-22')?.rebuild;
const pinsSent = (p: ReturnType<typeof plan>) => p.sends.map((s) => s.request.body);
const enforce = enrolmentOf('0', 'enforce');
const blockedBy = (verification: Verification) => {
  const policyOf = enforce.baseImagePolicies?.[0]?.verify;
  if (policyOf === undefined) throw new Error('the test enrolment has a policy');
  return verdictOf(verification, policyOf);
};

/** The state after a first digest A passed and its rebuild was triggered (A is current). */
const first = plan(initial, 'enforce', T(1), [update(D('a'), 1)], { [D('a')]: PASSED });
const withCurrent = recordTriggerOutcome(
  first.state,
  first.sends[0]?.key ?? '',
  { status: 'triggered', answer: 'HTTP 204' },
  T(1),
);

describe('a digest that fails an enforced policy is never decided on', () => {
  const b = D('b');
  const blocked = plan(withCurrent, 'enforce', T(2), [update(b, 2)], { [b]: blockedBy(UNSIGNED(b)) });

  test('no decision, no rebuild sent, and the digest is neither current nor latest', () => {
    expect(blocked.decisions).toEqual([]);
    expect(blocked.sends).toEqual([]);
    expect(record(blocked.state)?.current?.digest).toBe(D('a'));
    expect(record(blocked.state)?.latest).toBeUndefined();
    expect(record(blocked.state)?.pending).toEqual([]);
  });

  test('it is recorded in state as blocked, saying who signed it (nobody) and what the policy wanted', () => {
    const seen = record(blocked.state)?.seen?.find((d) => d.digest === b);
    expect(seen?.blocked).toContain(`${b} is not signed`);
    expect(seen?.blocked).toContain('signed by nobody');
    expect(seen?.blocked).toContain(`the policy wants a signature by the key in ${KEY_FILE}`);
    expect(blocked.gate.blocked).toEqual([{ base: 'node-22', digest: b, reason: seen?.blocked }]);
  });

  test('signed by the wrong key: the reason names the key that signed it', () => {
    const wrong = plan(withCurrent, 'enforce', T(2), [update(b, 2)], { [b]: blockedBy(WRONG_KEY(b)) });
    expect(record(wrong.state)?.seen?.find((d) => d.digest === b)?.blocked).toContain(`signed by key ${STRANGER}`);
  });

  test('the blocked state is written and read back by the state store (the schema the next run loads it with)', async () => {
    const dir = tempDir('if-gate-state-');
    await writeState(dir, blocked.state);
    const read = await readState(dir);
    expect(read.baseImages.get('node-22')?.rebuild?.seen).toEqual(record(blocked.state)?.seen);
  });

  test('the same blocked digest reported again records nothing twice', () => {
    const again = plan(blocked.state, 'enforce', T(3), [update(b, 2)], { [b]: blockedBy(UNSIGNED(b)) });
    expect(again.state).toEqual(blocked.state);
    expect(record(again.state)?.seen?.filter((d) => d.digest === b)).toHaveLength(1);
  });

  test('urgency does not bypass it: a blocked digest that fixes a CRITICAL triggers nothing', () => {
    const urgent = plan(withCurrent, 'enforce', T(2), [update(b, 2, true)], { [b]: blockedBy(UNSIGNED(b)) });
    expect(urgent.decisions).toEqual([]);
    expect(urgent.sends).toEqual([]);
    expect(record(urgent.state)?.seen?.find((d) => d.digest === b)?.blocked).toBeDefined();
  });

  test('the next digest that passes proceeds, and the rebuild is pinned to it', () => {
    const c = D('c');
    const next = plan(blocked.state, 'enforce', T(3), [update(c, 3)], { [c]: PASSED });
    expect(next.decisions.map((d) => [d.image, d.action])).toEqual([['api', 'rebuild']]);
    expect(next.sends).toHaveLength(1);
    expect(pinsSent(next)[0]).toContain(`docker.io/library/node@${c}`);
    expect(record(next.state)?.latest?.digest ?? record(next.state)?.current?.digest).toBe(c);
  });

  test('a blocked digest that passes when seen again (signed since) is recorded as any new digest, once', () => {
    const later = plan(blocked.state, 'enforce', T(3), [update(b, 2)], { [b]: PASSED });
    expect(later.decisions.map((d) => d.action)).toEqual(['rebuild']);
    const seen = record(later.state)?.seen?.filter((d) => d.digest === b) ?? [];
    expect(seen).toHaveLength(1);
    expect(seen[0]?.blocked).toBeUndefined();
  });

  test('the views list it blocked and unsigned', () => {
    expect(gatedDigests(blocked.state)).toEqual([
      expect.objectContaining({ base: 'node-22', digest: b, verdict: 'blocked', unsigned: true }),
    ]);
  });
});

describe('a blocked digest is never pinned', () => {
  test('a digest pushed after the pending update and blocked is not the pin, though it is the newest old enough', () => {
    // api waits 7 days from C (released Nov 1, passed); B (released Nov 2) is blocked. On Nov 9 both are old enough
    // and B is the newer: without the gate the rebuild would take B.
    const c = D('c');
    const b = D('b');
    const first = plan(initial, 'enforce', T(1), [update(c, 1)], { [c]: PASSED }, '7d');
    const second = plan(first.state, 'enforce', T(2), [update(b, 2)], { [b]: blockedBy(UNSIGNED(b)) }, '7d');
    const due = plan(second.state, 'enforce', T(9), [], { [c]: PASSED }, '7d');
    expect(due.sends).toHaveLength(1);
    expect(pinsSent(due)[0]).toContain(`@${c}`);
    expect(pinsSent(due)[0]).not.toContain(b);
  });

  test('a digest seen before a policy existed is verified before a rebuild is pinned to it (asked for, not assumed)', () => {
    const c = D('c');
    const unpoliced = plan(initial, null, T(1), [update(c, 1)], {}, '7d');
    const asked = plan(unpoliced.state, 'enforce', T(9), [], {}, '7d');
    expect(asked.gate.needed).toEqual([{ base: 'node-22', digest: c }]);
    expect(asked.sends).toEqual([]);
    // Blocked now, and nothing else usable: not sent (the CI would build on what the tag points to), with why.
    const refused = plan(unpoliced.state, 'enforce', T(9), [], { [c]: blockedBy(UNSIGNED(c)) }, '7d');
    expect(refused.sends).toEqual([]);
    expect(refused.skipped).toEqual([
      { image: 'api', reason: expect.stringContaining('no digest seen passes its signature policy') },
    ]);
    expect(record(refused.state)?.seen?.find((d) => d.digest === c)?.blocked).toContain('signed by nobody');
  });
});

describe('a pin whose verification could not be made holds the rebuild back', () => {
  test('not pinned to an older digest instead, not marked, listed as unverifiable', () => {
    // C passed when recorded under no policy; now a policy covers node and the registry cannot say: api waits.
    const c = D('c');
    const unpoliced = plan(initial, null, T(1), [update(c, 1)], {}, '7d');
    const down = plan(
      unpoliced.state,
      'enforce',
      T(9),
      [],
      { [c]: { status: 'unverifiable', reason: 'signature not verified: registry unavailable' } },
      '7d',
    );
    expect(down.sends).toEqual([]);
    expect(down.skipped).toEqual([]);
    expect(down.gate.held.map((h) => h.image)).toEqual(['api']);
    expect(down.gate.unverifiable).toEqual([
      { base: 'node-22', digest: c, reason: 'signature not verified: registry unavailable' },
    ]);
    expect(down.state).toEqual(unpoliced.state);
  });
});

describe('warn records and proceeds', () => {
  test('a digest failing a warn policy is decided on and pinned, with the warning recorded', () => {
    const b = D('b');
    const warned = plan(withCurrent, 'warn', T(2), [update(b, 2)], {
      [b]: verdictOf(UNSIGNED(b), { ...(enforce.baseImagePolicies?.[0]?.verify ?? fail()), mode: 'warn' }),
    });
    expect(warned.decisions.map((d) => d.action)).toEqual(['rebuild']);
    expect(pinsSent(warned)[0]).toContain(`@${b}`);
    expect(record(warned.state)?.seen?.find((d) => d.digest === b)?.warning).toContain('signed by nobody');
    expect(warned.gate.warnings.map((w) => w.digest)).toEqual([b]);
  });
});

describe('no policy: nothing verified, nothing changed; a verification not made fails closed', () => {
  test('without a policy the planner asks for no verdict and decides as before', () => {
    const b = D('b');
    const free = plan(withCurrent, null, T(2), [update(b, 2)]);
    expect(free.gate).toEqual({ blocked: [], warnings: [], unverifiable: [], needed: [], held: [] });
    expect(free.decisions.map((d) => d.action)).toEqual(['rebuild']);
    expect(record(free.state)?.seen?.some((d) => d.blocked !== undefined || d.warning !== undefined)).toBe(false);
  });

  test('with a policy and no verdict, the digest is asked for and nothing is recorded', () => {
    const b = D('b');
    const asked = plan(withCurrent, 'enforce', T(2), [update(b, 2)]);
    expect(asked.gate.needed).toEqual([{ base: 'node-22', digest: b }]);
    expect(asked.state).toEqual(withCurrent);
  });

  test('a verification that could not be made (registry down): the digest is not used and nothing is recorded', () => {
    const b = D('b');
    const down = plan(withCurrent, 'enforce', T(2), [update(b, 2, true)], {
      [b]: { status: 'unverifiable', reason: 'signature not verified: registry unavailable' },
    });
    expect(down.decisions).toEqual([]);
    expect(down.sends).toEqual([]);
    expect(down.state).toEqual(withCurrent);
    expect(down.gate.unverifiable).toEqual([
      { base: 'node-22', digest: b, reason: 'signature not verified: registry unavailable' },
    ]);
  });
});

describe('the reason kept in state is bounded', () => {
  test('many signers and a long reason are cut to MAX_GATE_REASON characters', () => {
    const digest = D('b');
    const many: Verification = {
      verified: false,
      reason: `no signature of ${digest} satisfies the policy (${'x'.repeat(2000)})`,
      signatures: Array.from({ length: 32 }, (_, i) => ({
        format: 'legacy' as const,
        kind: 'key' as const,
        issuer: null,
        subject: `sha256:${String(i).padStart(64, '0')}`,
        tlog: false,
        valid: false,
        problem: 'x',
      })),
    };
    const reason = gateReason(many, enforce.baseImagePolicies?.[0]?.verify ?? fail());
    expect(reason.length).toBeLessThanOrEqual(MAX_GATE_REASON);
  });
});

function fail(): never {
  throw new Error('the test enrolment has a policy');
}
