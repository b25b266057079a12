/**
 * Freshness as the state and the registries tell it, one definition each, read by `status`, `report` and
 * `compliance` alike (views format, they do not decide): whether a build is stale, how old it is, the newest digest
 * recorded for a base, the bases of an image, the latest history entry of each image, and the rebuilds still owed to
 * each image (pending, and claimed with no answer recorded). Pure: times are instants compared through util/time.ts.
 */
import { compareCodeUnits } from '../util/compare.js';
import { compareInstants, DAY_MS, earlierOf, instantMs, laterOf, parseTime } from '../util/time.js';
import type {
  BaseImageState,
  ManagedImageState,
  RebuildClaim,
  RebuildHistoryEntry,
  SeenDigest,
  StateSnapshot,
} from './types.js';

/**
 * A time as freshness may use it: null when unknown, unreadable, or later than `now` (a build or release "in the
 * future" is a clock's error or a report asked as of an earlier time: either way it says nothing yet).
 */
export function knownTime(time: string | null | undefined, now: string): string | null {
  if (time === null || time === undefined || !parseTime(time).ok) return null;
  return compareInstants(time, now) <= 0 ? time : null;
}

/** Whole days from `created` to `now`; null when `created` is unknown or later than `now`. */
export function ageDays(created: string | null, now: string): number | null {
  const known = knownTime(created, now);
  return known === null ? null : Math.floor((instantMs(now) - instantMs(known)) / DAY_MS);
}

/**
 * Whether a base released at `released` makes a build created at `created` stale: released strictly after it (a
 * base released in the same second as the build may be in it). Null when either time is unknown (never a guessed
 * false).
 */
export function releasedAfter(released: string | null, created: string | null, now: string): boolean | null {
  const r = knownTime(released, now);
  const c = knownTime(created, now);
  return r === null || c === null ? null : compareInstants(r, c) > 0;
}

/** A managed build's freshness against its bases' release times. */
export interface BuildFreshness {
  readonly ageDays: number | null;
  /** Each base: released after the build (true), not (false), unknown (null). */
  readonly bases: readonly { readonly name: string; readonly stale: boolean | null }[];
  /** A base was released after the build: true; false only when every time is known; else null. */
  readonly stale: boolean | null;
  /** The bases released after the build, sorted. */
  readonly newerBases: readonly string[];
}

/** The freshness of a build created at `created`, built on `bases` (their release times), as of `now`. */
export function buildFreshness(
  created: string | null,
  bases: readonly { readonly name: string; readonly released: string | null }[],
  now: string,
): BuildFreshness {
  const judged = [...bases]
    .sort((a, b) => compareCodeUnits(a.name, b.name))
    .map((b) => ({ name: b.name, stale: releasedAfter(b.released, created, now) }));
  const newerBases = judged.flatMap((b) => (b.stale === true ? [b.name] : []));
  const known = knownTime(created, now) !== null && judged.every((b) => b.stale === false);
  const stale = newerBases.length > 0 ? true : known ? false : null;
  return { ageDays: ageDays(created, now), bases: judged, stale, newerBases };
}

/** The newest digest the rebuild logic recorded for a base (`latest` while it differs from `current`), or null. */
export function newestRecordedDigest(base: BaseImageState | undefined): SeenDigest | null {
  return base?.rebuild?.latest ?? base?.rebuild?.current ?? null;
}

/** The state names of the bases a managed image is built on: each once, sorted. */
export function baseNamesOf(image: ManagedImageState): string[] {
  return [...new Set(image.baseImages.map((b) => b.name))].sort(compareCodeUnits);
}

/** A history entry with the base image file it is recorded in. */
export type HistoryEntryOf = RebuildHistoryEntry & { readonly base: string };

/**
 * The latest history entry of each image among those `keep` accepts, over every base file. History is newest last:
 * of two entries at the same second, the one written later wins (base files are read in name order).
 */
