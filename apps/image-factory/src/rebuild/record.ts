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
import { MAX_REBUILD_HISTORY } from '../state/schema.js';
import type {
  BaseImageState,
  PendingRebuildState,
  RebuildHistoryEntry,
  RebuildRecord,
  StateSnapshot,
} from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import {
  type BaseUpdate,
  decideWave,
  type PendingRebuild,
  type WaveDecision,
  type WaveGraph,
  type WaveImage,
} from './wave.js';

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
  const merged = new Map<string, PendingRebuild>();
  for (const base of [...state.baseImages.values()].sort((a, b) => compareCodeUnits(a.name, b.name))) {
    for (const entry of base.rebuild?.pending ?? []) {
      const before = merged.get(entry.image);
      if (before === undefined) {
        merged.set(entry.image, { ...entry, causes: [...entry.causes], waitFor: [...entry.waitFor] });
        continue;
      }
      // Ready when any entry is: an entry that waits for nothing lifts the others' waits.
      const waiting = before.waitFor.length > 0 && entry.waitFor.length > 0;
      merged.set(entry.image, {
        image: entry.image,
        since: before.since <= entry.since ? before.since : entry.since,
        due: before.due <= entry.due ? before.due : entry.due,
        urgent: before.urgent || entry.urgent,
        causes: uniqueCauses([...before.causes, ...entry.causes]),
        waitFor: waiting ? [...new Set([...before.waitFor, ...entry.waitFor])].sort(compareCodeUnits) : [],
        waitUntil: waiting ? later(before.waitUntil, entry.waitUntil) : null,
      });
    }
  }
  return merged;
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a >= b ? a : b;
}

function uniqueCauses(causes: readonly { base: string; digest: string }[]) {
  const seen = new Map(causes.map((c) => [`${c.base} ${c.digest}`, c]));
  return [...seen.values()].sort((a, b) => compareCodeUnits(`${a.base} ${a.digest}`, `${b.base} ${b.digest}`));
}

function withRecord(state: StateSnapshot, base: BaseImageState, record: RebuildRecord): StateSnapshot {
  const baseImages = new Map(state.baseImages);
  baseImages.set(base.name, { ...base, rebuild: record });
  return { images: state.images, baseImages };
}

const bounded = (history: readonly RebuildHistoryEntry[]) => history.slice(-MAX_REBUILD_HISTORY);

export type UpdateResult =
  | { readonly status: 'unchanged'; readonly state: StateSnapshot }
  | { readonly status: 'recorded'; readonly state: StateSnapshot; readonly decisions: readonly WaveDecision[] }
  | { readonly status: 'cycle'; readonly cycle: readonly string[] };

/**
 * Record that base `update.base` now points to `update.digest`. The first digest recorded for a base becomes its
 * current one; a digest already recorded changes nothing (a repeated run is a no-op).
 */
export function recordBaseUpdate(
  state: StateSnapshot,
  enrolment: Enrolment,
  update: BaseUpdate,
  builds: ReadonlyMap<string, BuildFacts>,
): UpdateResult {
  const base = state.baseImages.get(update.base);
  if (base === undefined)
    throw new FactoryError(
      'invalid-state',
      `no base image ${update.base} in state (image-factory/state/base-images/${update.base}.yaml)`,
    );
  const record = base.rebuild ?? EMPTY_RECORD;
  if (record.current?.digest === update.digest || record.latest?.digest === update.digest)
    return { status: 'unchanged', state };
  const wave = decideWave(waveGraphOf(state, enrolment, builds), update, pendingByImage(state));
  if (!wave.ok) return { status: 'cycle', cycle: wave.cycle };
  const seen = { digest: update.digest, released: update.released, seen: update.seen };
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
    pending: [...pending.values()].sort((a, b) => compareCodeUnits(a.image, b.image)),
    history: bounded(history),
  };
  return { status: 'recorded', state: withRecord(state, base, next), decisions: wave.decisions };
}

/** The images whose rebuild is due at `now` (past due, and not waiting for an ancestor any more), sorted. */
export function dueRebuilds(state: StateSnapshot, now: string): PendingRebuild[] {
  return [...pendingByImage(state).values()]
    .filter((p) => p.due <= now && (p.waitFor.length === 0 || (p.waitUntil !== null && p.waitUntil <= now)))
    .sort((a, b) => compareCodeUnits(a.image, b.image));
}

