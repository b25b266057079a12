/**
 * The rebuild decisions in state, as pure transitions (DESIGN §6, §10): record a base-image update (the wave's
 * decisions go into the base image's file: pending rebuilds, and history for the fresh and record-only ones), list
 * the rebuilds due at a time, claim them (the claim is what a job commits, and wins the push race with, before it
 * calls a CI), and record what the CI answered. Each takes a snapshot and returns the next; nothing here reads a
 * clock, a registry or git.
 */
import { createHash } from 'node:crypto';
import type { Enrolment, ManagedImage } from '../enrolment/types.js';
import { FactoryError } from '../errors.js';
import {
  type ClaimInFlight,
  claimsInFlight,
  claimsOf,
  laterOrNull,
  mergedPendingByImage,
  uniqueCauses,
} from '../state/freshness.js';
import { MAX_REBUILD_HISTORY, MAX_SEEN_DIGESTS } from '../state/schema.js';
import type {
  BaseImageState,
  PendingRebuildState,
  RebuildClaim,
  RebuildHistoryEntry,
  RebuildRecord,
  StateSnapshot,
} from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { addSeconds, CLOCK_SKEW_SECONDS, compareInstants, earlierOf } from '../util/time.js';
import { type DigestVerdict, markedSeen } from './gate.js';
import { type Pin, seenDigests } from './pins.js';
import {
  ANCESTOR_WAIT_SECONDS,
  type BaseUpdate,
  decideWave,
  type PendingRebuild,
  type WaveDecision,
  type WaveGraph,
  type WaveImage,
} from './wave.js';

export { type ClaimInFlight, claimsInFlight } from '../state/freshness.js';

/** A dependent's current build as the registry describes it (for the fresh-already rule). */
export interface BuildFacts {
  readonly created: string | null;
  readonly baseDigests: readonly string[];
}

const EMPTY_RECORD: RebuildRecord = { pending: [], history: [] };

/** The wave's view of the state: managed images with their policy, bases and current build. */
export function waveGraphOf(
  state: StateSnapshot,
  enrolment: Enrolment,
  builds: ReadonlyMap<string, BuildFacts>,
): WaveGraph {
  const policy = new Map(enrolment.images.map((i) => [i.name, i]));
  const images = new Map<string, WaveImage>();
  for (const image of state.images.values()) {
    if (image.kind !== 'managed') continue;
    const enrolled = policy.get(image.name);
    images.set(image.name, {
      name: image.name,
      rebuildDelaySeconds: enrolled?.rebuildDelaySeconds ?? enrolment.defaults.rebuildDelaySeconds,
      autoRebuild: enrolled?.autoRebuild ?? enrolment.defaults.autoRebuild,
      bases: [...new Set(image.baseImages.map((b) => b.name))].sort(compareCodeUnits),
      build: builds.get(image.name) ?? null,
    });
  }
  const managedBase = new Map<string, string>();
  for (const base of state.baseImages.values()) {
    if (base.managedImage !== undefined) managedBase.set(base.name, base.managedImage);
  }
  return { images, managedBase };
}

/** Every pending rebuild of each image, from all base files, merged into one (one rebuild per image). */
export function pendingByImage(state: StateSnapshot): Map<string, PendingRebuild> {
  return new Map(
    [...mergedPendingByImage(state)].map(([image, { notSent: _notSent, ...pending }]) => [image, pending]),
  );
}

/**
 * A base's rebuild record with its claims kept apart from the bounded history. Files written before claims had a
 * list of their own hold them as `claimed` history entries (the old answer replaced the entry in place, so one still
 * `claimed` was never answered): they become claims here, claimed at their `at`, so a job killed before this
 * version's time is healed too.
 */
export function rebuildRecordOf(base: BaseImageState): RebuildRecord & { readonly claims: readonly RebuildClaim[] } {
  const record = base.rebuild ?? EMPTY_RECORD;
  // Stryker disable next-line ConditionalExpression: filtering a history without claimed entries gives an equal list (only the array's identity, which no caller compares, differs)
  const legacy = record.history.some((h) => h.result === 'claimed');
  return {
    ...record,
    claims: claimsOf(base),
    history: legacy ? record.history.filter((h) => h.result !== 'claimed') : record.history,
  };
}

