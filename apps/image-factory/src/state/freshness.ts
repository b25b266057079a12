/**
 * Freshness as the state and the registries tell it, one definition each, read by `status`, `report` and
 * `compliance` alike (views format, they do not decide): whether a build is stale, how old it is, the newest digest
 * recorded for a base, the bases of an image, the latest history entry of each image, and the rebuilds still owed to
 * each image (pending, and claimed with no answer recorded), and the vulnerability facts of each image's recorded
 * scans (counts, fixable CRITICALs, EOSL, scan age; what a managed image's bases carry and a rebuild would fix).
 * Pure: times are instants compared through util/time.ts.
 */
// The urgency rule's own reading of the scans (which scan is a digest's, what a rebuild onto the newest digest fixes):
// the views show what it decides. urgency.ts imports only state types and util, so this makes no cycle.

import { compareCodeUnits } from '../util/compare.js';
import { compareInstants, DAY_MS, earlierOf, instantMs, laterOf, parseTime } from '../util/time.js';
import type {
  BaseImageState,
  ExternalImageState,
  ManagedImageState,
  RebuildClaim,
  RebuildHistoryEntry,
  SeenDigest,
  StateSnapshot,
  VulnerabilityScan,
} from './types.js';
import { criticalsFixedByLatest, newestScan, scanOf } from './vulnerabilities.js';

/**
 * A time as freshness may use it: null when unknown, unreadable, or later than `now` (a build or release "in the
 * future" is a clock's error or a report asked as of an earlier time: either way it says nothing yet). Not the
 * rebuild rules' credibleRelease (rebuild/record.ts), which allows CLOCK_SKEW_SECONDS: that one decides once whether
 * to trust a registry's clock for a release time that is then recorded; this one is a view as of `now` (often an
 * earlier `--now`), where a time even a second later has not happened yet.
 */
