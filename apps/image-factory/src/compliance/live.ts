/**
 * `compliance --live`: the tags worth asking the registry about (those of repositories the factory knows: the others
 * are untracked anyway), and asking, one HEAD per distinct tag. A lookup that fails is kept with its error, so the
 * verdict says "unverified" and the command's exit status says the registry could not be asked.
 */
import { exitCodeOf, FactoryError, messageOf } from '../errors.js';
import { normaliseReference } from '../reference/normalise.js';
import type { RegistryClient } from '../registry/client.js';
import type { StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { mapLimit } from '../util/map-limit.js';
import type { RunningContainer } from './pods.js';

/** A tag to ask about, by its key `registry/repository:tag` (the key checkCompliance reads). */
export interface TagToAsk {
  readonly key: string;
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
}

/** The distinct tags the containers run of repositories the state knows, sorted by key. */
export function tagsToAsk(containers: readonly RunningContainer[], state: StateSnapshot): TagToAsk[] {
  const repositories = new Set(
    [...state.baseImages.values(), ...state.images.values()].map((x) => `${x.registry}/${x.repository}`),
  );
  const tags = new Map<string, TagToAsk>();
  for (const container of containers) {
    const parsed = normaliseReference(container.image);
    if (!parsed.ok || parsed.value.tag === null) continue;
    const { registry, repository, tag } = parsed.value;
    const key = `${registry}/${repository}:${tag}`;
    if (repositories.has(`${registry}/${repository}`)) tags.set(key, { key, registry, repository, tag });
  }
  return [...tags.values()].sort((a, b) => compareCodeUnits(a.key, b.key));
}

/** What the registry answered: the newest digest of each tag, and the tags it could not be asked about. */
export interface NewestDigests {
  readonly newest: ReadonlyMap<string, string>;
  /** By key: why the lookup failed. */
  readonly failed: ReadonlyMap<string, string>;
  /** 0 when every lookup answered; 3 when one kept failing (safe to run again); else 1 (refused, not found). */
  readonly exitCode: number;
}

/** HEAD each tag (`concurrency` at a time). */
export async function askNewest(
  client: RegistryClient,
  tags: readonly TagToAsk[],
  concurrency: number,
): Promise<NewestDigests> {
  const newest = new Map<string, string>();
  const failed = new Map<string, string>();
  let exitCode = 0;
  await mapLimit(tags, concurrency, async (t) => {
    try {
      newest.set(t.key, (await client.head({ registry: t.registry, repository: t.repository }, t.tag)).digest);
    } catch (error) {
      failed.set(t.key, messageOf(error));
      exitCode = Math.max(exitCode, error instanceof FactoryError ? exitCodeOf(error.code) : 1);
    }
  });
  return { newest, failed, exitCode };
}
