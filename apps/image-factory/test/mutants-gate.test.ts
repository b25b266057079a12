/**
 * The signature gate's pure rules (src/rebuild/gate.ts) as docs/rebuilds.md ("Signatures (the gate)") and DESIGN §12
 * state them: a digest failing an enforced policy is recorded `blocked: <reason>` — who signed it (a trusted key by
 * fingerprint, "an unknown key", or nobody) and what the policy wanted — under `warn` it is recorded with a `warning`
 * and used, a verification that could not be made records nothing, reasons are at most 600 characters, and the views
 * list the blocked and warned-about digests (`unsigned` when nobody signed). Pins what the mutation run found
 * unpinned (docs/mutation.md). Every value is built inside its test, so the mutation run sees each rule per test.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import {
  type DigestVerdict,
  gateCheck,
  gatedDigests,
  gateReason,
  markedSeen,
  policyWants,
  recordVerdicts,
  unverifiable,
  verdictKey,
  verdictOf,
} from '../src/rebuild/gate.js';
import type { SignatureVerdict, Verification, VerifyPolicy } from '../src/signatures/index.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { MAX_GATE_REASON } from '../src/state/schema.js';
import { type BaseImageState, EMPTY_STATE, type SeenDigest, type StateSnapshot } from '../src/state/types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const T = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00Z`;
const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/base/.github/workflows/release.yaml@refs/heads/main';
const NOBODY = 'nobody (no cosign signature found)';

const KEY_POLICY: VerifyPolicy = {
  mode: 'enforce',
  keys: [{ file: 'keys/cosign.pub' }],
  identities: [],
  requireTransparencyLog: false,
};

const key = (subject: string | null): SignatureVerdict => ({
  format: 'legacy',
  kind: 'key',
  issuer: null,
  subject,
  tlog: false,
  valid: false,
  problem: 'not signed by any key the policy trusts (or the signature is corrupt)',
});
const keyless = (subject: string | null, issuer: string | null): SignatureVerdict => ({
  format: 'bundle',
  kind: 'keyless',
  issuer,
  subject,
  tlog: true,
  valid: false,
  problem: 'the identity is not one the policy names',
});
const failed = (
  signatures: readonly SignatureVerdict[],
  reason: string | null = 'not verified here',
): Verification => ({
  verified: false,
  reason,
  signatures,
});
/** The "signed by" part of a gate reason. */
const signedBy = (verification: Verification) =>
  /; signed by (.*); the policy wants /.exec(gateReason(verification, KEY_POLICY))?.[1];

describe('a gate reason says why, who signed the digest, and what the policy wants', () => {
  const fp = (c: string) => `sha256:${c.repeat(64)}`;
  test.each<[string, readonly SignatureVerdict[], string]>([
    ['no signature at all: nobody', [], NOBODY],
    ['a key by its fingerprint', [key(fp('1'))], `key ${fp('1')}`],
    ['a key nobody trusts, fingerprint unknown', [key(null)], 'an unknown key'],
    ['a keyless identity with its issuer', [keyless(WORKFLOW, ISSUER)], `keyless ${WORKFLOW} (issuer ${ISSUER})`],
    ['a keyless certificate whose identity was not verified', [keyless(null, null)], 'keyless an unverified identity'],
    ['the same signer twice, once', [key(fp('1')), key(fp('1'))], `key ${fp('1')}`],
    [
      'three signers, all named',
      [key(fp('1')), key(fp('2')), key(fp('3'))],
      `key ${fp('1')}, key ${fp('2')}, key ${fp('3')}`,
    ],
    [
      'four signers: three named and one more',
      [key(fp('1')), key(fp('2')), key(fp('3')), key(fp('4'))],
      `key ${fp('1')}, key ${fp('2')}, key ${fp('3')} and 1 more`,
    ],
    [
      'six signatures of five signers: three named and two more',
      [key(fp('1')), key(fp('2')), key(fp('2')), key(fp('3')), key(null), keyless(WORKFLOW, ISSUER)],
      `key ${fp('1')}, key ${fp('2')}, key ${fp('3')} and 2 more`,
    ],
  ])('%s', (_, signatures, who) => {
    expect(signedBy(failed(signatures))).toBe(who);
  });

  test('the whole reason: the verification’s reason, then who signed, then what the policy wants', () => {
    expect(gateReason(failed([key(fp('1'))], 'no signature satisfies the policy'), KEY_POLICY)).toBe(
      `no signature satisfies the policy; signed by key ${fp('1')}; the policy wants a signature by the key in keys/cosign.pub`,
    );
    expect(gateReason(failed([], null), KEY_POLICY)).toBe(
      `not verified; signed by ${NOBODY}; the policy wants a signature by the key in keys/cosign.pub`,
    );
  });

  test.each<[string, Partial<VerifyPolicy>, string]>([
    ['a key file', { keys: [{ file: 'keys/cosign.pub' }] }, 'a signature by the key in keys/cosign.pub'],
    ['an inline key', { keys: [{ pem: '-----BEGIN PUBLIC KEY-----' }] }, 'a signature by an inline key'],
    [
      'an identity by subject',
      { identities: [{ issuer: ISSUER, subject: WORKFLOW }] },
      `a signature by ${WORKFLOW} (issuer ${ISSUER})`,
    ],
    [
      'an identity by subjectRegExp (anchored, as it is matched)',
      { identities: [{ issuer: ISSUER, subjectRegExp: 'https://github\\.com/acme/.*' }] },
      `a signature by a subject matching ^(?:https://github\\.com/acme/.*)$ (issuer ${ISSUER})`,
    ],
    [
      'any of several, with the log entry required',
      {
        keys: [{ file: 'a.pub' }, { pem: 'x' }],
        identities: [{ issuer: ISSUER, subject: WORKFLOW }],
        requireTransparencyLog: true,
      },
      `a signature by the key in a.pub or an inline key or ${WORKFLOW} (issuer ${ISSUER}) with a transparency-log entry`,
    ],
  ])('what the policy wants: %s', (_, policy, wants) => {
    expect(policyWants({ mode: 'enforce', keys: [], identities: [], requireTransparencyLog: false, ...policy })).toBe(
      wants,
    );
  });
});