const sortClaims = (claims: readonly RebuildClaim[]) =>
  [...claims].sort((a, b) => compareCodeUnits(a.image, b.image) || compareCodeUnits(a.key, b.key));
const sortPending = (pending: readonly PendingRebuildState[]) =>
  [...pending].sort((a, b) => compareCodeUnits(a.image, b.image));

function withRecord(state: StateSnapshot, base: BaseImageState, record: RebuildRecord): StateSnapshot {
  return withRecords(state, new Map([[base, record]]));
}

/** `state` with the rebuild records of these base images replaced, in one copy of the map; none: `state` itself. */
function withRecords(state: StateSnapshot, records: ReadonlyMap<BaseImageState, RebuildRecord>): StateSnapshot {
  if (records.size === 0) return state;
  const baseImages = new Map(state.baseImages);
  for (const [base, record] of records) {
    const { claims, ...rest } = record;
    // An empty claim list is not written: files without claims read as before.
    const written: RebuildRecord = claims === undefined || claims.length === 0 ? rest : { ...rest, claims };
    baseImages.set(base.name, { ...base, rebuild: written });
  }
  return { images: state.images, baseImages };
}

const bounded = (history: readonly RebuildHistoryEntry[]) => history.slice(-MAX_REBUILD_HISTORY);

export type UpdateResult =
  | { readonly status: 'unchanged'; readonly state: StateSnapshot }
  | { readonly status: 'recorded'; readonly state: StateSnapshot; readonly decisions: readonly WaveDecision[] }
  /** The digest failed an enforced signature policy: recorded as seen and blocked, nothing decided on it. */
  | { readonly status: 'blocked'; readonly state: StateSnapshot; readonly reason: string }
  | { readonly status: 'cycle'; readonly cycle: readonly string[] };

/**
 * A release time as the rules may use it: one later than `now` (plus a little clock skew) is not a release time any
 * registry can honestly report (`created: 9999-12-31`): it is unknown, and the time the digest was first seen counts.
 */
export function credibleRelease(released: string | null, now: string): { released: string | null; doubt?: string } {
  // Stryker disable next-line ConditionalExpression: for the type; compareInstants of null is NaN, never later, so null would come back as is
  if (released === null) return { released };
  if (compareInstants(released, addSeconds(now, CLOCK_SKEW_SECONDS)) > 0) {
    return { released: null, doubt: `release time ${released} is later than now (${now}): counted as unknown` };
  }
  return { released };
}

/**
 * Record that base `update.base` now points to `update.digest`. The first digest recorded for a base becomes its
 * current one; a digest already recorded changes nothing (a repeated run is a no-op). With the signature gate's
 * `verdict` (gate.ts; absent: no policy covers the base): blocked, the digest is only recorded as seen and
 * `blocked` with why — no wave, not current, not latest, never pinned, urgent or not (status `blocked`); warning,
 * it is recorded as usual with the warning. A digest recorded blocked that passes now is recorded as any new one.
 */
