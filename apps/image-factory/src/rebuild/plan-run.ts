/**
 * One rebuild run, planned as a pure function of the state on the GitOps head (DESIGN §10): record the base update's
 * wave (when there is one), requeue refusals whose trigger settings changed, make urgent what the recorded scans show
 * a newer base digest fixes (urgency.ts), claim what is due now and what was
 * claimed before but never answered within the claim timeout (the same key again), and mark what cannot be sent
 * from here. The result is the next state (what the claim commit holds) and the sends that commit entitles this run
 * to make: each with its request and key, computed once. Nothing here reads a clock, a registry, git or a forge.
 * The signature gate (gate.ts) takes its verdicts as data: a digest a policy covers with no verdict is listed in
 * `gate.needed`, and the job verifies those and plans again before it commits anything.
 */
import type { Enrolment, ManagedImage } from '../enrolment/types.js';
import { FactoryError } from '../errors.js';
import type { StateSnapshot } from '../state/types.js';
import { type BaseDigest, basePolicy, gateCheck, recordVerdicts, type Verdicts, verdictKey } from './gate.js';
import { buildContexts, gatedPinsFor, type Pin } from './pins.js';
import {
  type BuildFacts,
  type ClaimInFlight,
  claimRebuilds,
  dueRebuilds,
  markNotSent,
  reclaim,
  recordBaseUpdate,
  requeueRefused,
  timedOutClaims,
  triggerKey,
} from './record.js';
import type { TriggerRequest, TriggerTarget } from './triggers.js';
import { applyStoredUrgency, type UrgentBase } from './urgency.js';
import type { BaseUpdate, WaveDecision } from './wave.js';

/**
 * A request ready to send for one decision (with its base pins as BuildKit named-context lines, empty when none is
 * known), or why it cannot be sent from here.
 */
export type RequestFor = (
  image: ManagedImage,
  key: string,
  buildContexts: string,
) => { readonly request: TriggerRequest; readonly target: TriggerTarget } | string;

export interface RunInput {
  readonly state: StateSnapshot;
  readonly enrolment: Enrolment;
  /**
   * The base updates this run records, in order, each with the dependents' builds: the one a Stage reported, or the
   * ones a sweep found in the registry that no Stage reported (none: a sweep of what is due).
   */
  readonly updates: readonly { readonly update: BaseUpdate; readonly builds: ReadonlyMap<string, BuildFacts> }[];
  readonly now: string;
  readonly claimTimeoutSeconds: number;
  readonly requestFor: RequestFor;
  /**
   * The signature gate's verdicts the job made for this run (gate.ts), by base and digest. A digest of a base a
   * policy covers with no verdict here is asked for in `gate.needed` (the job verifies it and plans again).
   * Absent: none made.
   */
  readonly verdicts?: Verdicts;
}

/** What the signature gate did in a run (all empty when no policy covers a base involved). */
export interface GateOutcome {
  /** Digests that failed an enforced policy in this run: recorded `blocked`, nothing decided on them. */
  readonly blocked: readonly (BaseDigest & { readonly reason: string })[];
  /** Digests that failed a policy in mode warn: recorded with the warning, used. */
  readonly warnings: readonly (BaseDigest & { readonly reason: string })[];
  /** Digests whose verification could not be made: not used, nothing recorded (the run exits 3). */
  readonly unverifiable: readonly (BaseDigest & { readonly reason: string })[];
  /** Digests a policy covers that have no verdict yet: the job verifies them and plans again. */
  readonly needed: readonly BaseDigest[];
  /** Due rebuilds held back this run because a pin's verdict is missing or could not be made (left pending). */
  readonly held: readonly { readonly image: string; readonly reason: string }[];
}