describe('the verdict on a verification', () => {
  test.each<[string, Verification, VerifyPolicy['mode'], DigestVerdict['status']]>([
    ['verified under enforce', { verified: true, reason: null, signatures: [key(D('1'))] }, 'enforce', 'passed'],
    ['verified under warn', { verified: true, reason: null, signatures: [key(D('1'))] }, 'warn', 'passed'],
    ['not verified under enforce', failed([]), 'enforce', 'blocked'],
    ['not verified under warn', failed([]), 'warn', 'warning'],
  ])('%s: %s', (_, verification, mode, status) => {
    const policy = { ...KEY_POLICY, mode };
    const verdict = verdictOf(verification, policy);
    expect(verdict.status).toBe(status);
    expect('reason' in verdict ? verdict.reason : null).toBe(
      status === 'passed' ? null : gateReason(verification, policy),
    );
  });

  test('a verification that could not be made is unverifiable, with why', () => {
    expect(unverifiable('registry unavailable')).toEqual({
      status: 'unverifiable',
      reason: 'signature not verified: registry unavailable',
    });
  });
});

describe('a reason is kept at most 600 characters (MAX_GATE_REASON), a cut one marked', () => {
  const tail = `; signed by ${NOBODY}; the policy wants a signature by the key in keys/cosign.pub`;
  test('exactly the limit: kept whole', () => {
    const why = 'w'.repeat(MAX_GATE_REASON - tail.length);
    expect(gateReason(failed([], why), KEY_POLICY)).toBe(`${why}${tail}`);
  });

  test('one over: cut to the limit, ending in an ellipsis', () => {
    const why = 'w'.repeat(MAX_GATE_REASON - tail.length + 1);
    const reason = gateReason(failed([], why), KEY_POLICY);
    expect(reason).toHaveLength(MAX_GATE_REASON);
    expect(reason).toBe(`${`${why}${tail}`.slice(0, MAX_GATE_REASON - 1)}…`);
  });

  test('an unverifiable reason too', () => {
    const reason = unverifiable('x'.repeat(2 * MAX_GATE_REASON));
    expect(reason.status).toBe('unverifiable');
    expect('reason' in reason && reason.reason.length).toBe(MAX_GATE_REASON);
  });
});

// --- state -------------------------------------------------------------------------------------------------------

const IMAGES = `images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    rebuildDelay: "0"\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n      workflow: build.yaml\n`;
/** node is covered by an enforced key policy, nginx by none. */
const POLICED = `${IMAGES}baseImagePolicies:\n  - match: docker.io/library/node\n    verify:\n      keys:\n        - file: keys/cosign.pub\n      requireTransparencyLog: false\n`;

const seenAt = (digest: string, day: number, mark: { blocked?: string; warning?: string } = {}): SeenDigest => ({
  digest,
  released: T(day),
  seen: T(day),
  ...mark,
});

