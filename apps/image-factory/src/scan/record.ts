/**
 * Scans into state (pure): each summary goes to the `vulnerabilities.scans` list of the base image or external image
 * it was matched to. One scan per digest (a rescan replaces it; an older scan of a digest never replaces a newer
 * one), newest first (by `scannedAt`, then digest), at most MAX_VULNERABILITY_SCANS kept: the scans of a base's
 * current and latest digests always, then the newest others.
 */
import { isDeepStrictEqual } from 'node:util';
import { MAX_VULNERABILITY_SCANS } from '../state/schema.js';
import type { BaseImageState, StateSnapshot, VulnerabilityScan } from '../state/types.js';
import { newestScanFirst } from '../state/vulnerabilities.js';
import { compareInstants } from '../util/time.js';

/** Where a scan goes: a base image (`base-images/<name>.yaml`) or an external image (`images/<name>.yaml`). */
export interface ScanTarget {
  readonly kind: 'base' | 'external';
  readonly name: string;
}

/** The state file of a target, relative to state/. */
export const stateFileOf = (target: ScanTarget): string =>
  `${target.kind === 'base' ? 'base-images' : 'images'}/${target.name}.yaml`;

/** One summary to record, and the report it came from. */
export interface ScanEntry {
  readonly report: string;
  readonly target: ScanTarget;
  readonly scan: VulnerabilityScan;
}

/**
 * What became of an entry: `recorded` (new, or replacing an older or different scan of its digest), `unchanged`
 * (state already holds exactly it), `superseded` (state holds a newer scan of its digest, or it is older than the
 * scans the bound keeps), `gone` (its image is no longer in state).
 */
export type ScanOutcome = 'recorded' | 'unchanged' | 'superseded' | 'gone';

export interface RecordedScan extends ScanEntry {
  readonly outcome: ScanOutcome;
}

/** The digests whose scans the bound never drops: a base's current and latest (what urgency compares). */
function protectedDigests(base: BaseImageState): ReadonlySet<string> {
  return new Set([base.rebuild?.current?.digest, base.rebuild?.latest?.digest].flatMap((d) => d ?? []));
}

/**
 * The scans kept: sorted newest first, the protected digests' scans always, the newest others up to the bound
 * (at most MAX_VULNERABILITY_SCANS in all).
 */
export function boundedScans(
  scans: readonly VulnerabilityScan[],
  keep: ReadonlySet<string>,
): readonly VulnerabilityScan[] {
  const sorted = [...scans].sort(newestScanFirst);
  const kept = sorted.filter((s) => keep.has(s.digest)).slice(0, MAX_VULNERABILITY_SCANS);
  for (const scan of sorted) {
    if (kept.length >= MAX_VULNERABILITY_SCANS) break;
    if (!kept.includes(scan)) kept.push(scan);
  }
  return kept.sort(newestScanFirst);
}

/** `scans` with `scan` merged in (one per digest), and what became of it. */
function mergeScan(
  scans: readonly VulnerabilityScan[],
  scan: VulnerabilityScan,
  keep: ReadonlySet<string>,
): { scans: readonly VulnerabilityScan[]; outcome: ScanOutcome } {
  const stored = scans.find((s) => s.digest === scan.digest);
  if (stored !== undefined && isDeepStrictEqual(stored, scan)) return { scans, outcome: 'unchanged' };
  if (stored !== undefined && compareInstants(stored.scannedAt, scan.scannedAt) > 0)
    return { scans, outcome: 'superseded' };
  const merged = boundedScans([...scans.filter((s) => s.digest !== scan.digest), scan], keep);
  return { scans: merged, outcome: merged.includes(scan) ? 'recorded' : 'superseded' };
}

/**
 * Record `entries` in `state`, in order (a later entry for the same digest replaces an earlier one of the same or an
 * older time). Returns the new state and what became of each entry; a state with nothing recorded is `state` itself.
 */
export function recordScans(
  state: StateSnapshot,
  entries: readonly ScanEntry[],
): { readonly state: StateSnapshot; readonly results: readonly RecordedScan[] } {
  const images = new Map(state.images);
  const baseImages = new Map(state.baseImages);
  const results: RecordedScan[] = [];
  for (const entry of entries) {
    const { target } = entry;
    if (target.kind === 'base') {
      const base = baseImages.get(target.name);
      if (base === undefined) {
        results.push({ ...entry, outcome: 'gone' });
        continue;
      }
      const { scans, outcome } = mergeScan(base.vulnerabilities?.scans ?? [], entry.scan, protectedDigests(base));
      results.push({ ...entry, outcome });
      if (outcome === 'recorded') baseImages.set(target.name, { ...base, vulnerabilities: { scans } });
    } else {
      const image = images.get(target.name);
      if (image?.kind !== 'external') {
        results.push({ ...entry, outcome: 'gone' });
        continue;
      }
      const { scans, outcome } = mergeScan(image.vulnerabilities?.scans ?? [], entry.scan, new Set());
      results.push({ ...entry, outcome });
      if (outcome === 'recorded') images.set(target.name, { ...image, vulnerabilities: { scans } });
    }
  }
  const changed = results.some((r) => r.outcome === 'recorded');
  return { state: changed ? { images, baseImages } : state, results };
}
