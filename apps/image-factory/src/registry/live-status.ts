/**
 * `status --live`: what the registries say now about everything in state. Base images: the digest their tag
 * points to and when it was released. External images: the tag Kargo would pick, its digest and release time.
 * Managed images: when their last analysed build was created, and whether a base has been released since (stale).
 * One HEAD per distinct reference; release times cost GETs only for digests not seen earlier in the run.
 */
import { exitCodeOf, FactoryError, messageOf } from '../errors.js';
import type { StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { mapLimit } from '../util/map-limit.js';
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
  readonly created: string | null;
  /** Whole days since `created`; null when unknown. */
  readonly ageDays: number | null;
  /** A base was released after the build was created; null when either time is unknown. */
  readonly stale: boolean | null;
  /** The bases released after the build. */
  readonly newerBases: readonly string[];
  readonly error: string | null;
}

/** The `--json` shape of `status --live` (README "JSON output"). */
export interface LiveStatus {
  readonly checkedAt: string;
  readonly baseImages: readonly LiveBaseImage[];
  readonly externalImages: readonly LiveExternalImage[];
  readonly managedImages: readonly LiveManagedImage[];
  readonly requests: RequestCounts;
  readonly rateLimits: readonly ({ readonly registry: string } & RateLimit)[];
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

const DAY_MS = 86_400_000;

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

const isoSeconds = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

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
  const errors: FactoryError[] = [];
  const keep = (error: FactoryError | null) => {
    if (error !== null) errors.push(error);
    return error === null ? null : error.message;
  };

  const baseResults = await mapLimit(bases, options.concurrency, async (base): Promise<LiveBaseImage> => {
    const common = { name: base.name, reference: base.reference, dependents: base.dependents };
    if (base.tag === null) {
      return { ...common, pinned: true, digest: base.digest, released: null, error: null };
    }
    const found = await lookup({ registry: base.registry, repository: base.repository }, base.tag, base.platform);
    return { ...common, pinned: false, digest: found.digest, released: found.released, error: keep(found.error) };
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
        error: keep(found.error),
      };
    } catch (error) {
      return {
        name: image.name,
        reference: repository,
        digest: null,
        released: null,
        error: keep(asFactoryError(error)),
      };
    }
  });

  const releasedByBase = new Map(baseResults.map((b) => [b.name, b.released]));
  const managedResults = await mapLimit(managed, options.concurrency, async (image): Promise<LiveManagedImage> => {
    const build = image.build;
    if (build === undefined) {
      return { name: image.name, build: null, created: null, ageDays: null, stale: null, newerBases: [], error: null };
    }
    const repo = { registry: image.registry, repository: image.repository };
    const reference = `${image.registry}/${image.repository}:${build.tag}@${build.digest}`;
    let created: string | null;
    try {
      created = await released(repo, build.digest, undefined);
    } catch (error) {
      return {
        name: image.name,
        build: reference,
        created: null,
        ageDays: null,
        stale: null,
        newerBases: [],
        error: keep(asFactoryError(error)),
      };
    }
    const names = [...new Set(image.baseImages.map((b) => b.name))].sort(compareCodeUnits);
    const times = names.map((name) => [name, releasedByBase.get(name) ?? null] as const);
    const newerBases =
      created === null ? [] : times.flatMap(([name, time]) => (time !== null && time > created ? [name] : []));
    const unknown = created === null || times.some(([, time]) => time === null);
    return {
      name: image.name,
      build: reference,
      created,
      ageDays: created === null ? null : Math.floor((options.now.getTime() - Date.parse(created)) / DAY_MS),
      stale: newerBases.length > 0 ? true : unknown ? null : false,
      newerBases,
      error: null,
    };
  });

  const registries = [...new Set([...bases, ...externals, ...managed].map((i) => i.registry))].sort(compareCodeUnits);
  const status: LiveStatus = {
    checkedAt: isoSeconds(options.now),
    baseImages: baseResults,
    externalImages: externalResults,
    managedImages: managedResults,
    requests: { ...client.counts },
    rateLimits: registries.flatMap((registry) => {
      const limit = client.rateLimit(registry);
      return limit === null ? [] : [{ registry, ...limit }];
    }),
  };
  const releases = new Map<string, string | null>();
  for (const [key, time] of facts) {
    const value = await time.catch(() => undefined);
    if (value !== undefined) releases.set(key, value);
  }
  return { status, exitCode: Math.max(0, ...errors.map((e) => exitCodeOf(e.code))), releases };
}