/** One trigger this run may send once its claim commit is pushed. */
export interface PlannedSend {
  readonly image: string;
  readonly key: string;
  readonly request: TriggerRequest;
  readonly target: TriggerTarget;
  /** The input or variable that carries the key (images.yaml `source.triggerKeyInput`), when one is named. */
  readonly keyInput: string | null;
  /**
   * Set when this is a claim sent before whose answer was never recorded: when it was first claimed (look for a
   * run started with the key since then, before sending again) and how many times it has been claimed now.
   */
  readonly resend: { readonly claimedBefore: string; readonly sends: number } | null;
}

export interface RunPlan {
  /** The state the claim commit writes. */
  readonly state: StateSnapshot;
  readonly decisions: readonly WaveDecision[];
  readonly sends: readonly PlannedSend[];
  /** Due (or timed out), but not sendable from here: left pending (or claimed), with the reason. */
  readonly skipped: readonly { readonly image: string; readonly reason: string }[];
  /** Bases whose pending rebuilds the recorded scans made urgent in this run (the newest digest fixes a CRITICAL). */
  readonly urgent: readonly UrgentBase[];
  readonly gate: GateOutcome;
}

/** The reason of an unverifiable digest with no verdict saying why (never: see planRun). */
const NOT_VERIFIED = 'signature not verified';

/** Managed images of images.yaml by name (looked up once per decision, several times per run). */
const managedByName = new WeakMap<Enrolment, ReadonlyMap<string, ManagedImage>>();
export function managedImage(enrolment: Enrolment, name: string): ManagedImage | undefined {
  const byName =
    managedByName.get(enrolment) ??
    new Map(enrolment.images.filter((i): i is ManagedImage => i.kind === 'managed').map((i) => [i.name, i]));
  managedByName.set(enrolment, byName);
  return byName.get(name);
}

