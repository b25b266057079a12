/**
 * One wave of rebuilds (DESIGN §10), as a pure function: a base image now points to a new digest; which images
 * built on it (directly, and further down through images built here) get a rebuild, when each is due, and which
 * wait for an ancestor's new build. Times are state instants (util/time.ts), compared as instants.
 */
import { addSeconds, compareInstants, earlierOf as earlier, laterOf as later } from '../util/time.js';

/** A managed image as the wave sees it. */
export interface WaveImage {
  readonly name: string;
  readonly rebuildDelaySeconds: number;
  readonly autoRebuild: boolean;
  /** The base-image state names it is built from. */
  readonly bases: readonly string[];
  /** Its current build: creation time (null when unknown) and the base digests it records (OCI base.digest). */
  readonly build: { readonly created: string | null; readonly baseDigests: readonly string[] } | null;
}

export interface WaveGraph {
  readonly images: ReadonlyMap<string, WaveImage>;
  /** Base-image state name → the managed image it is (an organisation base built here). */
  readonly managedBase: ReadonlyMap<string, string>;
}

export interface BaseUpdate {
  readonly base: string;
  readonly digest: string;
  /** When the digest was released; null when unknown (an epoch date): then `seen` counts. */
  readonly released: string | null;
  readonly seen: string;
  /** The new digest fixes a CRITICAL vulnerability the current one has. */
  readonly urgent: boolean;
}

/** A rebuild recorded and not yet triggered. */
export interface PendingRebuild {
  readonly image: string;
  /** When its delay started: the release of the first pending update (never moved later). */
  readonly since: string;
  readonly due: string;
  readonly urgent: boolean;
  readonly causes: readonly { readonly base: string; readonly digest: string }[];
  /**
   * Ancestors in the wave whose new build it waits for, and until when at most. The wait starts when the wave is
   * decided at the earliest (a release seen late, with its due time long past, still waits) and again when an
   * ancestor's rebuild is claimed (record.ts): never triggered in the same run as its ancestor.
   */
  readonly waitFor: readonly string[];
  readonly waitUntil: string | null;
}

export type WaveDecision =
  | ({ readonly action: 'rebuild' } & PendingRebuild)
  | { readonly action: 'fresh'; readonly image: string; readonly reason: string }
  | { readonly action: 'record-only'; readonly image: string; readonly since: string };

export type WaveResult =
  | { readonly ok: true; readonly decisions: readonly WaveDecision[] }
  | { readonly ok: false; readonly cycle: readonly string[] };

/** How long an image waits past its own due time for an ancestor's new build before it is rebuilt anyway. */
export const ANCESTOR_WAIT_SECONDS = 3600;

/** Direct dependents of a base: the managed images that list it. */
function dependentsOf(graph: WaveGraph, base: string): string[] {
  return [...graph.images.values()]
    .filter((i) => i.bases.includes(base))
    .map((i) => i.name)
    .sort();
}

/** Images built on `image` (through the base-image names that are it). */
function childrenOf(graph: WaveGraph, image: string): string[] {
  const bases = [...graph.managedBase].flatMap(([base, managed]) => (managed === image ? [base] : []));
  return [...new Set(bases.flatMap((b) => dependentsOf(graph, b)))].sort();
}

