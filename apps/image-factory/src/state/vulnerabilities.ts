/**
 * What the recorded scans say a base's newest digest fixes (DESIGN §12): one rule, read by the rebuild engine (its
 * urgency) and by every view (what a rebuild would fix). Pure.
 */

import { compareCodeUnits } from '../util/compare.js';
import { compareInstants } from '../util/time.js';
import type { BaseImageState, VulnerabilityScan } from './types.js';

/**
 * The order of an image's scans in its state file: newest `scannedAt` first; at the same second, by digest. The
 * rescan takes an external image's newest digests in this order too.
 */
export const newestScanFirst = (a: VulnerabilityScan, b: VulnerabilityScan): number =>
  compareInstants(b.scannedAt, a.scannedAt) || compareCodeUnits(a.digest, b.digest);

/**
 * The newest of an image's scans, whatever their order: the one {@link newestScanFirst} puts first (at the same
 * second, the smaller digest), so a view shows the scan the state file lists first. Null when there is none.
 */
export function newestScan(scans: readonly VulnerabilityScan[]): VulnerabilityScan | null {
  let newest: VulnerabilityScan | null = null;
  for (const scan of scans) if (newest === null || newestScanFirst(scan, newest) < 0) newest = scan;
  return newest;
}

/** The CRITICAL ids a scan lists as fixable, sorted. */
export const fixableCriticals = (scan: VulnerabilityScan) =>
  [...new Set(scan.fixable.filter((f) => f.severity === 'CRITICAL').map((f) => f.id))].sort(compareCodeUnits);

/** The scan recorded for `digest` (matched as the image's digest or the platform manifest scanned), if any. */
export function scanOf(base: Pick<BaseImageState, 'vulnerabilities'>, digest: string): VulnerabilityScan | undefined {
  return base.vulnerabilities?.scans.find((s) => s.digest === digest || s.platformDigest === digest);
}

/**
 * The urgency rule (issue 21), one place for every scan it reads — recorded by `scan record` or given by hand to
 * `rebuild --vulnerability-report`: the CRITICAL ids fixable in `before` (`Status: fixed`) that `after` no longer
 * lists as fixable (a version that still had one would list it again), sorted. Empty when either scan is missing:
 * unknown is not urgent.
 */
export function criticalsFixed(before: VulnerabilityScan | undefined, after: VulnerabilityScan | undefined): string[] {
  if (before === undefined || after === undefined) return [];
  const still = new Set(fixableCriticals(after));
  return fixableCriticals(before).filter((id) => !still.has(id));
}

/**
 * The CRITICAL ids the base's newest digest fixes for its dependents, from the scans recorded for its current and
 * newest digests ({@link criticalsFixed}).
 */
export function criticalsFixedByLatest(base: BaseImageState): string[] {
  const current = base.rebuild?.current?.digest;
  const latest = base.rebuild?.latest?.digest;
  if (current === undefined || latest === undefined) return [];
  return criticalsFixed(scanOf(base, current), scanOf(base, latest));
}
