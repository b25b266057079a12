/**
 * What a reference points to in its registry: digest, media type, the platforms of an index, and for one
 * platform its creation time, labels and annotations. A reproducible-build epoch date is reported as unknown.
 */

import { FactoryError } from '../errors.js';
import type { NormalisedReference } from '../reference/normalise.js';
import { compareCodeUnits } from '../util/compare.js';
import { formatInstant, parseTime } from '../util/time.js';
import type { RateLimit, RegistryClient, RepositoryRef } from './client.js';
import { type Descriptor, parseImageConfig } from './manifest.js';
import { choosePlatform, formatPlatform, type Platform, platformEntries, samePlatform } from './platform.js';

/** The `--json` shape of `image-factory inspect` (docs/cli.md, "inspect"). */
export interface InspectResult {
  readonly reference: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly platforms: readonly { readonly platform: string; readonly digest: string }[];
  readonly platform: string | null;
  readonly created: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly rateLimit: RateLimit | null;
}

/**
 * Creation times before this are reproducible-build epochs (SOURCE_DATE_EPOCH=0 gives 1970, zip-based tools
 * 1980, Go's zero time year 1): a release time no registry image can really have.
 */
const EARLIEST_REAL_CREATED = Date.UTC(1990, 0, 1);
/** Larger configs are not image configs (a typical one is a few KiB). */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

const CREATED_ANNOTATION = 'org.opencontainers.image.created';

/**
 * An RFC 3339 time as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds), or null when unknown: absent, not RFC 3339, not
 * a calendar instant (`2026-02-30`, a year past 9999), or an epoch date.
 */
export function releaseTime(text: string | undefined): string | null {
  if (text === undefined) return null;
  const parsed = parseTime(text);
  if (!parsed.ok || parsed.ms < EARLIEST_REAL_CREATED) return null;
  return formatInstant(parsed.ms);
}

export const repositoryOf = (ref: NormalisedReference): RepositoryRef => ({
  registry: ref.registry,
  repository: ref.repository,
});

/** The tag or digest to ask the registry for (a digest wins when a reference has both). */
export const targetOf = (ref: NormalisedReference): string => ref.digest ?? ref.tag ?? 'latest';

/** The creation facts of one platform's image manifest. */
export interface ImageFacts {
  readonly platform: string | null;
  readonly created: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/**
 * Resolve `digest` (an index or a manifest) to one platform's image and read its config: the GETs behind a
 * release time. `wanted` absent: linux/amd64, else the first platform.
 */
export async function imageFacts(
  client: RegistryClient,
  repo: RepositoryRef,
  reference: string,
  wanted?: Platform,
): Promise<
  ImageFacts & { readonly digest: string; readonly mediaType: string; readonly platforms: InspectResult['platforms'] }
> {
  const top = await client.manifest(repo, reference);
  let image = top;
  let platforms: InspectResult['platforms'] = [];
  if (top.manifest.kind === 'index') {
    const entries = platformEntries(top.manifest.index.manifests);
    platforms = entries.map((e) => ({ platform: formatPlatform(e.platform), digest: e.descriptor.digest }));
    const chosen = choosePlatform(entries, wanted);
    if (chosen === undefined) {
      const has = platforms.map((p) => p.platform).join(', ') || 'no platforms';
      throw new FactoryError(
        'not-found',
        `no ${wanted === undefined ? '' : `${formatPlatform(wanted)} `}manifest in the index of ${repo.registry}/${repo.repository}@${top.digest} (has ${has})`,
      );
    }
    image = await client.manifest(repo, chosen.descriptor.digest);
    if (image.manifest.kind !== 'image') {
      throw new FactoryError(
        'registry',
        `${repo.registry}/${repo.repository}@${chosen.descriptor.digest}: an index inside an index`,
      );
    }
  }
  if (image.manifest.kind !== 'image') throw new FactoryError('registry', 'unreachable: not an image manifest');
  const config = await readConfig(client, repo, image.manifest.manifest.config);
  const labels = config.config?.Labels ?? {};
  const annotations = image.annotations;
  const configPlatform: Platform | null =
    config.os !== undefined && config.architecture !== undefined
      ? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }
      : null;
  const platform = configPlatform === null ? null : formatPlatform(configPlatform);
  if (
    wanted !== undefined &&
    top.manifest.kind === 'image' &&
    configPlatform !== null &&
    !samePlatform(configPlatform, wanted)
  ) {
    throw new FactoryError(
      'not-found',
      `no ${formatPlatform(wanted)} manifest: ${repo.registry}/${repo.repository}@${top.digest} is a single ${platform} image`,
    );
  }
  return {
    digest: top.digest,
    mediaType: top.manifest.mediaType,
    platforms,
    platform,
    created: releaseTime(config.created ?? annotations[CREATED_ANNOTATION] ?? labels[CREATED_ANNOTATION]),
    labels,
    annotations,
  };
}

async function readConfig(client: RegistryClient, repo: RepositoryRef, descriptor: Descriptor) {
  const parsed = parseImageConfig(await client.blob(repo, descriptor.digest, MAX_CONFIG_BYTES));
  if (!parsed.ok)
    throw new FactoryError('registry', `${repo.registry}/${repo.repository}@${descriptor.digest}: ${parsed.error}`);
  return parsed.value;
}

/** `image-factory inspect`: GET the manifest (its body is needed), then the platform's manifest and config. */
export async function inspectImage(
  client: RegistryClient,
  ref: NormalisedReference,
  wanted?: Platform,
): Promise<InspectResult> {
  const repo = repositoryOf(ref);
  const facts = await imageFacts(client, repo, targetOf(ref), wanted);
  return {
    reference: ref.reference,
    digest: facts.digest,
    mediaType: facts.mediaType,
    platforms: facts.platforms,
    platform: facts.platform,
    created: facts.created,
    labels: sortKeys(facts.labels),
    annotations: sortKeys(facts.annotations),
    rateLimit: client.rateLimit(ref.registry),
  };
}

function sortKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareCodeUnits(a, b)));
}
