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
import { addSeconds, compareInstants, laterOf } from '../util/time.js';
import type { BaseDigest, GateCheck } from './gate.js';

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
 * The digests a rebuild of an image with `delaySeconds` may take from one base at `now`, best first: urgent → the
 * newest digest that fixes a CRITICAL; then every digest released (or, unknown, first seen) at least the delay before
 * now, and the first pending update's digest for this base (`firstCause`: it qualifies at its due time, so nothing
 * starves), newest first; then the first cause, then the current one. Digests recorded `blocked` (they failed an
 * enforced signature policy) are never among them, urgent or not.
 */
export function pinCandidates(
  record: RebuildRecord | undefined,
  delaySeconds: number,
  now: string,
  urgent: boolean,
  firstCause: string | undefined,
): string[] {
  if (record === undefined) return firstCause === undefined ? [] : [firstCause];
  const seen = seenDigests(record);
  // Blocked digests are dropped from the candidates last, whichever rule brought them (the first cause too).
  const blocked = new Set(seen.filter((d) => d.blocked !== undefined).map((d) => d.digest));
  const newestFirst = [...seen].reverse();
  const fixing = urgent ? newestFirst.filter((d) => d.urgent === true).map((d) => d.digest) : [];
  // Candidates: every digest at least the delay old, and the first pending update's digest (it qualifies at its due
  // time, however young: a chain's ancestor was rebuilt after the update that started the wave). The newest wins.
  const qualified = newestFirst
    .filter((d) => d.digest === firstCause || compareInstants(addSeconds(d.released ?? d.seen, delaySeconds), now) <= 0)
    .sort((a, b) => compareInstants(b.released ?? b.seen, a.released ?? a.seen))
    .map((d) => d.digest);
  const ordered = [...fixing, ...qualified, firstCause, record.current?.digest].flatMap((d) =>
    d === undefined || blocked.has(d) ? [] : [d],
  );
  return [...new Set(ordered)];
}

/**
 * The digest a rebuild of an image with `delaySeconds` takes from one base at `now` (the first of pinCandidates):
 * urgent → the newest digest that fixes a CRITICAL; else the newest released (or, unknown, first seen) at least the
 * delay before now; else the first pending update's digest for this base; else the current one. Undefined when
 * nothing is recorded for the base and no pending update names a digest of it.
 */
export function pinnedDigest(
  record: RebuildRecord | undefined,
  delaySeconds: number,
  now: string,
  urgent: boolean,
  firstCause: string | undefined,
): string | undefined {
  return pinCandidates(record, delaySeconds, now, urgent, firstCause)[0];
}

/**
 * The digest of a base that qualifies for an image's rebuild at its due time however young ("the first pending
 * update": soak without starvation, and down a chain the ancestor's new build is always younger than the root
 * update's delay): the first of `caused` this base's record saw after the image was last claimed, when this base's
 * own pending entry for the image is due. A digest already seen at that claim was left for a later wave because it
 * was too young: it ages like any other, and until a newer digest has aged enough the rebuild keeps what the image
 * was pinned to (the digest seen just before the left ones).
 */
function firstPendingUpdate(
  record: RebuildRecord | undefined,
  image: string,
  caused: readonly string[],
  now: string,
): string | undefined {
  if (record === undefined) return caused[0];
  const all = seenDigests(record);
  const seen = all.filter((d) => caused.includes(d.digest));
  const own = record.pending.find((p) => p.image === image);
  const ownDue = own === undefined || own.urgent || compareInstants(own.due, now) <= 0;
  const claimed = lastClaimed(record, image);
  const fresh = seen.find((d) => claimed === undefined || compareInstants(d.seen, claimed) > 0);
  if (ownDue && fresh !== undefined) return fresh.digest;
  if (seen.length === 0) return ownDue ? caused[0] : undefined;
  return digestBefore(all, caused);
}

/** When the image was last claimed for a rebuild, as this base's record says (claims in flight and history). */
function lastClaimed(record: RebuildRecord, image: string): string | undefined {
  const times = [
    ...(record.claims?.filter((c) => c.image === image).map((c) => c.claimedAt) ?? []),
    ...record.history
      .filter((h) => h.image === image && (h.result === 'claimed' || h.result === 'triggered'))
      .map((h) => h.at),
  ];
  return times.length === 0 ? undefined : times.reduce(laterOf);
}

/**
 * The digest seen just before the first of `digests` among `seen` (oldest first): what an image was pinned to before
 * them, if it is still kept.
 */
function digestBefore(seen: readonly SeenDigest[], digests: readonly string[]): string | undefined {
  return seen[seen.findIndex((d) => digests.includes(d.digest)) - 1]?.digest;
}

