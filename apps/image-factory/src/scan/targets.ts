/**
 * What the daily rescan scans (issue 21: the vulnerability database changes while digests do not): for every base
 * image something is built on, its current and latest digests; for every external image, the digests its recorded
 * scans name. An external image's state file records no other digest (its Warehouse's Freight is not in state): each
 * new one is scanned when the Warehouse finds it, by the image's `<warehouse>-scan` Stage, whose Job is retried until
 * the scan is recorded; its newest scans are then its current digests.
 * Pure: the state in, the references out, sorted and each once.
 */
import type { StateSnapshot } from '../state/types.js';
import { newestScanFirst } from '../state/vulnerabilities.js';
import { compareCodeUnits } from '../util/compare.js';

/** One digest to scan: the image whose state file records it, and the reference Trivy is given. */
export interface RescanTarget {
  readonly image: string;
  readonly kind: 'base' | 'external';
  readonly digest: string;
  /** `registry/repository@digest`. */
  readonly reference: string;
}

/** Scans of an external image whose digests are rescanned: the newest few (as many as state keeps). */
const EXTERNAL_DIGESTS = 2;

/** Every digest the rescan covers. */
export function scanTargets(state: StateSnapshot): RescanTarget[] {
  const targets: RescanTarget[] = [];
  for (const base of state.baseImages.values()) {
    if (base.tag === null || base.untracked !== undefined || base.dependents.length === 0) continue;
    const digests = [base.rebuild?.current?.digest, base.rebuild?.latest?.digest].flatMap((d) =>
      d === undefined ? [] : [d],
    );
    for (const digest of new Set(digests)) {
      targets.push({
        image: base.name,
        kind: 'base',
        digest,
        reference: `${base.registry}/${base.repository}@${digest}`,
      });
    }
  }
  for (const image of state.images.values()) {
    if (image.kind !== 'external') continue;
    const newest = [...(image.vulnerabilities?.scans ?? [])].sort(newestScanFirst).slice(0, EXTERNAL_DIGESTS);
    for (const digest of new Set(newest.map((s) => s.digest))) {
      targets.push({
        image: image.name,
        kind: 'external',
        digest,
        reference: `${image.registry}/${image.repository}@${digest}`,
      });
    }
  }
  return targets.sort((a, b) => compareCodeUnits(a.reference, b.reference) || compareCodeUnits(a.image, b.image));
}