export function knownTime(time: string | null | undefined, now: string): string | null {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: compareInstants reads null, undefined and unreadable text as NaN, and NaN <= 0 is false: the same null
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
 * entry still `claimed` with no later entry of the same key saying what became of it (claimed at its `at`, one send);
 * sorted by image, then key.
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

/**
 * Seconds from `time` to `now`; null when `time` is unknown or later than `now` (the same guard as every age here).
 */
export function ageSeconds(time: string | null, now: string): number | null {
  const known = knownTime(time, now);
  return known === null ? null : Math.floor((instantMs(now) - instantMs(known)) / 1000);
}

/** The counts of one scan by severity, in the Trivy Operator's shape (one per finding). */
export type SeverityCounts = VulnerabilityScan['summary'];

/** One recorded scan as the views show it. */
export interface ScanFacts {
  /** The digest scanned, as the image's Warehouse records it. */
  readonly digest: string;
  readonly scannedAt: string;
  /** Whole days since the scan; null when it is later than now. */
  readonly ageDays: number | null;
  /** Seconds since the scan; null when it is later than now. */
  readonly ageSeconds: number | null;
  readonly trivyVersion: string;
  readonly dbUpdatedAt: string | null;
  readonly summary: SeverityCounts;
  /** The CRITICAL findings with a fixed version (`Status: fixed`): their ids, each once, sorted. */
  readonly fixableCritical: readonly string[];
  /** The OS is end of service life: it gets no more security fixes. */
  readonly eosl: boolean;
}

/** What the state in git says about a base or external image's vulnerabilities. */
export interface VulnerabilityFacts {
  /**
   * The digest whose scan is shown: a base's `rebuild.current` (what its dependents are built on), else the digest
   * its Dockerfile reference pins, else the newest scan's; an external image's newest scan's. Null: none known.
   */
  readonly digest: string | null;
  /** The scan of `digest`; null: not scanned. */
  readonly scan: ScanFacts | null;
  /** A base's newest digest while it differs from the current one (`rebuild.latest`), with its scan (null: none). */
  readonly latest: { readonly digest: string; readonly scan: ScanFacts | null } | null;
  /** The CRITICAL ids a rebuild onto the newest digest would fix (the urgency rule's criticalsFixedByLatest). */
  readonly fixedByLatest: readonly string[];
}

/** A recorded scan as the views show it, its age as of `now` (null: a view that shows no age). */
export function scanView(scan: VulnerabilityScan, now: string | null): ScanFacts {
  return {
    digest: scan.digest,
    scannedAt: scan.scannedAt,
    ageDays: now === null ? null : ageDays(scan.scannedAt, now),
    ageSeconds: now === null ? null : ageSeconds(scan.scannedAt, now),
    trivyVersion: scan.trivyVersion,
    dbUpdatedAt: scan.dbUpdatedAt,
    summary: scan.summary,
    fixableCritical: united(scan.fixable.flatMap((f) => (f.severity === 'CRITICAL' ? [f.id] : []))),
    eosl: scan.eosl,
  };
}

/** The vulnerability facts of a base or external image, from its recorded scans, as of `now`. */
export function scanFacts(image: BaseImageState | ExternalImageState, now: string | null): VulnerabilityFacts {
  const scans = image.vulnerabilities?.scans ?? [];
  const newest = newestScan(scans);
  if ('kind' in image) {
    return { digest: newest?.digest ?? null, scan: newest && scanView(newest, now), latest: null, fixedByLatest: [] };
  }
  const digest = image.rebuild?.current?.digest ?? image.digest ?? newest?.digest ?? null;
  // Stryker disable next-line ConditionalExpression: no scan has a null digest (the schema's pattern), so scanOf(image, null) finds none either
  const scanned = digest === null ? undefined : scanOf(image, digest);
  const latest = image.rebuild?.latest;
  const latestScan = latest === undefined ? undefined : scanOf(image, latest.digest);
  return {
    digest,
    scan: scanned === undefined ? null : scanView(scanned, now),
    latest:
      latest === undefined || latest.digest === digest
        ? null
        : { digest: latest.digest, scan: latestScan === undefined ? null : scanView(latestScan, now) },
    fixedByLatest: criticalsFixedByLatest(image),
  };
}

/** One base of a managed image, as what it carries: its current digest's scan, and what its newest digest fixes. */
export interface CarriedBase {
  readonly name: string;
  /** The digest the image is built on (see VulnerabilityFacts.digest); null: unknown. */
  readonly digest: string | null;
  /** False: that digest has no recorded scan ("not scanned"), and the counts below are null / empty. */
  readonly scanned: boolean;
  readonly summary: SeverityCounts | null;
  readonly fixableCritical: readonly string[];
  readonly eosl: boolean;
  readonly scanAgeDays: number | null;
  /** The CRITICAL ids a rebuild onto this base's newest digest would fix. */
  readonly fixedByLatest: readonly string[];
}

/** The scan recorded for a digest an image runs (its own digest or the platform manifest scanned); null: none. */
export function scanOfDigest(
  image: BaseImageState | ExternalImageState,
  digest: string,
  now: string | null,
): ScanFacts | null {
  const scan = scanOf(image, digest);
  return scan === undefined ? null : scanView(scan, now);
}

/** What a managed image's bases carry, from each base's current digest's scan. */
export interface CarriedVulnerabilities {
  /** Each base the image is built on, sorted by name (a base with no state file: not scanned). */
  readonly bases: readonly CarriedBase[];
  /** The counts of the scanned bases' current digests, added up; null when none is scanned. */
  readonly summary: SeverityCounts | null;
  /** The fixable CRITICAL ids the bases' current digests carry, each once, sorted. */
  readonly fixableCritical: readonly string[];
  /** The bases whose OS is end of service life, sorted. */
  readonly eoslBases: readonly string[];
  /** The bases with no scan of their current digest, sorted. */
  readonly notScanned: readonly string[];
  /** The CRITICAL ids a rebuild onto each base's newest digest would fix, each once, sorted. */
  readonly rebuildWouldFix: readonly string[];
}

const NO_FACTS: VulnerabilityFacts = { digest: null, scan: null, latest: null, fixedByLatest: [] };
const united = (ids: readonly string[]) => [...new Set(ids)].sort(compareCodeUnits);

/** What the bases of a managed image carry, and what a rebuild would fix, as of `now`. */
export function carriedVulnerabilities(
  image: ManagedImageState,
  state: StateSnapshot,
  now: string | null,
): CarriedVulnerabilities {
  const bases = baseNamesOf(image).map((name): CarriedBase => {
    const base = state.baseImages.get(name);
    const facts = base === undefined ? NO_FACTS : scanFacts(base, now);
    return {
      name,
      digest: facts.digest,
      scanned: facts.scan !== null,
      summary: facts.scan?.summary ?? null,
      fixableCritical: facts.scan?.fixableCritical ?? [],
      eosl: facts.scan?.eosl ?? false,
      scanAgeDays: facts.scan?.ageDays ?? null,
      fixedByLatest: facts.fixedByLatest,
    };
  });
  const counts = bases.flatMap((b) => (b.summary === null ? [] : [b.summary]));
  const summary =
    counts.length === 0
      ? null
      : counts.reduce<SeverityCounts>(
          (sum, c) => ({
            criticalCount: sum.criticalCount + c.criticalCount,
            highCount: sum.highCount + c.highCount,
            mediumCount: sum.mediumCount + c.mediumCount,
            lowCount: sum.lowCount + c.lowCount,
            unknownCount: sum.unknownCount + c.unknownCount,
          }),
          { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
        );
  return {
    bases,
    summary,
    fixableCritical: united(bases.flatMap((b) => b.fixableCritical)),
    eoslBases: bases.flatMap((b) => (b.eosl ? [b.name] : [])),
    notScanned: bases.flatMap((b) => (b.scanned ? [] : [b.name])),
    rebuildWouldFix: united(bases.flatMap((b) => b.fixedByLatest)),
  };
}