export function recordBaseUpdate(
  state: StateSnapshot,
  enrolment: Enrolment,
  update: BaseUpdate,
  builds: ReadonlyMap<string, BuildFacts>,
  verdict?: DigestVerdict,
): UpdateResult {
  const base = state.baseImages.get(update.base);
  if (base === undefined)
    throw new FactoryError(
      'invalid-state',
      `no base image ${update.base} in state (image-factory/state/base-images/${update.base}.yaml)`,
    );
  if (verdict?.status === 'unverifiable')
    throw new FactoryError('internal', `${update.base}@${update.digest}: an unverifiable digest is never recorded`);
  const record = rebuildRecordOf(base);
  if (record.current?.digest === update.digest || record.latest?.digest === update.digest)
    return { status: 'unchanged', state };
  const seen = markedSeen(
    {
      digest: update.digest,
      released: update.released,
      seen: update.seen,
      ...(update.urgent ? { urgent: true as const } : {}),
    },
    verdict,
  );
  const before = seenDigests(record).find((d) => d.digest === update.digest && d.blocked !== undefined);
  if (verdict?.status === 'blocked') {
    if (before !== undefined && before.blocked === seen.blocked) return { status: 'unchanged', state };
    const seenBefore = seenDigests(record);
    const next: RebuildRecord = {
      ...record,
      seen:
        before === undefined
          ? [...seenBefore, seen].slice(-MAX_SEEN_DIGESTS)
          : seenBefore.map((d) => (d === before ? markedSeen(d, verdict) : d)),
    };
    return { status: 'blocked', state: withRecord(state, base, next), reason: verdict.reason };
  }
  const wave = decideWave(waveGraphOf(state, enrolment, builds), update, pendingByImage(state));
  if (!wave.ok) return { status: 'cycle', cycle: wave.cycle };
  const pending = new Map<string, PendingRebuildState>(record.pending.map((p) => [p.image, p]));
  const history: RebuildHistoryEntry[] = [...record.history];
  for (const decision of wave.decisions) {
    if (decision.action === 'rebuild') {
      const { action: _action, ...entry } = decision;
      pending.set(decision.image, entry);
    } else {
      history.push({
        image: decision.image,
        digest: update.digest,
        result: decision.action,
        at: update.seen,
        ...(decision.action === 'fresh' ? { answer: decision.reason } : {}),
      });
    }
  }
  const next: RebuildRecord = {
    ...(record.current === undefined ? { current: seen } : { current: record.current, latest: seen }),
    // A digest blocked before that passes now is seen once, with this verdict.
    seen: [...seenDigests(record).filter((d) => d !== before), seen].slice(-MAX_SEEN_DIGESTS),
    pending: sortPending([...pending.values()]),
    claims: record.claims,
    history: bounded(history),
  };
  return { status: 'recorded', state: withRecord(state, base, next), decisions: wave.decisions };
}

/**
 * The causes of `entry` on this base that its pin does not build — digests seen after the pinned one — as the
 * image's next pending rebuild: since the first of them was released (or, unknown, first seen), due `delaySeconds`
 * later (at once when one of them fixes a CRITICAL). Undefined when the pin builds them all.
 */
function laterCauses(
  base: string,
  record: RebuildRecord,
  entry: PendingRebuildState,
  pinned: string | undefined,
  delaySeconds: number,
): PendingRebuildState | undefined {
  // Unpinned, or pinned to a digest this base has not seen: no digest is known to be later than the pin.
  const seen = seenDigests(record);
  const pinnedAt = seen.findIndex((d) => d.digest === pinned);
  if (pinnedAt < 0) return undefined;
  const after = seen.slice(pinnedAt + 1).filter((d) => d.blocked === undefined);
  const later = after.filter((d) => entry.causes.some((c) => c.base === base && c.digest === d.digest));
  if (later.length === 0) return undefined;
  const since = later.map((d) => d.released ?? d.seen).reduce(earlierOf);
  const urgent = later.some((d) => d.urgent === true);
  return {
    image: entry.image,
    since,
    due: urgent ? since : addSeconds(since, delaySeconds),
    urgent,
    causes: later.map((d) => ({ base, digest: d.digest })),
    waitFor: [],
    waitUntil: null,
  };
}

/** Every image with a claim in flight (claimed, answer not recorded), from all base files. */
function claimedImages(state: StateSnapshot): Set<string> {
  const images = new Set<string>();
  for (const base of state.baseImages.values()) for (const c of rebuildRecordOf(base).claims) images.add(c.image);
  return images;
}

/**
 * The images whose rebuild is due at `now`, sorted: past due, not already claimed, and not waiting for an ancestor
 * any more. An ancestor still pending has not been sent, so its descendant's wait has not even started (it would be
 * built on the old ancestor); once the ancestor is claimed, the wait runs until `waitUntil`.
 */
export function dueRebuilds(state: StateSnapshot, now: string): PendingRebuild[] {
  const pending = pendingByImage(state);
  const claimed = claimedImages(state);
  return [...pending.values()]
    .filter(
      (p) =>
        compareInstants(p.due, now) <= 0 &&
        !claimed.has(p.image) &&
        (p.waitFor.length === 0 ||
          (p.waitFor.every((ancestor) => !pending.has(ancestor)) &&
            // Stryker disable next-line ConditionalExpression: for the type; compareInstants of null is NaN, never <= 0
            p.waitUntil !== null &&
            compareInstants(p.waitUntil, now) <= 0)),
    )
    .sort((a, b) => compareCodeUnits(a.image, b.image));
}