/** The idempotency key of a decision: the same decision gets the same key on every machine and every retry. */
export function triggerKey(rebuild: PendingRebuild): string {
  const text = [rebuild.image, rebuild.since, ...rebuild.causes.map((c) => `${c.base}@${c.digest}`)].join('\n');
  return `${rebuild.image}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/**
 * Claim `images` at `now`: their pending entries leave every base file and become `claimed` history entries with
 * the decision's key. A job commits this before calling a CI; losing the push race means another job claimed them.
 */
export function claimRebuilds(state: StateSnapshot, rebuilds: readonly PendingRebuild[], now: string): StateSnapshot {
  const keys = new Map(rebuilds.map((r) => [r.image, triggerKey(r)]));
  let next = state;
  for (const base of state.baseImages.values()) {
    const record = base.rebuild;
    if (record === undefined || !record.pending.some((p) => keys.has(p.image))) continue;
    const history = [...record.history];
    for (const p of record.pending) {
      const key = keys.get(p.image);
      if (key === undefined) continue;
      // The rebuild takes whatever is current: the newest digest this base has seen.
      const digest =
        record.latest?.digest ?? record.current?.digest ?? p.causes.find((c) => c.base === base.name)?.digest;
      if (digest === undefined) continue;
      history.push({ image: p.image, digest, result: 'claimed', at: now, key });
    }
    const pending = record.pending.filter((p) => !keys.has(p.image));
    // Once nothing waits on the newest digest, the dependents are (being) rebuilt onto it: it becomes current.
    const current = pending.length === 0 && record.latest !== undefined ? record.latest : record.current;
    next = withRecord(next, base, {
      ...(current === undefined ? {} : { current }),
      ...(pending.length > 0 && record.latest !== undefined ? { latest: record.latest } : {}),
      pending,
      history: bounded(history),
    });
  }
  return next;
}

/** What the CI answered for a claimed key: triggered, failed (with the forge's message), or transient (due again). */
export function recordTriggerOutcome(
  state: StateSnapshot,
  key: string,
  outcome: {
    readonly status: 'triggered' | 'failed' | 'transient';
    readonly answer: string;
    /** The trigger settings' fingerprint (triggerConfig), kept with a refusal. */
    readonly config?: string;
  },
  retry: PendingRebuild,
  now: string,
): StateSnapshot {
  let next = state;
  for (const base of state.baseImages.values()) {
    const record = base.rebuild;
    if (record === undefined || !record.history.some((h) => h.key === key && h.result === 'claimed')) continue;
    const history = record.history.map((h) =>
      h.key === key && h.result === 'claimed'
        ? {
            ...h,
            result: outcome.status,
            at: now,
            answer: outcome.answer,
            ...(outcome.status === 'failed' && outcome.config !== undefined ? { config: outcome.config } : {}),
          }
        : h,
    );
    // A transient failure leaves the rebuild due for the next sweep, under the same decision (same key).
    const pending =
      outcome.status === 'transient' && retry.causes.some((c) => c.base === base.name)
        ? [...record.pending.filter((p) => p.image !== retry.image), { ...retry, due: now }].sort((a, b) =>
            compareCodeUnits(a.image, b.image),
          )
        : record.pending;
    next = withRecord(next, base, { ...record, pending, history });
  }
  return next;
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
  const pending = pendingByImage(state);
  let next = state;
  for (const base of state.baseImages.values()) {
    const record = base.rebuild;
    if (record === undefined) continue;
    const requeue = record.history.filter((h) => {
      const config = configs.get(h.image);
      return (
        h.result === 'failed' &&
        h.config !== undefined &&
        config !== undefined &&
        config !== h.config &&
        !pending.has(h.image)
      );
    });
    if (requeue.length === 0) continue;
    const images = new Set(requeue.map((h) => h.image));
    const added: PendingRebuildState[] = requeue.map((h) => ({
      image: h.image,
      since: h.at,
      due: now,
      urgent: false,
      causes: [{ base: base.name, digest: h.digest }],
      waitFor: [],
      waitUntil: null,
    }));
    next = withRecord(next, base, {
      ...record,
      pending: [...record.pending.filter((p) => !images.has(p.image)), ...added].sort((a, b) =>
        compareCodeUnits(a.image, b.image),
      ),
      history: record.history.map((h) => (requeue.includes(h) ? { ...h, result: 'requeued' as const } : h)),
    });
    for (const entry of added) pending.set(entry.image, entry);
  }
  return next;
}
