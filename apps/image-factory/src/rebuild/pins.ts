/**
 * Builds use the digest that was decided (DESIGN §10): when a rebuild is triggered, each base of the image is pinned
 * to the newest digest released at least the image's rebuildDelay before now — soak without starvation: the first
 * pending update's digest always qualifies at its due time — or, for an urgent rebuild, to the digest that fixes the
 * CRITICAL. The pins reach the CI as BuildKit named contexts, one line per base: `<name>=docker-image://<repo>@<digest>`,
 * where `<name>` is what BuildKit's Dockerfile frontend looks a FROM up by (moby/buildkit v0.32.2
 * frontend/dockerui/config.go:468-486: the FROM, after ARG expansion, normalised and written in its familiar form —
 * `docker.io/library/` dropped, `:latest` trimmed — tried first as `<name>::<platform>`, then as `<name>`).
 * Pure: times in, pins out.
 */
import type { BaseImageState, ImageState, RebuildRecord, SeenDigest } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { addSeconds, compareInstants } from '../util/time.js';

/** One base of an image and the digest its rebuild must use. */
export interface Pin {
  readonly base: string;
  readonly digest: string;
}

/** The digests a base has been seen at, oldest first (files written before `seen` was kept: current, latest). */
export function seenDigests(record: RebuildRecord): readonly SeenDigest[] {
  if (record.seen !== undefined && record.seen.length > 0) return record.seen;
  return [record.current, record.latest].flatMap((d) => (d === undefined ? [] : [d]));
}

/**
 * The digest a rebuild of an image with `delaySeconds` takes from one base at `now`: urgent → the newest digest that
 * fixes a CRITICAL; else the newest released (or, unknown, first seen) at least the delay before now; else the first
 * pending update's digest for this base (`firstCause`: it qualifies at its due time, so nothing starves); else the
 * current one. Undefined when nothing is recorded for the base.
 */
export function pinnedDigest(
  record: RebuildRecord | undefined,
  delaySeconds: number,
  now: string,
  urgent: boolean,
  firstCause: string | undefined,
): string | undefined {
  if (record === undefined) return firstCause;
  const seen = seenDigests(record);
  const newestFirst = [...seen].reverse();
  if (urgent) {
    const fixing = newestFirst.find((d) => d.urgent === true);
    if (fixing !== undefined) return fixing.digest;
  }
  // Candidates: every digest at least the delay old, and the first pending update's digest (it qualifies at its due
  // time, however young: a chain's ancestor was rebuilt after the update that started the wave). The newest wins.
  const candidates = newestFirst.filter(
    (d) => d.digest === firstCause || compareInstants(addSeconds(d.released ?? d.seen, delaySeconds), now) <= 0,
  );
  const newest = candidates.sort((a, b) => compareInstants(b.released ?? b.seen, a.released ?? a.seen))[0];
  return newest?.digest ?? firstCause ?? record.current?.digest;
}

/**
 * The pins of a rebuild of `image` at `now`: one per base it uses (sorted by base name), from each base's record;
 * `causes` are the pending update's (the first digest of each base in it always qualifies).
 */
export function pinsFor(
  image: ImageState,
  baseImages: ReadonlyMap<string, BaseImageState>,
  delaySeconds: number,
  now: string,
  urgent: boolean,
  causes: readonly { readonly base: string; readonly digest: string }[],
): Pin[] {
  if (image.kind !== 'managed') return [];
  const bases = [...new Set(image.baseImages.map((b) => b.name))].sort(compareCodeUnits);
  return bases.flatMap((name) => {
    const base = baseImages.get(name);
    if (base === undefined || base.tag === null || base.untracked !== undefined) return [];
    const record = base.rebuild;
    const caused = causes.filter((c) => c.base === name).map((c) => c.digest);
    const firstCause =
      record === undefined
        ? caused[0]
        : (seenDigests(record).find((d) => caused.includes(d.digest))?.digest ?? caused[0]);
    const digest = pinnedDigest(record, delaySeconds, now, urgent, firstCause);
    return digest === undefined ? [] : [{ base: name, digest }];
  });
}

/** The name BuildKit looks a FROM up by among named contexts: the familiar form, without `:latest`. */
export function buildContextName(base: Pick<BaseImageState, 'registry' | 'repository' | 'tag'>): string {
  const repository =
    base.registry === 'docker.io'
      ? base.repository.startsWith('library/')
        ? base.repository.slice('library/'.length)
        : base.repository
      : `${base.registry}/${base.repository}`;
  return base.tag === null || base.tag === 'latest' ? repository : `${repository}:${base.tag}`;
}

/** The named-context lines for `pins`, ready for build-push-action's `build-contexts` and `--build-context`. */
export function buildContexts(
  pins: readonly Pin[],
  baseImages: ReadonlyMap<string, Pick<BaseImageState, 'registry' | 'repository' | 'tag'>>,
): string {
  return pins
    .flatMap((pin) => {
      const base = baseImages.get(pin.base);
      if (base === undefined) return [];
      return [`${buildContextName(base)}=docker-image://${base.registry}/${base.repository}@${pin.digest}`];
    })
    .sort(compareCodeUnits)
    .join('\n');
}