/** A cycle reachable from `start` in the images-built-on graph, as `[a, b, …, a]`, or undefined. */
export function findCycle(graph: WaveGraph, start: readonly string[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    path.push(name);
    for (const child of childrenOf(graph, name)) {
      const found = visit(child);
      if (found !== undefined) return found;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of start) {
    const found = visit(name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Decide the wave started by `update`. Each image appears once (one rebuild per image per wave); an existing pending
 * rebuild is merged, keeping its earlier start (no starvation) and its urgency.
 */
export function decideWave(
  graph: WaveGraph,
  update: BaseUpdate,
  pending: ReadonlyMap<string, PendingRebuild>,
): WaveResult {
  const start = update.released ?? update.seen;
  const direct = dependentsOf(graph, update.base);
  const cycle = findCycle(graph, direct);
  if (cycle !== undefined) return { ok: false, cycle };
  const decisions = new Map<string, WaveDecision>();
  /** Images of this wave that will be rebuilt, with their due times (for their descendants' waits). */
  const rebuilding = new Map<string, string>();
  const queue: { name: string; ancestors: readonly string[] }[] = direct.map((name) => ({ name, ancestors: [] }));
  // Breadth first: an image is decided after every ancestor that reaches it on a shorter path.
  for (let next = 0; next < queue.length; next++) {
    const entry = queue[next];
    if (entry === undefined) break;
    const { name, ancestors } = entry;
    const image = graph.images.get(name);
    if (image === undefined) continue;
    const previous = decisions.get(name);
    if (previous !== undefined) {
      // Reached again through another ancestor: it waits for that one too.
      if (previous.action === 'rebuild' && ancestors.length > 0) {
        const waitFor = [...new Set([...previous.waitFor, ...ancestors])].sort();
        const waitUntil = waitEnd(previous.due, rebuilding, waitFor, update.seen);
        decisions.set(name, { ...previous, waitFor, waitUntil });
      }
      continue;
    }
    if (ancestors.length === 0) {
      const fresh = freshness(image, update);
      if (fresh !== undefined) {
        decisions.set(name, { action: 'fresh', image: name, reason: fresh });
        continue;
      }
    }
    const before = pending.get(name);
    const since = before === undefined ? start : earlier(before.since, start);
    if (!image.autoRebuild) {
      decisions.set(name, { action: 'record-only', image: name, since });
      continue;
    }
    const urgent = update.urgent || (before?.urgent ?? false);
    const due = urgent
      ? earlier(before?.due ?? update.seen, update.seen)
      : addSeconds(since, image.rebuildDelaySeconds);
    const causes = [...(before?.causes ?? [])];
    if (!causes.some((c) => c.base === update.base && c.digest === update.digest))
      causes.push({ base: update.base, digest: update.digest });
    causes.sort((a, b) => (a.base === b.base ? (a.digest < b.digest ? -1 : 1) : a.base < b.base ? -1 : 1));
    const waitFor = [...ancestors].sort();
    const waitUntil = waitFor.length === 0 ? null : waitEnd(due, rebuilding, waitFor, update.seen);
    decisions.set(name, { action: 'rebuild', image: name, since, due, urgent, causes, waitFor, waitUntil });
    rebuilding.set(name, due);
    for (const child of childrenOf(graph, name)) queue.push({ name: child, ancestors: [name] });
  }
  return {
    ok: true,
    decisions: [...decisions.values()].sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0)),
  };
}

/**
 * The bound of an ancestor wait: an hour past the latest of the image's own due time, its ancestors' due times and
 * the moment the wave is decided (`seen`): a wait counts from when it starts, never from a past due time.
 */
function waitEnd(due: string, rebuilding: ReadonlyMap<string, string>, ancestors: readonly string[], seen: string) {
  const start = ancestors.reduce((at, name) => later(at, rebuilding.get(name) ?? at), later(due, seen));
  return addSeconds(start, ANCESTOR_WAIT_SECONDS);
}

/**
 * Why a direct dependent needs no rebuild for this update, or undefined: its build records the new digest as its base,
 * or was created strictly after the digest was released (a build made in the same second cannot be known to hold it).
 */
function freshness(image: WaveImage, update: BaseUpdate): string | undefined {
  if (image.build === null) return undefined;
  if (image.build.baseDigests.includes(update.digest)) return `its build records ${update.digest} as its base`;
  if (
    update.released !== null &&
    image.build.created !== null &&
    compareInstants(image.build.created, update.released) > 0
  ) {
    return `built ${image.build.created}, after ${update.digest} was released (${update.released})`;
  }
  return undefined;
}
