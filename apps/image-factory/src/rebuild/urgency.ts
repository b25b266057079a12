/**
 * Urgency from the facts in git (DESIGN §10, §12; issue 21): when the newest digest a base has seen no longer has a
 * CRITICAL vulnerability that the digest its dependents are built on has — fixable there (`Status: fixed`, so it is
 * listed among the current scan's fixable findings) and absent from the newest digest's fixable findings (a version
 * that still had it would list it again) — the pending rebuilds on that base are due at once. Applied on every run,
 * so it holds at update time and when a later rescan reveals a new CVE in the current digest. Reports given by hand
 * (`rebuild --vulnerability-report`) are read by the same rule at update time (urgencyOf). Pure.
 */
import type { BaseImageState, StateSnapshot, VulnerabilityScan } from '../state/types.js';
import { criticalsFixed, criticalsFixedByLatest, scanOf } from '../state/vulnerabilities.js';
import { compareCodeUnits } from '../util/compare.js';
import { earlierOf } from '../util/time.js';
import { seenDigests } from './pins.js';
import type { GivenReport } from './vulnerabilities.js';

/** What the scans say about one base update: the CRITICALs it fixes, and the reports given that matched nothing. */
export interface Urgency {
  readonly fixed: readonly string[];
  /** One line per report given that describes neither digest (its RepoDigests named): said, not silently ignored. */
  readonly unmatched: readonly string[];
}

/**
 * The urgency rule for `base` moving to `next` at update time, given what its dependents are built on now (`current`:
 * the digest state records, else the base digests their builds record; empty when unknown: not urgent). A digest's
 * scan is a report given by hand that describes it, else the scan recorded for it; the update fixes the CRITICALs
 * that are fixable in a current digest's scan and no longer listed as fixable in the new digest's.
 */
export function urgencyOf(
  base: Pick<BaseImageState, 'vulnerabilities'>,
  given: readonly GivenReport[],
  current: readonly string[],
  next: string,
): Urgency {
  const scanFor = (digest: string): VulnerabilityScan | undefined =>
    given.find((r) => r.digests.includes(digest))?.scan ?? scanOf(base, digest);
  const after = scanFor(next);
  const fixed = [...new Set(current.flatMap((digest) => criticalsFixed(scanFor(digest), after)))].sort(
    compareCodeUnits,
  );
  const unmatched = given
    .filter((r) => !r.digests.some((d) => d === next || current.includes(d)))
    .map(
      (r) =>
        `${r.file}: the vulnerability report for ${r.repoDigests.join(', ')} describes neither the current nor the new digest: not used`,
    );
  return { fixed, unmatched };
}

/** A base whose pending rebuilds became urgent (at least one), and the CRITICAL ids its newest digest fixes. */
export interface UrgentBase {
  readonly base: string;
  readonly fixed: readonly string[];
  readonly images: readonly string[];
}

/**
 * Make the pending rebuilds of every base whose newest digest fixes a CRITICAL of its current one urgent, due at
 * `now` at the latest (never later than they were), and mark that digest as the urgent one (the rebuild is pinned to
 * it; a newer digest that fixes it too is marked even when every pending rebuild is urgent already). Unchanged state
 * when nothing is newly urgent or newly marked; `urgent` lists the bases with pending rebuilds made urgent in this run.
 */
export function applyStoredUrgency(state: StateSnapshot, now: string): { state: StateSnapshot; urgent: UrgentBase[] } {
  let baseImages: Map<string, BaseImageState> | undefined;
  const urgent: UrgentBase[] = [];
  for (const base of [...state.baseImages.values()].sort((a, b) => compareCodeUnits(a.name, b.name))) {
    const record = base.rebuild;
    if (record === undefined || record.latest === undefined) continue;
    const lagging = record.pending.filter((p) => !p.urgent);
    const latest = record.latest.digest;
    // Files written before `seen` was kept carry the mark on `latest` alone.
    const marked = seenDigests(record).some((d) => d.digest === latest && d.urgent === true);
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
    if (lagging.length > 0) urgent.push({ base: base.name, fixed, images: lagging.map((p) => p.image) });
  }
  return {
    state: baseImages === undefined ? state : { images: state.images, baseImages },
    urgent,
  };
}