/** The idempotency key of a decision: the same decision gets the same key on every machine and every retry. */
export function triggerKey(rebuild: Pick<PendingRebuild, 'image' | 'since' | 'causes'>): string {
  const text = [rebuild.image, rebuild.since, ...rebuild.causes.map((c) => `${c.base}@${c.digest}`)].join('\n');
  return `${rebuild.image}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/**
 * Claim `rebuilds` at `now`: their pending entries leave every base file and become claims with the decision's key
 * (kept apart from the bounded history: never evicted). A job commits this before calling a CI; losing the push race
 * means another job claimed them. Images waiting for a claimed one start their wait now (at most an hour from here).
 *
 * A pin older than some of the entry's causes on that base (a later update of the base arrived while the rebuild
 * waited, and is still younger than the image's delay) does not build those updates: they stay pending as the next
 * wave of the image — since their first release, due the image's delay after it (`delays`, seconds per image) — so
 * the newer digest reaches the image once it is old enough instead of waiting for yet another update.
 */
export function claimRebuilds(
  state: StateSnapshot,
  rebuilds: readonly PendingRebuild[],
  now: string,
  /** Each rebuild's pins (pins.ts), decided by the caller on this state; absent: unpinned. */
  pins: ReadonlyMap<string, readonly Pin[]> = new Map(),
  /** Each image's rebuildDelay in seconds; an image absent keeps no later causes pending. */
  delays: ReadonlyMap<string, number> = new Map(),
): StateSnapshot {
  const byImage = new Map(rebuilds.map((r) => [r.image, r]));
  const records = new Map<BaseImageState, RebuildRecord>();
  for (const base of state.baseImages.values()) {
    const record = rebuildRecordOf(base);
    const touched = record.pending.some((p) => byImage.has(p.image));
    const waits = record.pending.some((p) => p.waitFor.some((a) => byImage.has(a)));
    if (!touched && !waits) continue;
    const claims = [...record.claims];
    const carried: PendingRebuildState[] = [];
    for (const p of record.pending) {
      const rebuild = byImage.get(p.image);
      if (rebuild === undefined) continue;
      // The digest pinned for this base; unpinned, the rebuild takes whatever is newest.
      const imagePins = pins.get(p.image);
      const digest =
        imagePins?.find((pin) => pin.base === base.name)?.digest ??
        record.latest?.digest ??
        record.current?.digest ??
        p.causes.find((c) => c.base === base.name)?.digest;
      if (digest === undefined) continue;
      claims.push({
        image: p.image,
        key: triggerKey(rebuild),
        digest,
        since: rebuild.since,
        urgent: rebuild.urgent,
        causes: rebuild.causes,
        claimedAt: now,
        ...(imagePins === undefined || imagePins.length === 0 ? {} : { pins: imagePins }),
        sends: 1,
      });
      const pinned = imagePins?.find((pin) => pin.base === base.name)?.digest;
      const delay = delays.get(p.image);
      const later = delay === undefined ? undefined : laterCauses(base.name, record, p, pinned, delay);
      if (later !== undefined) carried.push(later);
    }
    const waitEnd = addSeconds(now, ANCESTOR_WAIT_SECONDS);
    const pending = sortPending([
      ...record.pending
        .filter((p) => !byImage.has(p.image))
        .map((p) =>
          p.waitFor.some((a) => byImage.has(a)) ? { ...p, waitUntil: laterOrNull(p.waitUntil, waitEnd) } : p,
        ),
      ...carried,
    ]);
    // Once nothing waits on the newest digest, the dependents are (being) rebuilt onto it: it becomes current.
    const current = pending.length === 0 && record.latest !== undefined ? record.latest : record.current;
    records.set(base, {
      ...(current === undefined ? {} : { current }),
      ...(pending.length > 0 && record.latest !== undefined ? { latest: record.latest } : {}),
      // The digests seen stay: later rebuilds of other images are pinned from them.
      ...(record.seen === undefined ? {} : { seen: record.seen }),
      pending,
      claims: sortClaims(claims),
      history: record.history,
    });
  }
  return withRecords(state, records);
}

/**
 * The claims whose answer was never recorded within `timeoutSeconds` of their claim (the job that claimed them was
 * killed between claim and answer, or its answer commit was lost): due to be sent again, with the same key.
 */
export function timedOutClaims(state: StateSnapshot, now: string, timeoutSeconds: number): ClaimInFlight[] {
  return claimsInFlight(state).filter((c) => compareInstants(addSeconds(c.lastClaimedAt, timeoutSeconds), now) <= 0);
}

/** Claim the timed-out `claims` again at `now` (same key, one more send): committed before they are re-sent. */
export function reclaim(state: StateSnapshot, claims: readonly ClaimInFlight[], now: string): StateSnapshot {
  const keys = new Set(claims.map((c) => c.key));
  const records = new Map<BaseImageState, RebuildRecord>();
  for (const base of state.baseImages.values()) {
    const record = rebuildRecordOf(base);
    if (!record.claims.some((c) => keys.has(c.key))) continue;
    records.set(base, {
      ...record,
      claims: record.claims.map((c) => (keys.has(c.key) ? { ...c, resentAt: now, sends: c.sends + 1 } : c)),
    });
  }
  return withRecords(state, records);
}

/** What the CI answered for a claimed key. */
export interface TriggerAnswer {
  readonly status: 'triggered' | 'failed' | 'transient';
  readonly answer: string;
  /** The trigger settings' fingerprint (triggerConfig), kept with a refusal. */
  readonly config?: string;
  /** The run or pipeline started, when the forge said. */
  readonly run?: string;
}

/** The CI's answer for one claimed key. */
export interface KeyedAnswer {
  readonly key: string;
  readonly outcome: TriggerAnswer;
}

/**
 * Record what the CI answered for the claim `key`: the claim leaves every base file and becomes a history entry
 * (triggered, failed with the forge's message). A transient failure leaves the rebuild pending again, due at once,
 * under the same decision (same since and causes: the same key).
 */
export function recordTriggerOutcome(
  state: StateSnapshot,
  key: string,
  outcome: TriggerAnswer,
  now: string,
): StateSnapshot {
  return recordTriggerOutcomes(state, [{ key, outcome }], now);
}

/**
 * Record many answers at once, exactly as recording them one after the other in this order would (a key answered
 * twice: the first answer counts, as the second would find no claim left), with one pass over the base files: a
 * sweep's hundreds of answers each walked every base file.
 */
export function recordTriggerOutcomes(
  state: StateSnapshot,
  answers: readonly KeyedAnswer[],
  now: string,
): StateSnapshot {
  const byKey = new Map<string, TriggerAnswer>();
  for (const { key, outcome } of answers) if (!byKey.has(key)) byKey.set(key, outcome);
  const records = new Map<BaseImageState, RebuildRecord>();
  for (const base of state.baseImages.values()) {
    const record = rebuildRecordOf(base);
    if (!record.claims.some((c) => byKey.has(c.key))) continue;
    const history = [...record.history];
    let pending = [...record.pending];
    for (const [key, outcome] of byKey) {
      for (const claim of record.claims) {
        if (claim.key !== key) continue;
        history.push({
          image: claim.image,
          digest: claim.digest,
          result: outcome.status,
          at: now,
          key,
          answer: outcome.answer,
          ...(outcome.status === 'failed' && outcome.config !== undefined ? { config: outcome.config } : {}),
          ...(outcome.run === undefined ? {} : { run: outcome.run }),
          ...(claim.pins === undefined ? {} : { pins: claim.pins }),
        });
        if (outcome.status !== 'transient') continue;
        const again: PendingRebuildState = {
          image: claim.image,
          since: claim.since,
          due: now,
          urgent: claim.urgent,
          causes: claim.causes,
          waitFor: [],
          waitUntil: null,
        };
        pending = mergePending(pending, again);
      }
    }
    records.set(base, {
      ...record,
      pending: sortPending(pending),
      claims: record.claims.filter((c) => !byKey.has(c.key)),
      history: bounded(history),
    });
  }
  return withRecords(state, records);
}

/**
 * Add `entry` — due at once and waiting for nothing (a transient answer, a requeued refusal) — to a base file's pending
 * list: one entry per image (earliest since and due, union of causes), waiting for nothing.
 */
function mergePending(pending: readonly PendingRebuildState[], entry: PendingRebuildState): PendingRebuildState[] {
  const before = pending.find((p) => p.image === entry.image);
  if (before === undefined) return [...pending, entry];
  const { notSent: _notSent, ...rest } = before;
  const merged: PendingRebuildState = {
    ...rest,
    since: earlierOf(before.since, entry.since),
    due: earlierOf(before.due, entry.due),
    urgent: before.urgent || entry.urgent,
    causes: uniqueCauses([...before.causes, ...entry.causes]),
    waitFor: [],
    waitUntil: null,
  };
  return pending.map((p) => (p === before ? merged : p));
}

/**
 * Mark each due rebuild that could not be sent from here (no token, no workflow) with why, in every base file that
 * holds it: it stays pending, and status, report and metrics show the reason. Unchanged reasons change nothing.
 */
export function markNotSent(
  state: StateSnapshot,
  skipped: readonly { readonly image: string; readonly reason: string }[],
): StateSnapshot {
  const reasons = new Map(skipped.map((s) => [s.image, s.reason]));
  const records = new Map<BaseImageState, RebuildRecord>();
  for (const base of state.baseImages.values()) {
    const record = rebuildRecordOf(base);
    if (!record.pending.some((p) => reasons.has(p.image) && p.notSent !== reasons.get(p.image))) continue;
    records.set(base, {
      ...record,
      pending: record.pending.map((p) => {
        const reason = reasons.get(p.image);
        return reason === undefined ? p : { ...p, notSent: reason };
      }),
    });
  }
  return withRecords(state, records);
}

/** A fingerprint of what images.yaml says about triggering an image (provider, repo, branch, workflow, inputs). */
export function triggerConfig(image: ManagedImage): string {
  const { provider, repo, branch, workflow, triggerInputs, triggerKeyInput } = image.source;
  const inputs = Object.entries(triggerInputs).sort(([a], [b]) => compareCodeUnits(a, b));
  const text = JSON.stringify([provider, repo, branch, workflow ?? null, inputs, triggerKeyInput ?? null]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * A refused trigger (4xx) is not retried by later sweeps, unless images.yaml changed what the trigger sends (a fixed
 * workflow name, a declared input): then the rebuild is pending again, due at `now`, and the refusal is marked
 * `requeued` so that it is retried once per change.
 */
export function requeueRefused(state: StateSnapshot, enrolment: Enrolment, now: string): StateSnapshot {
  const configs = new Map(
    enrolment.images.flatMap((i) => (i.kind === 'managed' ? [[i.name, triggerConfig(i)] as const] : [])),
  );
  const pending = new Set(pendingByImage(state).keys());
  const claimed = claimedImages(state);
  const records = new Map<BaseImageState, RebuildRecord>();
  for (const base of state.baseImages.values()) {
    const record = rebuildRecordOf(base);
    const requeue = record.history.filter((h) => {
      const config = configs.get(h.image);
      return (
        h.result === 'failed' &&
        h.config !== undefined &&
        config !== undefined &&
        config !== h.config &&
        !pending.has(h.image) &&
        !claimed.has(h.image)
      );
    });
    if (requeue.length === 0) continue;
    // Several refusals of one image become one pending entry: the earliest start, every digest refused.
    let entries: PendingRebuildState[] = [...record.pending];
    for (const h of requeue) {
      entries = mergePending(entries, {
        image: h.image,
        since: h.at,
        due: now,
        urgent: false,
        causes: [{ base: base.name, digest: h.digest }],
        waitFor: [],
        waitUntil: null,
      });
    }
    records.set(base, {
      ...record,
      pending: sortPending(entries),
      history: record.history.map((h) => (requeue.includes(h) ? { ...h, result: 'requeued' as const } : h)),
    });
    for (const entry of entries) pending.add(entry.image);
  }
  return withRecords(state, records);
}