/** Plan the run on `input.state`; a cycle in the dependency graph is an error (nothing recorded, nothing sent). */
export function planRun(input: RunInput): RunPlan {
  const { enrolment, now } = input;
  let state = input.state;
  const decisions: WaveDecision[] = [];
  const verdicts = input.verdicts ?? new Map();
  const gate = {
    blocked: [] as (BaseDigest & { reason: string })[],
    warnings: [] as (BaseDigest & { reason: string })[],
    unverifiable: [] as (BaseDigest & { reason: string })[],
    needed: [] as BaseDigest[],
    held: [] as { image: string; reason: string }[],
  };
  for (const { update, builds } of input.updates) {
    const at = { base: update.base, digest: update.digest };
    const base = state.baseImages.get(update.base);
    const known = base?.rebuild?.current?.digest === update.digest || base?.rebuild?.latest?.digest === update.digest;
    // Only a digest not recorded yet, of a base a policy covers, is verified (a repeated run asks nothing).
    const gated = base !== undefined && !known && basePolicy(enrolment, base) !== null;
    const verdict = gated ? verdicts.get(verdictKey(update.base, update.digest)) : undefined;
    if (gated && verdict === undefined) {
      gate.needed.push(at);
      continue;
    }
    if (verdict?.status === 'unverifiable') {
      gate.unverifiable.push({ ...at, reason: verdict.reason });
      continue;
    }
    const recorded = recordBaseUpdate(state, enrolment, update, builds, verdict);
    if (recorded.status === 'cycle') {
      throw new FactoryError(
        'invalid-state',
        `cycle in the dependency graph: ${recorded.cycle.join(' → ')}; nothing recorded, nothing triggered`,
      );
    }
    if (verdict?.status === 'blocked') gate.blocked.push({ ...at, reason: verdict.reason });
    if (verdict?.status === 'warning') gate.warnings.push({ ...at, reason: verdict.reason });
    // 'unchanged' hands back the state it was given.
    state = recorded.state;
    if (recorded.status === 'recorded') decisions.push(...recorded.decisions);
  }
  // Verdicts made at pin time on digests seen before (a policy added since, a key rotated) are recorded too.
  state = recordVerdicts(state, verdicts);
  state = requeueRefused(state, enrolment, now);
  const stored = applyStoredUrgency(state, now);
  state = stored.state;

  const request = (name: string, key: string, pins: readonly Pin[]) => {
    const image = managedImage(enrolment, name);
    if (image === undefined) return `${name} is not a managed image in images.yaml`;
    const made = input.requestFor(image, key, buildContexts(pins, state.baseImages));
    return typeof made === 'string' ? made : { ...made, keyInput: image.source.triggerKeyInput ?? null };
  };
  const sends: PlannedSend[] = [];
  const skipped: { image: string; reason: string }[] = [];

  // Claims never answered: sent again with their key (after a look for a run already started with it).
  // Stryker disable next-line ArrayDeclaration: reclaim matches claims by key, and a string element has none
  const again: ClaimInFlight[] = [];
  for (const claim of timedOutClaims(state, now, input.claimTimeoutSeconds)) {
    // Stryker disable next-line ArrayDeclaration: buildContexts skips a pin whose base is not in state, as a string is not
    const made = request(claim.image, claim.key, claim.pins ?? []);
    if (typeof made === 'string') {
      skipped.push({ image: claim.image, reason: `claim ${claim.key} not sent again: ${made}` });
      continue;
    }
    again.push(claim);
    sends.push({
      image: claim.image,
      key: claim.key,
      ...made,
      resend: { claimedBefore: claim.claimedAt, sends: claim.sends + 1 },
    });
  }
  state = reclaim(state, again, now);

  // Stryker disable next-line ArrayDeclaration: claimRebuilds matches rebuilds by image name, and a string element has none
  const claimed = [];
  const pins = new Map<string, readonly Pin[]>();
  const delays = new Map<string, number>();
  const check = gateCheck(state, enrolment, verdicts);
  for (const rebuild of dueRebuilds(state, now)) {
    const key = triggerKey(rebuild);
    const image = state.images.get(rebuild.image);
    const delay = managedImage(enrolment, rebuild.image)?.rebuildDelaySeconds ?? enrolment.defaults.rebuildDelaySeconds;
    const gated =
      image === undefined
        ? { ok: true as const, pins: [] }
        : gatedPinsFor(image, state.baseImages, delay, now, rebuild.urgent, rebuild.causes, check);
    if (!gated.ok) {
      gate.needed.push(...gated.needed);
      for (const u of gated.unverifiable) {
        const verdict = verdicts.get(verdictKey(u.base, u.digest));
        // gatedPinsFor lists a digest as unverifiable only when gateCheck found it an unverifiable verdict here, so the
        // fallback is never taken (it keeps the type honest).
        // Stryker disable next-line ConditionalExpression,OptionalChaining: the verdict is there and unverifiable (above)
        const reason = verdict?.status === 'unverifiable' ? verdict.reason : NOT_VERIFIED;
        if (!gate.unverifiable.some((g) => g.base === u.base && g.digest === u.digest))
          gate.unverifiable.push({ ...u, reason });
      }
      // A verdict missing or not made holds it back this run, recording nothing; no usable digest is a settled
      // reason, shown like any rebuild that cannot be sent.
      if (gated.needed.length > 0 || gated.unverifiable.length > 0)
        gate.held.push({ image: rebuild.image, reason: gated.reason });
      else skipped.push({ image: rebuild.image, reason: gated.reason });
      continue;
    }
    const imagePins = gated.pins;
    const made = request(rebuild.image, key, imagePins);
    if (typeof made === 'string') {
      skipped.push({ image: rebuild.image, reason: made });
      continue;
    }
    claimed.push(rebuild);
    pins.set(rebuild.image, imagePins);
    delays.set(rebuild.image, delay);
    sends.push({ image: rebuild.image, key, ...made, resend: null });
  }
  state = claimRebuilds(state, claimed, now, pins, delays);
  state = markNotSent(state, skipped);
  return { state, decisions, sends, skipped, urgent: stored.urgent, gate };
}
