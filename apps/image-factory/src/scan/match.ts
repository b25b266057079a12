/**
 * Which image a report is about. Trivy names what it scanned in `Metadata.RepoDigests` (`repo@sha256:…`; remote
 * scans write the digest the reference resolved to: aquasecurity/trivy pkg/fanal/image/remote.go, `RepoDigests`).
 * A report belongs to the base images (state/base-images) and external images (state/images, kind external) of the
 * same registry and repository (normalised, src/reference), by digest, in this order:
 *   1. an image whose state knows the digest: a base's current, latest, seen or pinned digest, or a digest (or
 *      platform manifest) an earlier scan recorded;
 *   2. a platform manifest of an index digest such an image knows (Kargo's Digest strategy records the index,
 *      Trivy may report the platform manifest it scanned): recorded under the index, `platformDigest` the scanned one;
 *   3. a base whose tag points to the digest now, or to an index listing it (one HEAD per base, then its index);
 *   4. otherwise, a digest of that repository is accepted as reported: by the external images of the repository,
 *      else by its one base image. Several bases of the repository (node:20, node:22) and nothing to tell them apart
 *      is an error, as is a repository nothing is enrolled for.
 * The registry is asked only when 1 finds nothing; its lookups are injected.
 */
import { FactoryError } from '../errors.js';
import { normaliseReference } from '../reference/index.js';
import type { BaseImageState, ExternalImageState, StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import type { ScanTarget } from './record.js';

/** One `Metadata.RepoDigests` entry, normalised. */
export interface RepoDigest {
  /** As the report wrote it. */
  readonly text: string;
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
}

/** The registry's answers the matching needs (injected: the job passes the registry client's). */
export interface ManifestLookup {
  /**
   * The platform manifests an index lists (its `manifests[].digest`), or null when `digest` is an image manifest.
   * Undefined when the registry does not have it (a deleted digest): that candidate is skipped.
   */
  platformDigests(
    ref: { readonly registry: string; readonly repository: string },
    digest: string,
  ): Promise<readonly string[] | null | undefined>;
  /** The digest a tag points to now, or undefined when the tag is gone. */
  tagDigest(ref: { readonly registry: string; readonly repository: string }, tag: string): Promise<string | undefined>;
}

/** A report matched: the image, the digest its Warehouse records, and the platform manifest scanned when another. */
export interface ReportMatch {
  readonly target: ScanTarget;
  readonly digest: string;
  readonly platformDigest?: string;
}

/** The report's RepoDigests, normalised; an entry that is not `repo@digest` is an error naming it. */
export function repoDigestsOf(
  entries: readonly string[],
): { ok: true; value: RepoDigest[] } | { ok: false; error: string } {
  const parsed: RepoDigest[] = [];
  for (const text of entries) {
    const result = normaliseReference(text);
    if (!result.ok || result.value.digest === null) {
      return {
        ok: false,
        error: `Metadata.RepoDigests entry ${JSON.stringify(text)} is not repository@digest${result.ok ? '' : ` (${result.error})`}`,
      };
    }
    parsed.push({
      text,
      registry: result.value.registry,
      repository: result.value.repository,
      digest: result.value.digest,
    });
  }
  return { ok: true, value: parsed };
}

interface Candidate {
  readonly target: ScanTarget;
  readonly base?: BaseImageState;
  readonly known: readonly string[];
  /** Platform manifest → the digest an earlier scan recorded it under. */
  readonly platforms: ReadonlyMap<string, string>;
}

const scansOf = (state: BaseImageState | ExternalImageState) => state.vulnerabilities?.scans ?? [];

/** The digests a base image's state knows (rebuild record, pin, earlier scans), sorted, each once. */
function baseDigests(base: BaseImageState): string[] {
  const record = base.rebuild;
  const seen = [record?.current, record?.latest, ...(record?.seen ?? [])].flatMap((d) => d?.digest ?? []);
  const known = [...seen, ...(base.digest === null ? [] : [base.digest]), ...scansOf(base).map((s) => s.digest)];
  return [...new Set(known)].sort(compareCodeUnits);
}

/** The base and external images of a repository, bases first, each by name. */
export function candidatesFor(state: StateSnapshot, registry: string, repository: string): Candidate[] {
  const platforms = (state: BaseImageState | ExternalImageState) =>
    new Map(scansOf(state).flatMap((s) => (s.platformDigest === undefined ? [] : [[s.platformDigest, s.digest]])));
  const bases = [...state.baseImages.values()]
    .filter((b) => b.registry === registry && b.repository === repository)
    .sort((a, b) => compareCodeUnits(a.name, b.name))
    .map(
      (base): Candidate => ({
        target: { kind: 'base', name: base.name },
        base,
        known: baseDigests(base),
        platforms: platforms(base),
      }),
    );
  const externals = [...state.images.values()]
    .flatMap((i) => (i.kind === 'external' && i.registry === registry && i.repository === repository ? [i] : []))
    .sort((a, b) => compareCodeUnits(a.name, b.name))
    .map(
      (image): Candidate => ({
        target: { kind: 'external', name: image.name },
        known: [...new Set(scansOf(image).map((s) => s.digest))].sort(compareCodeUnits),
        platforms: platforms(image),
      }),
    );
  return [...bases, ...externals];
}

const matchOf = (target: ScanTarget, digest: string, platformDigest?: string): ReportMatch =>
  platformDigest === undefined || platformDigest === digest ? { target, digest } : { target, digest, platformDigest };

/** The images one RepoDigests entry belongs to (rules 1–4 above); empty when nothing is enrolled for its repository. */
async function matchRepoDigest(
  state: StateSnapshot,
  entry: RepoDigest,
  lookup: ManifestLookup,
): Promise<ReportMatch[]> {
  const candidates = candidatesFor(state, entry.registry, entry.repository);
  if (candidates.length === 0) return [];
  const ref = { registry: entry.registry, repository: entry.repository };
  const { digest } = entry;

  // 1. The digest is one state knows (as a digest, or as the platform manifest an earlier scan recorded).
  const known = candidates.flatMap((c) => {
    if (c.known.includes(digest)) return [matchOf(c.target, digest)];
    const index = c.platforms.get(digest);
    return index === undefined ? [] : [matchOf(c.target, index, digest)];
  });
  if (known.length > 0) return known;

  // 2. A platform manifest of an index a candidate knows (each index fetched once).
  const listed = new Map<string, readonly string[] | null | undefined>();
  const platformsOf = async (index: string) => {
    if (!listed.has(index)) listed.set(index, await lookup.platformDigests(ref, index));
    return listed.get(index);
  };
  const inIndex: ReportMatch[] = [];
  for (const candidate of candidates) {
    for (const index of candidate.known) {
      if ((await platformsOf(index))?.includes(digest) === true) {
        inIndex.push(matchOf(candidate.target, index, digest));
        break;
      }
    }
  }
  if (inIndex.length > 0) return inIndex;

  // 3. What a base's tag points to now.
  const byTag: ReportMatch[] = [];
  for (const candidate of candidates) {
    const tag = candidate.base?.tag;
    if (tag === undefined || tag === null) continue;
    const now = await lookup.tagDigest(ref, tag);
    if (now === undefined) continue;
    if (now === digest) byTag.push(matchOf(candidate.target, digest));
    else if ((await platformsOf(now))?.includes(digest) === true) byTag.push(matchOf(candidate.target, now, digest));
  }
  if (byTag.length > 0) return byTag;

  // 4. A digest of the repository, as reported: the external images, else the one base image.
  const externals = candidates.filter((c) => c.target.kind === 'external');
  if (externals.length > 0) return externals.map((c) => matchOf(c.target, digest));
  if (candidates.length === 1 && candidates[0] !== undefined) return [matchOf(candidates[0].target, digest)];
  throw new FactoryError(
    'invalid-config',
    `${entry.text} is none of the digests state knows for the base images of ${entry.registry}/${entry.repository} (${candidates
      .map((c) => c.target.name)
      .join(', ')}), nor what their tags point to: cannot tell which one it belongs to`,
  );
}

/**
 * The images a report belongs to, one match per image (the first RepoDigests entry that matches it wins). Empty when
 * no entry's repository has an enrolled base or external image; an error when one does but the digest cannot be
 * placed (several base images, nothing to tell them apart).
 */
export async function matchReport(
  state: StateSnapshot,
  repoDigests: readonly RepoDigest[],
  lookup: ManifestLookup,
): Promise<ReportMatch[]> {
  const matches: ReportMatch[] = [];
  for (const entry of repoDigests) {
    for (const match of await matchRepoDigest(state, entry, lookup)) {
      if (!matches.some((m) => m.target.kind === match.target.kind && m.target.name === match.target.name))
        matches.push(match);
    }
  }
  return matches;
}