export function latestHistoryByImage(
  state: StateSnapshot,
  keep: (entry: RebuildHistoryEntry) => boolean = () => true,
): Map<string, HistoryEntryOf> {
  const latest = new Map<string, HistoryEntryOf>();
  for (const base of [...state.baseImages.values()].sort((a, b) => compareCodeUnits(a.name, b.name))) {
    for (const h of base.rebuild?.history ?? []) {
      if (!keep(h)) continue;
      const known = latest.get(h.image);
      if (known === undefined || compareInstants(known.at, h.at) <= 0) latest.set(h.image, { ...h, base: base.name });
    }
  }
  return latest;
}

type Cause = { readonly base: string; readonly digest: string };

/** Causes of a rebuild, each once, sorted by base then digest. */
export function uniqueCauses(causes: readonly Cause[]): Cause[] {
  const seen = new Map(causes.map((c) => [`${c.base} ${c.digest}`, c]));
  return [...seen.values()].sort((a, b) => compareCodeUnits(`${a.base} ${a.digest}`, `${b.base} ${b.digest}`));
}

/** The later of two optional instants (null: none). */
export function laterOrNull(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return laterOf(a, b);
}

/** An image's pending rebuild, merged over every base file that holds an entry for it (one rebuild per image). */
export interface MergedPending {
  readonly image: string;
  readonly since: string;
  readonly due: string;
  readonly urgent: boolean;
  readonly causes: readonly Cause[];
  readonly waitFor: readonly string[];
  readonly waitUntil: string | null;
  /** Why the last sweep that found it due did not send it (the distinct reasons of its entries, joined); or null. */
  readonly notSent: string | null;
}

/** Every image's pending rebuild, merged: earliest since and due, urgent if any, causes united; ready when any entry is. */
export function mergedPendingByImage(state: StateSnapshot): Map<string, MergedPending> {
  const merged = new Map<string, Omit<MergedPending, 'notSent'>>();
  const reasons = new Map<string, Set<string>>();
  for (const base of [...state.baseImages.values()].sort((a, b) => compareCodeUnits(a.name, b.name))) {
    for (const { notSent, ...entry } of base.rebuild?.pending ?? []) {
      if (notSent !== undefined) reasons.set(entry.image, new Set([...(reasons.get(entry.image) ?? []), notSent]));
      const before = merged.get(entry.image);
      if (before === undefined) {
        merged.set(entry.image, { ...entry, causes: [...entry.causes], waitFor: [...entry.waitFor] });
        continue;
      }
      // Ready when any entry is: an entry that waits for nothing lifts the others' waits.
      const waiting = before.waitFor.length > 0 && entry.waitFor.length > 0;
      merged.set(entry.image, {
        image: entry.image,
        since: earlierOf(before.since, entry.since),
        due: earlierOf(before.due, entry.due),
        urgent: before.urgent || entry.urgent,
        causes: uniqueCauses([...before.causes, ...entry.causes]),
        waitFor: waiting ? [...new Set([...before.waitFor, ...entry.waitFor])].sort(compareCodeUnits) : [],
        waitUntil: waiting ? laterOrNull(before.waitUntil, entry.waitUntil) : null,
      });
    }
  }
  return new Map(
    [...merged].map(([image, p]) => {
      const why = [...(reasons.get(image) ?? [])].sort(compareCodeUnits);
      return [image, { ...p, notSent: why.length === 0 ? null : why.join('; ') }];
    }),
  );
}

/**
 * The claims a base file holds: its `claims`, and — in files written before claims were kept apart — each history
 * entry still `claimed` with no later entry of the same key saying what became of it (claimed at its `at`, one send).
 */
