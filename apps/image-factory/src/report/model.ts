/**
 * What a report shows (issue 13), as data: every image with its build, age, bases and their freshness, its pending
 * rebuild and last trigger; the base images; the dependency graph as nodes and edges; a summary. Pure: state,
 * enrolment and (optionally) a live status in, the report out. The HTML page, JSON and OpenMetrics render this.
 */
import type { Enrolment } from '../enrolment/types.js';
import { pendingByImage } from '../rebuild/record.js';
import type { LiveStatus } from '../registry/live-status.js';
import type { RebuildHistoryEntry, StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';

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
  readonly ageDays: number | null;
  readonly bases: readonly ReportBase[];
  /** A rebuild is pending, or a base was released after the build; null when unknown. */
  readonly stale: boolean | null;
  readonly pending: {
    readonly due: string;
    readonly reason: 'delay' | 'urgent' | 'waiting';
    readonly waitFor: readonly string[];
    readonly causes: readonly string[];
  } | null;
  readonly lastTrigger: {
    readonly at: string;
    readonly result: string;
    readonly key?: string;
    readonly answer?: string;
  } | null;
}

export interface Report {
  readonly generatedAt: string;
  readonly images: readonly ReportImage[];
  readonly baseImages: readonly {
    readonly name: string;
    readonly reference: string;
    readonly dependents: readonly string[];
    readonly managedImage: string | null;
    readonly pinned: boolean;
  }[];
  /** Nodes: every image and every base image not built here; edges: base → image built on it. */
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
    readonly failedTriggers: number;
    readonly oldestBuildAgeDays: number | null;
  };
}

const DAY_MS = 86_400_000;

/** Build the report; `live` (status --live) adds creation times, release times and staleness. */
export function buildReport(state: StateSnapshot, enrolment: Enrolment, now: Date, live?: LiveStatus): Report {
  const pending = pendingByImage(state);
  const liveBases = new Map((live?.baseImages ?? []).map((b) => [b.name, b]));
  const liveManaged = new Map((live?.managedImages ?? []).map((m) => [m.name, m]));
  const history = new Map<string, RebuildHistoryEntry>();
  for (const base of state.baseImages.values()) {
    for (const h of base.rebuild?.history ?? []) {
      if (h.result === 'fresh' || h.result === 'record-only') continue;
      const known = history.get(h.image);
      if (known === undefined || known.at <= h.at) history.set(h.image, h);
    }
  }
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
        lastTrigger: null,
      });
      continue;
    }
    const created = liveManaged.get(image.name)?.created ?? null;
    const names = [...new Set(image.baseImages.map((b) => b.name))].sort(compareCodeUnits);
    const bases = names.map((name): ReportBase => {
      const base = state.baseImages.get(name);
      const seen = liveBases.get(name);
      const recorded = base?.rebuild?.latest ?? base?.rebuild?.current;
      const digest = seen?.digest ?? recorded?.digest ?? null;
      const released = seen?.released ?? recorded?.released ?? null;
      return {
        name,
        reference: base?.reference ?? name,
        digest,
        released,
        stale: created === null || released === null ? null : released > created,
      };
    });
    const p = pending.get(image.name);
    const last = history.get(image.name);
    const staleByBase = bases.some((b) => b.stale === true)
      ? true
      : bases.every((b) => b.stale === false)
        ? false
        : null;
    images.push({
      name: image.name,
      kind: 'managed',
      reference,
      build: image.build === undefined ? null : { tag: image.build.tag, digest: image.build.digest },
      created,
      ageDays: created === null ? null : Math.floor((now.getTime() - Date.parse(created)) / DAY_MS),
      bases,
      stale: p !== undefined ? true : staleByBase,
      pending:
        p === undefined
          ? null
          : {
              due: p.due,
              reason: p.waitFor.length > 0 ? 'waiting' : p.urgent ? 'urgent' : 'delay',
              waitFor: p.waitFor,
              causes: p.causes.map((c) => `${c.base}@${c.digest}`),
            },
      lastTrigger:
        last === undefined
          ? null
          : {
              at: last.at,
              result: last.result,
              ...(last.key === undefined ? {} : { key: last.key }),
              ...(last.answer === undefined ? {} : { answer: last.answer }),
            },
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
    }));
  const nodes = [
    ...baseImages.filter((b) => b.managedImage === null).map((b) => ({ id: b.name, kind: 'base' as const })),
    ...images.map((i) => ({ id: i.name, kind: i.kind })),
  ].sort((a, b) => compareCodeUnits(a.id, b.id));
  const edges = baseImages
    .flatMap((b) => b.dependents.map((to) => ({ from: b.managedImage ?? b.name, to })))
    .sort((a, b) => compareCodeUnits(`${a.from} ${a.to}`, `${b.from} ${b.to}`));
  const ages = images.flatMap((i) => (i.ageDays === null ? [] : [i.ageDays]));
  return {
    generatedAt: `${now.toISOString().slice(0, 19)}Z`,
    images,
    baseImages,
    graph: {
      nodes,
      edges: edges.filter((e, i) => i === 0 || `${e.from} ${e.to}` !== `${edges[i - 1]?.from} ${edges[i - 1]?.to}`),
    },
    summary: {
      images: images.length,
      managed: images.filter((i) => i.kind === 'managed').length,
      external: images.filter((i) => i.kind === 'external').length,
      baseImages: baseImages.length,
      stale: images.filter((i) => i.stale === true).length,
      pendingRebuilds: images.filter((i) => i.pending !== null).length,
      failedTriggers: images.filter((i) => i.lastTrigger?.result === 'failed').length,
      oldestBuildAgeDays: ages.length === 0 ? null : Math.max(...ages),
    },
  };
}
