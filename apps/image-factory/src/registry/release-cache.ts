/**
 * `--release-cache FILE`: release times already read, by digest (and platform). A digest names immutable content,
 * so its creation time never changes and the cache never goes stale; it only saves GETs (which Docker Hub counts
 * as pulls). Deterministic JSON (keys sorted by code units), written atomically, bounded.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FactoryError } from '../errors.js';
import { compareCodeUnits } from '../util/compare.js';
import { writeFileAtomic } from '../util/files.js';
import { readJsonFile } from '../util/json-file.js';

const CacheSchema = Type.Object({
  version: Type.Literal(1),
  releases: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
});

/** The most entries kept: a few MiB at most, whatever runs before wrote. */
export const MAX_CACHED_RELEASES = 50_000;

/** Read the cache; an absent file is an empty cache, a malformed one an error naming the file. */
export async function readReleaseCache(path: string): Promise<Map<string, string | null>> {
  const data = await readJsonFile(path, 'an image-factory release cache', {
    absentIsUndefined: true,
    advice: 'delete it to start afresh',
  });
  if (data === undefined) return new Map();
  if (!Value.Check(CacheSchema, data)) {
    throw new FactoryError(
      'invalid-config',
      `${path} is not an image-factory release cache (delete it to start afresh)`,
    );
  }
  return new Map(Object.entries(data.releases));
}

/** Write the entries of this run and the older ones, the fresh ones kept first when the bound is reached. */
export async function writeReleaseCache(
  path: string,
  fresh: ReadonlyMap<string, string | null>,
  old: ReadonlyMap<string, string | null>,
): Promise<void> {
  const merged = new Map<string, string | null>();
  for (const source of [fresh, old]) {
    for (const [key, value] of source) {
      if (merged.size >= MAX_CACHED_RELEASES) break;
      if (!merged.has(key)) merged.set(key, value);
    }
  }
  const releases = Object.fromEntries([...merged].sort(([a], [b]) => compareCodeUnits(a, b)));
  await writeFileAtomic(path, `${JSON.stringify({ version: 1, releases }, null, 1)}\n`);
}