export function claimsOf(base: BaseImageState): RebuildClaim[] {
  const record = base.rebuild;
  if (record === undefined) return [];
  const claims = [...(record.claims ?? [])];
  record.history.forEach((h, i) => {
    if (h.result !== 'claimed' || h.key === undefined) return;
    const key = h.key;
    if (claims.some((c) => c.key === key && c.image === h.image)) return;
    if (record.history.slice(i + 1).some((later) => later.key === key && later.result !== 'claimed')) return;
    claims.push({
      image: h.image,
      key,
      digest: h.digest,
      since: h.at,
      urgent: false,
      causes: [{ base: base.name, digest: h.digest }],
      claimedAt: h.at,
      sends: 1,
    });
  });
  return claims.sort((a, b) => compareCodeUnits(a.image, b.image) || compareCodeUnits(a.key, b.key));
}

/** A rebuild claimed and not answered, as one decision: merged over the base files holding its key. */
export interface ClaimInFlight {
  readonly image: string;
  readonly key: string;
  readonly since: string;
  readonly urgent: boolean;
  readonly causes: readonly Cause[];
  /** When it was first claimed (a send followed at once; a run started for it is not older). */
  readonly claimedAt: string;
  /** When it was last claimed: the first claim, or the last re-send after a timeout (the timeout counts from here). */
  readonly lastClaimedAt: string;
  /** How many times it has been claimed. */
  readonly sends: number;
  /** The digest decided per base (absent: unpinned). */
  readonly pins?: readonly { readonly base: string; readonly digest: string }[];
}

/** Every claim awaiting its CI's answer, one per key, sorted by image then key. */
export function claimsInFlight(state: StateSnapshot): ClaimInFlight[] {
  const byKey = new Map<string, ClaimInFlight>();
  for (const base of [...state.baseImages.values()].sort((a, b) => compareCodeUnits(a.name, b.name))) {
    for (const c of claimsOf(base)) {
      const before = byKey.get(c.key);
      byKey.set(c.key, {
        image: c.image,
        key: c.key,
        since: before === undefined ? c.since : earlierOf(before.since, c.since),
        urgent: (before?.urgent ?? false) || c.urgent,
        causes: uniqueCauses([...(before?.causes ?? []), ...c.causes]),
        claimedAt: before === undefined ? c.claimedAt : earlierOf(before.claimedAt, c.claimedAt),
        lastClaimedAt:
          before === undefined ? (c.resentAt ?? c.claimedAt) : laterOf(before.lastClaimedAt, c.resentAt ?? c.claimedAt),
        sends: Math.max(before?.sends ?? 0, c.sends),
        ...((before?.pins ?? c.pins) === undefined ? {} : { pins: before?.pins ?? c.pins }),
      });
    }
  }
  return [...byKey.values()].sort((a, b) => compareCodeUnits(a.image, b.image) || compareCodeUnits(a.key, b.key));
}

/** Every rebuild still owed to an image: its pending rebuild (if any) and its claims awaiting an answer. */
export interface OwedRebuild {
  readonly image: string;
  readonly pending: MergedPending | null;
  readonly claims: readonly ClaimInFlight[];
}

/** The rebuilds owed, by image (an image appears when it has a pending rebuild or a claim in flight). */
export function owedRebuilds(state: StateSnapshot): Map<string, OwedRebuild> {
  const pending = mergedPendingByImage(state);
  const claims = claimsInFlight(state);
  const images = [...new Set([...pending.keys(), ...claims.map((c) => c.image)])].sort(compareCodeUnits);
  return new Map(
    images.map((image) => [
      image,
      { image, pending: pending.get(image) ?? null, claims: claims.filter((c) => c.image === image) },
    ]),
  );
}

/**
 * Why a pending rebuild has not been triggered yet: waiting for an ancestor's new build (even when urgent: the
 * ancestor is rebuilt first), else urgent (due at once), else the release-age delay.
 */
export function pendingReason(pending: Pick<MergedPending, 'urgent' | 'waitFor'>): 'waiting' | 'urgent' | 'delay' {
  if (pending.waitFor.length > 0) return 'waiting';
  return pending.urgent ? 'urgent' : 'delay';
}
