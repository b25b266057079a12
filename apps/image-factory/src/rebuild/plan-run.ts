/**
 * One rebuild run, planned as a pure function of the state on the GitOps head (DESIGN §10): record the base update's
 * wave (when there is one), requeue refusals whose trigger settings changed, make urgent what the recorded scans show
 * a newer base digest fixes (urgency.ts), claim what is due now and what was
 * claimed before but never answered within the claim timeout (the same key again), and mark what cannot be sent
 * from here. The result is the next state (what the claim commit holds) and the sends that commit entitles this run
 * to make: each with its request and key, computed once. Nothing here reads a clock, a registry, git or a forge.
 */
import type { Enrolment, ManagedImage } from '../enrolment/types.js';
import { FactoryError } from '../errors.js';
import type { StateSnapshot } from '../state/types.js';
import { buildContexts, type Pin, pinsFor } from './pins.js';
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
}

/** Managed images of images.yaml by name (looked up once per decision, several times per run). */
const managedByName = new WeakMap<Enrolment, ReadonlyMap<string, ManagedImage>>();
export function managedImage(enrolment: Enrolment, name: string): ManagedImage | undefined {
  let byName = managedByName.get(enrolment);
  if (byName === undefined) {
    byName = new Map(enrolment.images.flatMap((i) => (i.kind === 'managed' ? [[i.name, i] as const] : [])));
    managedByName.set(enrolment, byName);
  }
  return byName.get(name);
}

/** Plan the run on `input.state`; a cycle in the dependency graph is an error (nothing recorded, nothing sent). */
export function planRun(input: RunInput): RunPlan {
  const { enrolment, now } = input;
  let state = input.state;
  const decisions: WaveDecision[] = [];
  for (const { update, builds } of input.updates) {
    const recorded = recordBaseUpdate(state, enrolment, update, builds);
    if (recorded.status === 'cycle') {
      throw new FactoryError(
        'invalid-state',
        `cycle in the dependency graph: ${recorded.cycle.join(' → ')}; nothing recorded, nothing triggered`,
      );
    }
    if (recorded.status === 'recorded') {
      state = recorded.state;
      decisions.push(...recorded.decisions);
    }
  }
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
  const again: ClaimInFlight[] = [];
  for (const claim of timedOutClaims(state, now, input.claimTimeoutSeconds)) {
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

  const claimed = [];
  const pins = new Map<string, readonly Pin[]>();
  for (const rebuild of dueRebuilds(state, now)) {
    const key = triggerKey(rebuild);
    const image = state.images.get(rebuild.image);
    const delay = managedImage(enrolment, rebuild.image)?.rebuildDelaySeconds ?? enrolment.defaults.rebuildDelaySeconds;
    const imagePins =
      image === undefined ? [] : pinsFor(image, state.baseImages, delay, now, rebuild.urgent, rebuild.causes);
    const made = request(rebuild.image, key, imagePins);
    if (typeof made === 'string') {
      skipped.push({ image: rebuild.image, reason: made });
      continue;
    }
    claimed.push(rebuild);
    pins.set(rebuild.image, imagePins);
    sends.push({ image: rebuild.image, key, ...made, resend: null });
  }
  state = claimRebuilds(state, claimed, now, pins);
  state = markNotSent(state, skipped);
  return { state, decisions, sends, skipped, urgent: stored.urgent };
}
