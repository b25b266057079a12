/**
 * The signature gate (issue 22 item 3, DESIGN §12), pure: a base digest that fails an enforced `verify` policy is
 * never the digest a rebuild is decided on or pinned to. The verdicts are data: the rebuild job verifies each digest
 * the planner asks about (`verifyImageSignatures`, only for bases a policy covers) and hands the verdicts in; the
 * planner records `blocked` (enforce) or `warning` (warn) on the digest's `rebuild.seen[]` entry. A digest whose
 * verification could not be made (the registry down) is `unverifiable`: not used, nothing recorded (fail closed).
 * Urgency does not bypass the gate. No policy covers a base: its digests are not verified, nothing changes.
 */
import type { Enrolment } from '../enrolment/types.js';
import { policyFor, type Verification, type VerifyPolicy } from '../signatures/index.js';
import { MAX_GATE_REASON } from '../state/schema.js';
import type { BaseImageState, SeenDigest, StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';

/** The gate's verdict on one digest of one base. */
export type DigestVerdict =
  | { readonly status: 'passed' }
  /** Failed an enforced policy: never decided on or pinned; recorded as `blocked`. */
  | { readonly status: 'blocked'; readonly reason: string }
  /** Failed a policy in mode warn: used, and recorded as `warning`. */
  | { readonly status: 'warning'; readonly reason: string }
  /** The verification could not be made (registry down): not used, nothing recorded, the run exits 3. */
  | { readonly status: 'unverifiable'; readonly reason: string };

/** Verdicts by base state name and digest (`verdictKey`): what the job verified for this run. */
export type Verdicts = ReadonlyMap<string, DigestVerdict>;

/** A digest of a base. */
export interface BaseDigest {
  readonly base: string;
  readonly digest: string;
}

/** The key of a verdict in `Verdicts`. */
export const verdictKey = (base: string, digest: string): string => `${base}@${digest}`;

/** The policy that covers a base image's repository, or null (its digests are not verified). */
export function basePolicy(
  enrolment: Enrolment,
  base: Pick<BaseImageState, 'registry' | 'repository'>,
): VerifyPolicy | null {
  return policyFor(enrolment, base.registry, base.repository);
}

/** A reason cut to what state keeps. */
function bounded(text: string): string {
  return text.length <= MAX_GATE_REASON ? text : `${text.slice(0, MAX_GATE_REASON - 1)}…`;
}

/** Who signed a digest with no signature at all (how an unsigned digest's reason says so). */
const NOBODY = 'nobody (no cosign signature found)';

/** Who signed, as the signatures say (a key by its fingerprint; a signature by an untrusted key is "an unknown key"). */
function signers(verification: Verification): string {
  if (verification.signatures.length === 0) return NOBODY;
  const named = verification.signatures.map((s) => {
    if (s.kind === 'keyless') {
      const who = s.subject === null ? 'an unverified identity' : `${s.subject}`;
      return `keyless ${who}${s.issuer === null ? '' : ` (issuer ${s.issuer})`}`;
    }
    return s.subject === null ? 'an unknown key' : `key ${s.subject}`;
  });
  const distinct = [...new Set(named)];
  const shown = distinct.slice(0, 3).join(', ');
  return distinct.length > 3 ? `${shown} and ${distinct.length - 3} more` : shown;
}

/** What a policy wants, in words (keys named by file, or "an inline key"; identities by issuer and subject). */
export function policyWants(policy: VerifyPolicy): string {
  const who = [
    ...policy.keys.map((k) => ('file' in k ? `the key in ${k.file}` : 'an inline key')),
    ...policy.identities.map(
      (i) => `${'subject' in i ? i.subject : `a subject matching ^(?:${i.subjectRegExp})$`} (issuer ${i.issuer})`,
    ),
  ];
  return `a signature by ${who.join(' or ')}${policy.requireTransparencyLog ? ' with a transparency-log entry' : ''}`;
}

/** Why a digest fails its policy: the verification's reason, who signed it, and what the policy wanted. */
export function gateReason(verification: Verification, policy: VerifyPolicy): string {
  const why = verification.reason ?? 'not verified';
  return bounded(`${why}; signed by ${signers(verification)}; the policy wants ${policyWants(policy)}`);
}

/** The gate's verdict on a verification under the policy it was made with. */
export function verdictOf(verification: Verification, policy: VerifyPolicy): DigestVerdict {
  if (verification.verified) return { status: 'passed' };
  const reason = gateReason(verification, policy);
  return policy.mode === 'enforce' ? { status: 'blocked', reason } : { status: 'warning', reason };
}

/** A verification that could not be made, as a verdict (fails closed). */
export function unverifiable(reason: string): DigestVerdict {
  return { status: 'unverifiable', reason: bounded(`signature not verified: ${reason}`) };
}

/** How the gate sees a digest of a base right now. */
export type GateCheck = 'usable' | 'blocked' | 'unverifiable' | 'unknown';

/**
 * The gate for one run: a digest is usable when no policy covers its base, or its verdict in this run passed (or
 * only warned); blocked when its verdict (or, without one, its `seen` entry) says so; unverifiable when its
 * verification failed; unknown when a policy covers it and no verdict was made yet (the job verifies it and plans
 * again).
 */
export function gateCheck(
  state: StateSnapshot,
  enrolment: Enrolment,
  verdicts: Verdicts,
): (base: string, digest: string) => GateCheck {
  const gated = new Map<string, boolean>();
  return (baseName, digest) => {
    const base = state.baseImages.get(baseName);
    const seen = base?.rebuild?.seen?.find((d) => d.digest === digest);
    const covered = gated.get(baseName) ?? (base !== undefined && basePolicy(enrolment, base) !== null);
    gated.set(baseName, covered);
    const verdict = verdicts.get(verdictKey(baseName, digest));
    if (verdict !== undefined)
      return verdict.status === 'passed' || verdict.status === 'warning' ? 'usable' : verdict.status;
    if (seen?.blocked !== undefined) return 'blocked';
    return covered ? 'unknown' : 'usable';
  };
}

/** A seen entry with a verdict's mark (blocked or warning; passed clears both). */
export function markedSeen(seen: SeenDigest, verdict: DigestVerdict | undefined): SeenDigest {
  if (verdict === undefined || verdict.status === 'unverifiable') return seen;
  const { blocked: _blocked, warning: _warning, ...rest } = seen;
  if (verdict.status === 'blocked') return { ...rest, blocked: bounded(verdict.reason) };
  if (verdict.status === 'warning') return { ...rest, warning: bounded(verdict.reason) };
  return rest;
}

/**
 * Record this run's verdicts on the digests already seen (a digest verified again when a rebuild would be pinned to
 * it: a policy added later, a key rotated): blocked and warning marks set, a pass clears them. Unchanged state when
 * no mark changes.
 */
export function recordVerdicts(state: StateSnapshot, verdicts: Verdicts): StateSnapshot {
  let baseImages: Map<string, BaseImageState> | undefined;
  for (const base of state.baseImages.values()) {
    const record = base.rebuild;
    if (record?.seen === undefined) continue;
    let changed = false;
    const seen = record.seen.map((before) => {
      const after = markedSeen(before, verdicts.get(verdictKey(base.name, before.digest)));
      if (after.blocked !== before.blocked || after.warning !== before.warning) changed = true;
      return after;
    });
    if (!changed) continue;
    baseImages ??= new Map(state.baseImages);
    baseImages.set(base.name, { ...base, rebuild: { ...record, seen } });
  }
  return baseImages === undefined ? state : { images: state.images, baseImages };
}

/** A digest the gate blocked or warned about, as the views show it. */
export interface GatedDigest {
  readonly base: string;
  readonly reference: string;
  readonly digest: string;
  readonly verdict: 'blocked' | 'warning';
  readonly reason: string;
  /** No signature at all was found (else: signed, but not as the policy wants). */
  readonly unsigned: boolean;
  /** When the factory first saw the digest. */
  readonly seen: string;
}

/** Every recorded blocked or warned-about digest, by base then digest: one rule for status, report and metrics. */
export function gatedDigests(state: StateSnapshot): GatedDigest[] {
  const out: GatedDigest[] = [];
  for (const base of state.baseImages.values()) {
    const seen = base.rebuild?.seen;
    if (seen === undefined) continue;
    for (const d of seen) {
      const reason = d.blocked ?? d.warning;
      if (reason === undefined) continue;
      out.push({
        base: base.name,
        reference: base.reference,
        digest: d.digest,
        verdict: d.blocked !== undefined ? 'blocked' : 'warning',
        reason,
        unsigned: reason.includes(`; signed by ${NOBODY};`),
        seen: d.seen,
      });
    }
  }
  return out.sort((a, b) => compareCodeUnits(a.base, b.base) || compareCodeUnits(a.digest, b.digest));
}