/** The signature gate's view of a base digest at pin time (gate.ts); absent: every digest is usable. */
export type PinGate = (base: string, digest: string) => GateCheck;

/** The pins of a rebuild, or why it is held back this run (and the digests whose verdict the gate still needs). */
export type GatedPins =
  | { readonly ok: true; readonly pins: Pin[] }
  | { readonly ok: false; readonly reason: string; readonly needed: BaseDigest[]; readonly unverifiable: BaseDigest[] };

/**
 * The pins of a rebuild of `image` at `now`: one per base it uses (sorted by base name), from each base's record;
 * `causes` are the pending update's (the first digest of each base in it always qualifies). With a gate, a base's
 * pin is its best candidate the gate does not block: a candidate whose verdict is not made yet (or could not be
 * made) holds the rebuild back rather than falling back to an older digest, and so does a gated base with no
 * usable digest (the CI would otherwise build on whatever the tag points to).
 */
export function gatedPinsFor(
  image: ImageState,
  baseImages: ReadonlyMap<string, BaseImageState>,
  delaySeconds: number,
  now: string,
  urgent: boolean,
  causes: readonly { readonly base: string; readonly digest: string }[],
  gate: PinGate = () => 'usable',
): GatedPins {
  if (image.kind !== 'managed') return { ok: true, pins: [] };
  const bases = [...new Set(image.baseImages.map((b) => b.name))].sort(compareCodeUnits);
  const pins: Pin[] = [];
  const needed: BaseDigest[] = [];
  const held: string[] = [];
  const unverifiable: BaseDigest[] = [];
  for (const name of bases) {
    const base = baseImages.get(name);
    if (base === undefined || base.tag === null || base.untracked !== undefined) continue;
    const record = base.rebuild;
    const caused = causes.filter((c) => c.base === name).map((c) => c.digest);
    const firstCause = firstPendingUpdate(record, image.name, caused, now);
    const choice = gatedChoice(pinCandidates(record, delaySeconds, now, urgent, firstCause), (d) => gate(name, d));
    // With every candidate blocked, or no candidate at all while a digest seen is blocked (the tag may point to it),
    // the base has no usable digest: held back too, or the CI would build on whatever the tag points to.
    const blockedSeen = record !== undefined && seenDigests(record).some((d) => d.blocked !== undefined);
    if (choice.kind === 'pin') pins.push({ base: name, digest: choice.digest });
    else if (choice.kind === 'unknown') needed.push({ base: name, digest: choice.digest });
    else if (choice.kind === 'unverifiable') {
      unverifiable.push({ base: name, digest: choice.digest });
      held.push(`${name}: ${choice.digest} could not be verified`);
    } else if (choice.kind === 'blocked' || blockedSeen)
      held.push(`${name}: no digest seen passes its signature policy`);
  }
  if (needed.length === 0 && held.length === 0) return { ok: true, pins };
  return {
    ok: false,
    reason: held.length > 0 ? `held back by the signature gate (${held.join('; ')})` : 'signatures not verified yet',
    needed,
    unverifiable,
  };
}

/**
 * The gate's choice among a base's candidates, best first: the first usable one; blocked ones are passed over; one
 * not verified yet (or not verifiable) stops the choice, never falling back to an older digest because of an outage.
 */
function gatedChoice(
  candidates: readonly string[],
  check: (digest: string) => GateCheck,
):
  | { readonly kind: 'pin' | 'unknown' | 'unverifiable'; readonly digest: string }
  | { readonly kind: 'blocked' | 'none' } {
  let blocked = false;
  for (const digest of candidates) {
    const verdict = check(digest);
    if (verdict === 'usable') return { kind: 'pin', digest };
    if (verdict === 'unknown' || verdict === 'unverifiable') return { kind: verdict, digest };
    blocked = true;
  }
  if (blocked) return { kind: 'blocked' };
  // The caller tells only 'blocked' apart from the kinds without a digest: any other name, or none, acts the same.
  // Stryker disable next-line StringLiteral,ObjectLiteral: equivalent, the caller reads 'none' as not 'blocked' only
  return { kind: 'none' };
}

/**
 * The pins of a rebuild of `image` at `now` without a signature policy (every digest not recorded `blocked` is
 * usable): one per base it uses (sorted by base name).
 */
export function pinsFor(
  image: ImageState,
  baseImages: ReadonlyMap<string, BaseImageState>,
  delaySeconds: number,
  now: string,
  urgent: boolean,
  causes: readonly { readonly base: string; readonly digest: string }[],
): Pin[] {
  const gated = gatedPinsFor(image, baseImages, delaySeconds, now, urgent, causes);
  return gated.ok ? gated.pins : [];
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
