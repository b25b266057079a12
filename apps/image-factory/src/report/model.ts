/**
 * What a report shows (issue 13), as data: every image with its build, age, bases and their freshness, its pending
 * rebuild, claims awaiting an answer and last trigger; the base images; the dependency graph as nodes and edges; a
 * summary; and what the scans recorded in git say (issue 21): a base or external image's current digest's counts,
 * fixable CRITICALs, EOSL and scan age, a managed image's bases' and what a rebuild would fix; the base digests the
 * signature gate blocked or warned about (issue 22). Pure: state, enrolment and (optionally) the registries' facts in, the report out; every freshness rule
 * is state/freshness.ts's. The HTML page, JSON and OpenMetrics render this.
 */
import type { Enrolment } from '../enrolment/types.js';
import { type GatedDigest, gatedDigests } from '../rebuild/index.js';
import type { LiveRegistryFailure, LiveStatus } from '../registry/live-status.js';
import {
  baseNamesOf,
  buildFreshness,
  type CarriedVulnerabilities,
  carriedVulnerabilities,
  latestHistoryByImage,
  newestRecordedDigest,
  owedRebuilds,
  pendingReason,
  scanFacts,
  type VulnerabilityFacts,
} from '../state/freshness.js';
import type { StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { formatInstant } from '../util/time.js';

export interface ReportBase {
  readonly name: string;
  readonly reference: string;
  /** The newest digest known (live, else recorded by the rebuild logic), and its release time. */
  readonly digest: string | null;
  readonly released: string | null;
  /** Released after the image's build: true; null when either time is unknown. */
  readonly stale: boolean | null;
}

export interface ReportImage {
  readonly name: string;
  readonly kind: 'managed' | 'external';
  readonly reference: string;
  readonly build: { readonly tag: string; readonly digest: string } | null;
  readonly created: string | null;
  /** Whole days since `created`; null when unknown or later than the report's time. */
  readonly ageDays: number | null;
  readonly bases: readonly ReportBase[];
  /** A rebuild is owed (pending or claimed), or a base was released after the build; null when unknown. */
  readonly stale: boolean | null;
  readonly pending: {
    readonly due: string;
    /** Why it is not triggered yet: waiting for an ancestor's new build (even when urgent), urgent, or the delay. */
    readonly reason: 'delay' | 'urgent' | 'waiting';
    readonly urgent: boolean;
    readonly waitFor: readonly string[];
    readonly causes: readonly string[];
    /** Why the last sweep that found it due did not send it (no token, no workflow); null: nothing held it back. */
    readonly notSent: string | null;
  } | null;
  /** Rebuilds claimed whose CI answer is not recorded yet (a job killed between claim and answer leaves one). */
  readonly claims: readonly { readonly key: string; readonly claimedAt: string; readonly sends: number }[];
  readonly lastTrigger: {
    readonly at: string;
    readonly result: string;
    readonly key?: string;
    readonly answer?: string;
    readonly run?: string;
  } | null;
  /** An external image's recorded scans (null: a managed image, or no state file yet). */
  readonly vulnerabilities: VulnerabilityFacts | null;
  /** What a managed image's bases carry and what a rebuild would fix (null: an external image). */
  readonly carried: CarriedVulnerabilities | null;
}

export interface Report {
  readonly generatedAt: string;
  /** With --live: when the registries were asked, and the ones that failed (their images' facts are unknown). */
  readonly live: { readonly checkedAt: string; readonly failedRegistries: readonly LiveRegistryFailure[] } | null;
  readonly images: readonly ReportImage[];
  readonly baseImages: readonly {
    readonly name: string;
    readonly reference: string;
    readonly dependents: readonly string[];
    readonly managedImage: string | null;
    readonly pinned: boolean;
    /** Its recorded scans: the digest in use's, the newest digest's, what a rebuild onto it would fix. */
    readonly vulnerabilities: VulnerabilityFacts;
  }[];
  /**
   * Base digests the signature gate recorded (rebuild/gate.ts, one rule for every view): blocked (an enforced
   * policy failed: never decided on or pinned) and warned about (a warn policy failed: used), by base then digest.
   */
  readonly signatures: {
    readonly blocked: readonly GatedDigest[];
    readonly warnings: readonly GatedDigest[];
  };
  /** Nodes: every image and every base image not built here; edges: base → image built on it, each once. */
  readonly graph: {
    readonly nodes: readonly { readonly id: string; readonly kind: 'base' | 'managed' | 'external' }[];
    readonly edges: readonly { readonly from: string; readonly to: string }[];
  };
  readonly summary: {
    readonly images: number;
    readonly managed: number;
    readonly external: number;
    readonly baseImages: number;
    readonly stale: number;
    readonly pendingRebuilds: number;
    /** Images with a claim awaiting its CI's answer. */
    readonly claimedRebuilds: number;
    /** Pending rebuilds the last sweep found due and did not send, by reason (sorted). */
    readonly unsentRebuilds: readonly { readonly reason: string; readonly images: number }[];
    readonly failedTriggers: number;
    /** Base digests recorded blocked by a signature policy, and how many of them carried no signature at all. */
    readonly blockedDigests: number;
    readonly unsignedDigests: number;
    readonly oldestBuildAgeDays: number | null;
    /**
     * Base and external images by what the scan of the digest in use says: scanned, not scanned, with a fixable
     * CRITICAL, on an end-of-life OS; and managed images whose bases carry a fixable CRITICAL.
     */
    readonly vulnerabilities: {
      readonly scanned: number;
      readonly notScanned: number;
      readonly fixableCritical: number;
      readonly eosl: number;
      readonly managedWithFixableCritical: number;
    };
  };
}

/** Build the report as of `now`; `live` (the registries' facts) adds creation times, release times and staleness. */
export function buildReport(state: StateSnapshot, enrolment: Enrolment, now: Date, live?: LiveStatus): Report {
  const asOf = formatInstant(now);
  const owed = owedRebuilds(state);
  const liveBases = new Map(live?.baseImages.map((b) => [b.name, b]));
  const liveManaged = new Map(live?.managedImages.map((m) => [m.name, m]));
  const history = latestHistoryByImage(state, (h) => h.result !== 'fresh' && h.result !== 'record-only');
  const images: ReportImage[] = [];
  for (const entry of [...enrolment.images].sort((a, b) => compareCodeUnits(a.name, b.name))) {
    const image = state.images.get(entry.name);
    const reference = `${entry.registry}/${entry.repository}`;
    if (image === undefined || image.kind === 'external') {
      images.push({
        name: entry.name,
        kind: entry.kind,
        reference,
        build: null,
        created: null,
        ageDays: null,
        bases: [],
        stale: null,
        pending: null,
        claims: [],
        lastTrigger: null,
        vulnerabilities: image === undefined ? null : scanFacts(image, asOf),
        carried: null,
      });
      continue;
    }
    const created = liveManaged.get(image.name)?.created ?? null;
    const known = baseNamesOf(image).map((name) => {
      const base = state.baseImages.get(name);
      const seen = liveBases.get(name);
      const recorded = newestRecordedDigest(base);
      return {
        name,
        reference: base?.reference ?? name,
        digest: seen?.digest ?? recorded?.digest ?? null,
        released: seen?.released ?? recorded?.released ?? null,
      };
    });
    const freshness = buildFreshness(created, known, asOf);
    const staleByName = new Map(freshness.bases.map((b) => [b.name, b.stale]));
    const bases = known.map((b): ReportBase => ({ ...b, stale: staleByName.get(b.name) ?? null }));
    const o = owed.get(image.name);
    const p = o?.pending ?? null;
    const last = history.get(image.name);
    images.push({
      name: image.name,
      kind: 'managed',
      reference,
      build: image.build === undefined ? null : { tag: image.build.tag, digest: image.build.digest },
      created,
      ageDays: freshness.ageDays,
      bases,
      stale: o !== undefined ? true : freshness.stale,
      pending:
        p === null
          ? null
          : {
              due: p.due,
              reason: pendingReason(p),
              urgent: p.urgent,
              waitFor: p.waitFor,
              causes: p.causes.map((c) => `${c.base}@${c.digest}`),
              notSent: p.notSent,
            },
      claims: (o?.claims ?? []).map((c) => ({ key: c.key, claimedAt: c.claimedAt, sends: c.sends })),
      lastTrigger:
        last === undefined
          ? null
          : {
              at: last.at,
              result: last.result,
              ...(last.key === undefined ? {} : { key: last.key }),
              ...(last.answer === undefined ? {} : { answer: last.answer }),
              ...(last.run === undefined ? {} : { run: last.run }),
            },
      vulnerabilities: null,
      carried: carriedVulnerabilities(image, state, asOf),
    });
  }
  const baseImages = [...state.baseImages.values()]
    .sort((a, b) => compareCodeUnits(a.name, b.name))
    .map((b) => ({
      name: b.name,
      reference: b.reference,
      dependents: b.dependents,
      managedImage: b.managedImage ?? null,
      pinned: b.untracked !== undefined,
      vulnerabilities: scanFacts(b, asOf),
    }));
  const nodes = [
    ...baseImages.filter((b) => b.managedImage === null).map((b) => ({ id: b.name, kind: 'base' as const })),
    ...images.map((i) => ({ id: i.name, kind: i.kind })),
  ].sort((a, b) => compareCodeUnits(a.id, b.id));
  // One edge per dependency: an image that uses a base twice (two stages, FROM and COPY --from) draws one.
  const edges = new Map<string, { from: string; to: string }>();
  for (const b of baseImages) {
    for (const to of b.dependents) {
      const from = b.managedImage ?? b.name;
      edges.set(`${from} ${to}`, { from, to });
    }
  }
  const ages = images.flatMap((i) => (i.ageDays === null ? [] : [i.ageDays]));
  const unsent = new Map<string, number>();
  for (const reason of images.flatMap((i) => (i.pending?.notSent ? [i.pending.notSent] : []))) {
    unsent.set(reason, (unsent.get(reason) ?? 0) + 1);
  }
  const scanned = [
    ...baseImages.map((b) => b.vulnerabilities),
    ...images.flatMap((i) => (i.vulnerabilities === null ? [] : [i.vulnerabilities])),
  ];
  const gated = gatedDigests(state);
  const blocked = gated.filter((g) => g.verdict === 'blocked');
  return {
    generatedAt: asOf,
    live: live === undefined ? null : { checkedAt: live.checkedAt, failedRegistries: live.failedRegistries },
    images,
    baseImages,
    signatures: { blocked, warnings: gated.filter((g) => g.verdict === 'warning') },
    graph: {
      nodes,
      edges: [...edges].sort(([a], [b]) => compareCodeUnits(a, b)).map(([, e]) => e),
    },
    summary: {
      images: images.length,
      managed: images.filter((i) => i.kind === 'managed').length,
      external: images.filter((i) => i.kind === 'external').length,
      baseImages: baseImages.length,
      stale: images.filter((i) => i.stale === true).length,
      pendingRebuilds: images.filter((i) => i.pending !== null).length,
      claimedRebuilds: images.filter((i) => i.claims.length > 0).length,
      unsentRebuilds: [...unsent]
        .sort(([a], [b]) => compareCodeUnits(a, b))
        .map(([reason, count]) => ({ reason, images: count })),
      failedTriggers: images.filter((i) => i.lastTrigger?.result === 'failed').length,
      blockedDigests: blocked.length,
      unsignedDigests: blocked.filter((g) => g.unsigned).length,
      oldestBuildAgeDays: ages.length === 0 ? null : Math.max(...ages),
      vulnerabilities: {
        scanned: scanned.filter((v) => v.scan !== null).length,
        notScanned: scanned.filter((v) => v.scan === null).length,
        fixableCritical: scanned.filter((v) => (v.scan?.fixableCritical.length ?? 0) > 0).length,
        eosl: scanned.filter((v) => v.scan?.eosl === true).length,
        managedWithFixableCritical: images.filter((i) => (i.carried?.fixableCritical.length ?? 0) > 0).length,
      },
    },
  };
}
