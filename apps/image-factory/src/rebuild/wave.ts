/**
 * One wave of rebuilds (DESIGN §10), as a pure function: a base image now points to a new digest; which images
 * built on it (directly, and further down through images built here) get a rebuild, when each is due, and which
 * wait for an ancestor's new build. Times are state instants (util/time.ts), compared as instants.
 */
import { compareCodeUnits } from '../util/compare.js';
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

const byName = (a: WaveImage, b: WaveImage) => compareCodeUnits(a.name, b.name);

/** Direct dependents of a base: the managed images that list it, by name. */
function dependentsOf(graph: WaveGraph, base: string): WaveImage[] {
  return [...graph.images.values()].filter((i) => i.bases.includes(base)).sort(byName);
}

/** Images built on `image` (through the base-image names that are it), each once, by name. */
function childrenOf(graph: WaveGraph, image: string): WaveImage[] {
  const bases = [...graph.managedBase].filter(([, managed]) => managed === image).map(([base]) => base);
  return [...new Set(bases.flatMap((b) => dependentsOf(graph, b)))].sort(byName);
}

/** A cycle reachable from `start` in the images-built-on graph, as `[a, b, …, a]`, or undefined. */
export function findCycle(graph: WaveGraph, start: readonly string[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  // Stryker disable next-line ArrayDeclaration: a path seeded with "Stryker was here" slices the same (no image has that name: names are DNS-1123 labels)
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    path.push(name);
    for (const child of childrenOf(graph, name)) {
      const found = visit(child.name);
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
  const cycle = findCycle(
    graph,
    direct.map((i) => i.name),
  );
  if (cycle !== undefined) return { ok: false, cycle };
  const decisions = new Map<string, WaveDecision>();
  /** Images of this wave that will be rebuilt, with their due times (for their descendants' waits). */
  const rebuilding = new Map<string, string>();
  /** The images to decide, each with the ancestor it was reached through (none for a direct dependent). */
  const queue: { image: WaveImage; ancestors: readonly string[] }[] = direct.map((image) => ({ image, ancestors: [] }));
  // Breadth first: an image is decided after every ancestor that reaches it on a shorter path. (A for-of over an
  // array visits the entries pushed while it runs.)
  for (const { image, ancestors } of queue) {
    const name = image.name;
    const previous = decisions.get(name);
    if (previous !== undefined) {
      // Reached again (only ever through an ancestor: a direct dependent is queued once): it waits for that one too.
      if (previous.action === 'rebuild') {
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
    causes.sort((a, b) => compareCodeUnits(a.base, b.base) || compareCodeUnits(a.digest, b.digest));
    // At most one: the ancestor it was first reached through.
    const waitFor = ancestors;
    const waitUntil = waitFor.length === 0 ? null : waitEnd(due, rebuilding, waitFor, update.seen);
    decisions.set(name, { action: 'rebuild', image: name, since, due, urgent, causes, waitFor, waitUntil });
    rebuilding.set(name, due);
    for (const child of childrenOf(graph, name)) queue.push({ image: child, ancestors: [name] });
  }
  return {
    ok: true,
    decisions: [...decisions.values()].sort((a, b) => compareCodeUnits(a.image, b.image)),
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
  // compareInstants of a time that is not an instant is NaN (neither later nor earlier): the null checks are for the
  // type; a null release or creation time already makes the comparison false.
  if (
    // Stryker disable next-line ConditionalExpression,LogicalOperator: a null release compares as NaN, never later
    update.released !== null &&
    // Stryker disable next-line ConditionalExpression: a null creation time compares as NaN, never later
    image.build.created !== null &&
    compareInstants(image.build.created, update.released) > 0
  ) {
    return `built ${image.build.created}, after ${update.digest} was released (${update.released})`;
  }
  return undefined;
}
