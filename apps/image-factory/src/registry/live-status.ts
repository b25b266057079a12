/**
 * What the registries say now about everything in state (the facts behind `status --live` and `report --live`).
 * Base images: the digest their tag points to and when it was released. External images: the tag Kargo would pick,
 * its digest and release time. Managed images: when their last analysed build was created. Facts only: whether a
 * build is stale, and how old, is state/freshness.ts's to say. One HEAD per distinct reference; release times cost
 * GETs only for digests not seen earlier in the run.
 */
import { exitCodeOf, FactoryError, messageOf } from '../errors.js';
import type { StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { mapLimit } from '../util/map-limit.js';
import { formatInstant } from '../util/time.js';
import type { RateLimit, RegistryClient, RepositoryRef, RequestCounts } from './client.js';
import { imageFacts } from './inspect.js';
import { formatPlatform, type Platform, parsePlatform } from './platform.js';
import { chooseTag } from './tag-selection.js';

export interface LiveBaseImage {
  readonly name: string;
  readonly reference: string;
  /** Pinned by digest in the Dockerfile: nothing to look up. */
  readonly pinned: boolean;
  readonly digest: string | null;
  readonly released: string | null;
  readonly dependents: readonly string[];
  readonly error: string | null;
}

export interface LiveExternalImage {
  readonly name: string;
  /** The reference Kargo would pick now (`repo:tag`), or the repository when no tag could be chosen. */
  readonly reference: string;
  readonly digest: string | null;
  readonly released: string | null;
  readonly error: string | null;
}

export interface LiveManagedImage {
  readonly name: string;
  /** The last analysed build (`repo:tag@digest`), or null when none was analysed yet. */
  readonly build: string | null;
  /** When that build was created (null: unknown, an epoch date, or the lookup failed). */
  readonly created: string | null;
  readonly error: string | null;
}

/** What the registries answered: one entry per image and base image in state, each with its error if any. */
export interface LiveStatus {
  readonly checkedAt: string;
  readonly baseImages: readonly LiveBaseImage[];
  readonly externalImages: readonly LiveExternalImage[];
  readonly managedImages: readonly LiveManagedImage[];
  readonly requests: RequestCounts;
  readonly rateLimits: readonly ({ readonly registry: string } & RateLimit)[];
  /** The registries a lookup failed at, sorted, each with the images it could not answer for (by name, sorted). */
  readonly failedRegistries: readonly LiveRegistryFailure[];
}

/** A registry that failed at least one lookup: which images, and whether it kept failing (3) or refused (1). */
export interface LiveRegistryFailure {
  readonly registry: string;
  readonly images: readonly string[];
  /** The exit status its failures call for: 3 when a lookup kept failing (safe to run again), else 1. */
  readonly exitCode: number;
  /** The first failure's message. */
  readonly error: string;
}

export interface LiveStatusOptions {
  readonly concurrency: number;
  readonly now: Date;
  /**
   * Release times already known, by `releaseKey` (a digest's content never changes, so neither does its creation
   * time): a digest found here, or recorded in the state (releasesInState), costs its HEAD only, no GETs.
   */
  readonly knownReleases?: ReadonlyMap<string, string | null>;
}

/**
 * Release times the state already records: the rebuild logic keeps `released` for a base image's current and latest
 * digests (read with the base's platform), so a run over unchanged bases costs one HEAD each and no GET.
 */
export function releasesInState(state: StateSnapshot): Map<string, string | null> {
  const known = new Map<string, string | null>();
  for (const base of state.baseImages.values()) {
    const parsed = base.platform === undefined ? undefined : parsePlatform(base.platform);
    if (parsed?.ok === false) continue;
    for (const seen of [base.rebuild?.current, base.rebuild?.latest]) {
      if (seen !== undefined) known.set(releaseKey(seen.digest, parsed?.value), seen.released);
    }
  }
  return known;
}

/** The key of a release time: the digest, and the platform chosen in it (an index has one time per platform). */
export function releaseKey(digest: string, platform: Platform | undefined): string {
  return platform === undefined ? digest : `${digest} ${formatPlatform(platform)}`;
}

interface Lookup {
  readonly digest: string | null;
  readonly released: string | null;
  readonly error: FactoryError | null;
}

/** The promise for `key`, made by `make` the first time: each lookup is asked once per run. */
function once<T>(promises: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let known = promises.get(key);
  if (known === undefined) {
    known = make();
    promises.set(key, known);
  }
  return known;
}

function asFactoryError(error: unknown): FactoryError {
  return error instanceof FactoryError ? error : new FactoryError('internal', messageOf(error), { cause: error });
}

/**
 * Ask the registries about every image in `state`. A failure is kept in its entry (`error`) and the others are
 * still asked; `exitCode` is 0 when every lookup answered, 3 when one kept failing (transient), else 1.
 */
export async function liveStatus(
  client: RegistryClient,
  state: StateSnapshot,
  options: LiveStatusOptions,
): Promise<{ status: LiveStatus; exitCode: number; releases: ReadonlyMap<string, string | null> }> {
  const known = new Map([...releasesInState(state), ...(options.knownReleases ?? [])]);
  const heads = new Map<string, Promise<string>>();
  const facts = new Map<string, Promise<string | null>>();
  const head = (repo: RepositoryRef, tag: string) =>
    once(heads, `${repo.registry}/${repo.repository}:${tag}`, () => client.head(repo, tag).then((h) => h.digest));
  const released = (repo: RepositoryRef, digest: string, platform: Platform | undefined) => {
    const key = releaseKey(digest, platform);
    const cached = known.get(key);
    return once(facts, key, () =>
      cached !== undefined
        ? Promise.resolve(cached)
        : imageFacts(client, repo, digest, platform).then((f) => f.created),
    );
  };
  const lookup = async (repo: RepositoryRef, tag: string, platformText: string | undefined): Promise<Lookup> => {
    try {
      const parsed = platformText === undefined ? undefined : parsePlatform(platformText);
      if (parsed?.ok === false) throw new FactoryError('invalid-state', `platform in state: ${parsed.error}`);
      const digest = await head(repo, tag);
      return { digest, released: await released(repo, digest, parsed?.value), error: null };
    } catch (error) {
      return { digest: null, released: null, error: asFactoryError(error) };
    }
  };

  const bases = [...state.baseImages.values()].sort((a, b) => compareCodeUnits(a.name, b.name));
  const externals = [...state.images.values()]
    .flatMap((i) => (i.kind === 'external' ? [i] : []))
    .sort((a, b) => compareCodeUnits(a.name, b.name));
  const managed = [...state.images.values()]
    .flatMap((i) => (i.kind === 'managed' ? [i] : []))
    .sort((a, b) => compareCodeUnits(a.name, b.name));
  const errors: { registry: string; image: string; error: FactoryError }[] = [];
  const keep = (at: { registry: string; name: string }, error: FactoryError | null) => {
    if (error !== null) errors.push({ registry: at.registry, image: at.name, error });
    return error === null ? null : error.message;
  };

  const baseResults = await mapLimit(bases, options.concurrency, async (base): Promise<LiveBaseImage> => {
    const common = { name: base.name, reference: base.reference, dependents: base.dependents };
    if (base.tag === null) {
      return { ...common, pinned: true, digest: base.digest, released: null, error: null };
    }
    const found = await lookup({ registry: base.registry, repository: base.repository }, base.tag, base.platform);
    return { ...common, pinned: false, digest: found.digest, released: found.released, error: keep(base, found.error) };
  });

  const externalResults = await mapLimit(externals, options.concurrency, async (image): Promise<LiveExternalImage> => {
    const repo = { registry: image.registry, repository: image.repository };
    const repository = `${image.registry}/${image.repository}`;
    try {
      const strategy = image.imageSelectionStrategy ?? 'SemVer';
      const choice = chooseTag(strategy === 'Digest' ? [] : await client.tags(repo), image);
      if (!choice.ok) throw new FactoryError('not-found', `${repository}: ${choice.error}`);
      const found = await lookup(repo, choice.tag, image.platform);
      return {
        name: image.name,
        reference: `${repository}:${choice.tag}`,
        digest: found.digest,
        released: found.released,
        error: keep(image, found.error),
      };
    } catch (error) {
      return {
        name: image.name,
        reference: repository,
        digest: null,
        released: null,
        error: keep(image, asFactoryError(error)),
      };
    }
  });

  const managedResults = await mapLimit(managed, options.concurrency, async (image): Promise<LiveManagedImage> => {
    const build = image.build;
    if (build === undefined) return { name: image.name, build: null, created: null, error: null };
    const repo = { registry: image.registry, repository: image.repository };
    const reference = `${image.registry}/${image.repository}:${build.tag}@${build.digest}`;
    try {
      return {
        name: image.name,
        build: reference,
        created: await released(repo, build.digest, undefined),
        error: null,
      };
    } catch (error) {
      return { name: image.name, build: reference, created: null, error: keep(image, asFactoryError(error)) };
    }
  });

  const registries = [...new Set([...bases, ...externals, ...managed].map((i) => i.registry))].sort(compareCodeUnits);
  const status: LiveStatus = {
    checkedAt: formatInstant(options.now),
    baseImages: baseResults,
    externalImages: externalResults,
    managedImages: managedResults,
    requests: { ...client.counts },
    rateLimits: registries.flatMap((registry) => {
      const limit = client.rateLimit(registry);
      return limit === null ? [] : [{ registry, ...limit }];
    }),
    failedRegistries: failuresByRegistry(errors),
  };
  const releases = new Map<string, string | null>();
  for (const [key, time] of facts) {
    const value = await time.catch(() => undefined);
    if (value !== undefined) releases.set(key, value);
  }
  return { status, exitCode: Math.max(0, ...errors.map((e) => exitCodeOf(e.error.code))), releases };
}

function failuresByRegistry(
  errors: readonly { registry: string; image: string; error: FactoryError }[],
): LiveRegistryFailure[] {
  const byRegistry = new Map<string, { images: Set<string>; exitCode: number; error: string }>();
  for (const e of [...errors].sort((a, b) => compareCodeUnits(a.image, b.image))) {
    const before = byRegistry.get(e.registry);
    const exitCode = exitCodeOf(e.error.code);
    byRegistry.set(e.registry, {
      images: new Set([...(before?.images ?? []), e.image]),
      exitCode: Math.max(before?.exitCode ?? 0, exitCode),
      error: before?.error ?? e.error.message,
    });
  }
  return [...byRegistry]
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([registry, f]) => ({
      registry,
      images: [...f.images].sort(compareCodeUnits),
      exitCode: f.exitCode,
      error: f.error,
    }));
}
