/**
 * Urgency from the facts in git (DESIGN §10, §12; issue 21): when the newest digest a base has seen no longer has a
 * CRITICAL vulnerability that the digest its dependents are built on has — fixable there (`Status: fixed`, so it is
 * listed among the current scan's fixable findings) and absent from the newest digest's fixable findings (a version
 * that still had it would list it again) — the pending rebuilds on that base are due at once. Applied on every run,
 * so it holds at update time and when a later rescan reveals a new CVE in the current digest. Pure.
 */
import type { BaseImageState, StateSnapshot } from '../state/types.js';
import { criticalsFixedByLatest } from '../state/vulnerabilities.js';
import { compareCodeUnits } from '../util/compare.js';
import { earlierOf } from '../util/time.js';

/** A base whose pending rebuilds became urgent, and the CRITICAL ids its newest digest fixes. */
export interface UrgentBase {
  readonly base: string;
  readonly fixed: readonly string[];
  readonly images: readonly string[];
}

/**
 * Make the pending rebuilds of every base whose newest digest fixes a CRITICAL of its current one urgent, due at
 * `now` at the latest (never later than they were), and mark that digest as the urgent one (the rebuild is pinned to
 * it). Unchanged state when nothing is newly urgent.
 */
export function applyStoredUrgency(state: StateSnapshot, now: string): { state: StateSnapshot; urgent: UrgentBase[] } {
  let baseImages: Map<string, BaseImageState> | undefined;
  const urgent: UrgentBase[] = [];
  for (const base of [...state.baseImages.values()].sort((a, b) => compareCodeUnits(a.name, b.name))) {
    const record = base.rebuild;
    if (record === undefined || record.latest === undefined) continue;
    const lagging = record.pending.filter((p) => !p.urgent);
    const latest = record.latest.digest;
    const marked = record.seen?.some((d) => d.digest === latest && d.urgent === true) ?? false;
    if (lagging.length === 0 && (marked || record.pending.length === 0)) continue;
    const fixed = criticalsFixedByLatest(base);
    if (fixed.length === 0) continue;
    baseImages ??= new Map(state.baseImages);
    baseImages.set(base.name, {
      ...base,
      rebuild: {
        ...record,
        latest: { ...record.latest, urgent: true },
        ...(record.seen === undefined
          ? {}
          : { seen: record.seen.map((d) => (d.digest === latest ? { ...d, urgent: true as const } : d)) }),
        pending: record.pending.map((p) => (p.urgent ? p : { ...p, urgent: true, due: earlierOf(p.due, now) })),
      },
    });
    urgent.push({ base: base.name, fixed, images: lagging.map((p) => p.image) });
  }
  return {
    state: baseImages === undefined ? state : { images: state.images, baseImages },
    urgent,
  };
}