/** The state of api (FROM node:22 and nginx:1.27) with the given `seen` lists (undefined: no rebuild record). */
function stateWith(
  seen: { node?: readonly SeenDigest[]; nginx?: readonly SeenDigest[] },
  order = ['node-22', 'nginx-1-27'],
) {
  const analysed = planStateUpdate(EMPTY_STATE, loadEnrolment(IMAGES, 'images.yaml'), [
    {
      image: 'api',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM node:22\nFROM nginx:1.27\n', 'Dockerfile', {}),
      build: { tag: '1', digest: D('f') },
    },
  ]);
  const withSeen = (name: string, list: readonly SeenDigest[] | undefined): [string, BaseImageState] => {
    const base = analysed.baseImages.get(name);
    if (base === undefined) throw new Error(`the analysis records ${name}`);
    return [name, list === undefined ? base : { ...base, rebuild: { seen: list, pending: [], history: [] } }];
  };
  const lists: Record<string, readonly SeenDigest[] | undefined> = { 'node-22': seen.node, 'nginx-1-27': seen.nginx };
  const state: StateSnapshot = {
    images: analysed.images,
    baseImages: new Map(order.map((name) => withSeen(name, lists[name]))),
  };
  return state;
}
const verdicts = (entries: Record<string, DigestVerdict>, base = 'node-22') =>
  new Map(Object.entries(entries).map(([digest, v]) => [verdictKey(base, digest), v]));
const nodeSeen = (state: StateSnapshot) => state.baseImages.get('node-22')?.rebuild?.seen;

const BLOCKED: DigestVerdict = {
  status: 'blocked',
  reason: `x is not signed; signed by ${NOBODY}; the policy wants y`,
};
const WARNING: DigestVerdict = { status: 'warning', reason: 'signed by an unknown key' };
const PASSED: DigestVerdict = { status: 'passed' };
const DOWN: DigestVerdict = { status: 'unverifiable', reason: 'signature not verified: registry unavailable' };

describe('how the gate sees a digest in a run', () => {
  test('no policy covers the base (or the base is not in state): usable, nothing asked', () => {
    const check = gateCheck(stateWith({}), loadEnrolment(POLICED, 'images.yaml'), new Map());
    expect(check('nginx-1-27', D('a'))).toBe('usable');
    expect(check('redis-7', D('a'))).toBe('usable');
  });

  test('covered, no verdict this run: blocked when its seen entry says so, else unknown (asked for)', () => {
    const enrolment = loadEnrolment(POLICED, 'images.yaml');
    const state = stateWith({ node: [seenAt(D('b'), 2, { blocked: BLOCKED.reason }), seenAt(D('c'), 3)] });
    const check = gateCheck(state, enrolment, new Map());
    expect([D('b'), D('c'), D('d')].map((d) => check('node-22', d))).toEqual(['blocked', 'unknown', 'unknown']);
    const reversed = stateWith({ node: [seenAt(D('c'), 3), seenAt(D('b'), 2, { blocked: BLOCKED.reason })] });
    expect([D('b'), D('c')].map((d) => gateCheck(reversed, enrolment, new Map())('node-22', d))).toEqual([
      'blocked',
      'unknown',
    ]);
  });

  test('covered, with no digest recorded yet (no rebuild record, or none seen): unknown', () => {
    const enrolment = loadEnrolment(POLICED, 'images.yaml');
    expect(gateCheck(stateWith({}), enrolment, new Map())('node-22', D('a'))).toBe('unknown');
    const noSeen = stateWith({});
    const node = noSeen.baseImages.get('node-22');
    if (node === undefined) throw new Error('node-22 is in state');
    const bare: StateSnapshot = {
      images: noSeen.images,
      baseImages: new Map([['node-22', { ...node, rebuild: { pending: [], history: [] } }]]),
    };
    expect(gateCheck(bare, enrolment, new Map())('node-22', D('a'))).toBe('unknown');
  });

  test('this run’s verdict decides: passed or warned is usable (a blocked mark signed since), blocked, unverifiable', () => {
    const enrolment = loadEnrolment(POLICED, 'images.yaml');
    const state = stateWith({ node: [seenAt(D('b'), 2, { blocked: BLOCKED.reason }), seenAt(D('c'), 3)] });
    const made = verdicts({ [D('b')]: PASSED, [D('c')]: WARNING, [D('d')]: BLOCKED, [D('e')]: DOWN });
    const check = gateCheck(state, enrolment, made);
    expect([D('b'), D('c'), D('d'), D('e')].map((d) => check('node-22', d))).toEqual([
      'usable',
      'usable',
      'blocked',
      'unverifiable',
    ]);
  });
});

describe('a verdict marks a seen digest', () => {
  const b = D('b');
  test.each<[string, SeenDigest, DigestVerdict | undefined, { blocked?: string; warning?: string }]>([
    ['no verdict: unchanged', seenAt(b, 2, { blocked: 'old' }), undefined, { blocked: 'old' }],
    ['not verifiable: nothing recorded, the mark kept', seenAt(b, 2, { blocked: 'old' }), DOWN, { blocked: 'old' }],
    ['passed: the marks cleared', seenAt(b, 2, { blocked: 'old', warning: 'older' }), PASSED, {}],
    ['blocked: blocked, the warning gone', seenAt(b, 2, { warning: 'older' }), BLOCKED, { blocked: BLOCKED.reason }],
    ['warning: the warning set', seenAt(b, 2), WARNING, { warning: WARNING.reason }],
  ])('%s', (_, seen, verdict, marks) => {
    expect(markedSeen(seen, verdict)).toEqual({ ...seenAt(b, 2), ...marks });
  });
});

describe('a run records its verdicts on the digests already seen', () => {
  test('no verdict, or only verdicts on digests not seen, or one that marks nothing new: the same state', () => {
    const state = stateWith({ node: [seenAt(D('a'), 1), seenAt(D('b'), 2, { blocked: BLOCKED.reason })] });
    expect(recordVerdicts(state, new Map())).toBe(state);
    expect(recordVerdicts(state, verdicts({ [D('c')]: BLOCKED, [D('d')]: WARNING }))).toBe(state);
    expect(recordVerdicts(state, verdicts({ [D('b')]: BLOCKED, [D('a')]: PASSED }))).toBe(state);
    expect(recordVerdicts(state, verdicts({ [D('b')]: DOWN }))).toBe(state);
  });

  test('one of several digests blocked: only it is marked, the other base untouched', () => {
    const state = stateWith({ node: [seenAt(D('a'), 1), seenAt(D('b'), 2)], nginx: [seenAt(D('e'), 1)] });
    const next = recordVerdicts(state, verdicts({ [D('b')]: BLOCKED }));
    expect(nodeSeen(next)).toEqual([seenAt(D('a'), 1), seenAt(D('b'), 2, { blocked: BLOCKED.reason })]);
    expect(next.baseImages.get('nginx-1-27')).toBe(state.baseImages.get('nginx-1-27'));
    expect(nodeSeen(state)).toEqual([seenAt(D('a'), 1), seenAt(D('b'), 2)]);
  });

  test('a warning only (nothing blocked) is recorded', () => {
    const state = stateWith({ node: [seenAt(D('a'), 1)] });
    expect(nodeSeen(recordVerdicts(state, verdicts({ [D('a')]: WARNING })))).toEqual([
      seenAt(D('a'), 1, { warning: WARNING.reason }),
    ]);
  });

  test('a pass clears a blocked mark (signed since)', () => {
    const state = stateWith({ node: [seenAt(D('a'), 1, { blocked: BLOCKED.reason })] });
    expect(nodeSeen(recordVerdicts(state, verdicts({ [D('a')]: PASSED })))).toEqual([seenAt(D('a'), 1)]);
  });
});

describe('the views list every blocked or warned-about digest, by base then digest', () => {
  test('blocked and warnings with their reasons; unsigned only when nobody signed; plain digests left out', () => {
    const unsignedWhy = gateReason(failed([], `${D('c')} is not signed`), KEY_POLICY);
    const wrongKeyWhy = gateReason(failed([key(D('5'))]), KEY_POLICY);
    const state = stateWith(
      {
        node: [
          seenAt(D('c'), 3, { blocked: unsignedWhy }),
          seenAt(D('b'), 2, { warning: wrongKeyWhy }),
          seenAt(D('a'), 1),
        ],
        nginx: [seenAt(D('e'), 5, { blocked: wrongKeyWhy })],
      },
      ['node-22', 'nginx-1-27'],
    );
    const row = (base: string, digest: string, verdict: string, reason: string, unsigned: boolean, seen: string) => ({
      base,
      reference: `docker.io/library/${base.startsWith('node') ? 'node:22' : 'nginx:1.27'}`,
      digest,
      verdict,
      reason,
      unsigned,
      seen,
    });
    expect(gatedDigests(state)).toEqual([
      row('nginx-1-27', D('e'), 'blocked', wrongKeyWhy, false, T(5)),
      row('node-22', D('b'), 'warning', wrongKeyWhy, false, T(2)),
      row('node-22', D('c'), 'blocked', unsignedWhy, true, T(3)),
    ]);
  });

  test('a warning on an unsigned digest is unsigned too; a base with nothing recorded lists nothing', () => {
    const unsignedWhy = gateReason(failed([]), KEY_POLICY);
    const state = stateWith({ node: [seenAt(D('a'), 1, { warning: unsignedWhy })] });
    expect(gatedDigests(state).map((g) => [g.digest, g.verdict, g.reason, g.unsigned])).toEqual([
      [D('a'), 'warning', unsignedWhy, true],
    ]);
    expect(gatedDigests(stateWith({}))).toEqual([]);
  });
});
