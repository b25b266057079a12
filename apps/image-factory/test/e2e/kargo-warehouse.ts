/**
 * Kargo v1.11.2's Warehouse, for image subscriptions: discovery per selection strategy against a real registry, and
 * Freight made from what was discovered. Every rule cites the file and line it follows (akuity/kargo at v1.11.2).
 * Strategies other than Digest and SemVer, semverConstraint, platform filters and tag caching are not modelled:
 * a subscription that uses one is refused (`unsupported`), so the harness never guesses.
 */
import { createHash } from 'node:crypto';
import { at, list, optBool, optNum, optStr, str } from './objects.js';

/** An image subscription as the Warehouse spec writes it, after Kargo's defaults. */
export interface ImageSubscription {
  readonly repoURL: string;
  readonly imageSelectionStrategy: 'Digest' | 'SemVer';
  readonly constraint: string | undefined;
  readonly allowTagsRegexes: readonly RegExp[];
  readonly ignoreTagsRegexes: readonly RegExp[];
  readonly strictSemvers: boolean;
  readonly discoveryLimit: number;
}

/** A Warehouse: its name, polling interval and one image subscription (all the factory renders). */
export interface Warehouse {
  readonly name: string;
  readonly intervalMs: number;
  readonly subscription: ImageSubscription;
}

/** kargoapi.DiscoveredImageReference. */
export interface DiscoveredImage {
  readonly tag: string;
  readonly digest: string;
  readonly createdAt: number | undefined;
  readonly annotations: Readonly<Record<string, string>>;
}

/** kargoapi.Freight with one image (a Warehouse with one subscription). */
export interface Freight {
  readonly name: string;
  readonly origin: string;
  readonly repoURL: string;
  readonly tag: string;
  readonly digest: string;
  /** When the Warehouse discovered it (EffectiveDiscoveredAt: the creation time here). */
  readonly discoveredAt: number;
}

/** Go's time.ParseDuration for the h/m/s forms Warehouses use (`1h0m0s`, `5m0s`). */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+)(h|m|s)/g)];
  if (parts.map((p) => p[0]).join('') !== text) throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * (u === 'h' ? 3_600_000 : u === 'm' ? 60_000 : 1000), 0);
}

/**
 * A Warehouse manifest read with Kargo's subscription defaults: pkg/subscription/image.go:89-97 (strategy SemVer,
 * strictSemvers true, discoveryLimit 20). allowTags/ignoreTags are refused since v1.11.0
 * (pkg/image/tag_based_selector.go:57-73).
 */
export function readWarehouse(raw: unknown): Warehouse {
  const subs = list(raw, 'spec', 'subscriptions');
  if (subs.length !== 1) throw new Error(`Warehouse ${str(raw, 'metadata', 'name')}: one subscription modelled`);
  const image = at(subs[0], 'image');
  if (image === undefined) throw new Error('only image subscriptions are modelled');
  if (optStr(image, 'allowTags') !== undefined || list(image, 'ignoreTags').length > 0)
    throw new Error('allowTags/ignoreTags are unsupported as of Kargo v1.11.0 (tag_based_selector.go:57-73)');
  if (optStr(image, 'platform') !== undefined || optStr(image, 'semverConstraint') !== undefined)
    throw new Error('unsupported: platform and semverConstraint are not modelled by this harness');
  const strategy = optStr(image, 'imageSelectionStrategy') ?? 'SemVer';
  if (strategy !== 'Digest' && strategy !== 'SemVer') throw new Error(`unsupported strategy ${strategy}`);
  const regexes = (key: string) => list(image, key).map((_r, i) => new RegExp(str(list(image, key), i)));
  return {
    name: str(raw, 'metadata', 'name'),
    intervalMs: durationMs(optStr(raw, 'spec', 'interval') ?? '5m0s'),
    subscription: {
      repoURL: str(image, 'repoURL'),
      imageSelectionStrategy: strategy,
      constraint: optStr(image, 'constraint'),
      allowTagsRegexes: regexes('allowTagsRegexes'),
      ignoreTagsRegexes: regexes('ignoreTagsRegexes'),
      strictSemvers: optBool(image, 'strictSemvers') ?? true,
      discoveryLimit: optNum(image, 'discoveryLimit') || 20,
    },
  };
}

// ---- semantic versions: github.com/Masterminds/semver/v3 v3.4.0 (Kargo's go.mod), version.go ----

/** version.go:57-59 (semVerRegex), anchored as NewVersion uses it (:76). */
const SEMVER =
  /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface SemVersion {
  readonly parts: readonly [number, number, number];
  readonly pre: string;
  readonly original: string;
}

/**
 * pkg/controller/semver/parser.go:9-23: the loose parse first, then, when strict, StrictNewVersion of the tag without
 * a leading v (version.go:89: MAJOR.MINOR.PATCH, all three present).
 */
function parseSemver(tag: string, strict: boolean): SemVersion | undefined {
  const m = SEMVER.exec(tag);
  if (m === null) return undefined;
  if (
    strict &&
    !/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(tag.replace(/^v/, ''))
  )
    return undefined;
  return { parts: [Number(m[1] ?? 0), Number(m[2] ?? 0), Number(m[3] ?? 0)], pre: m[4] ?? '', original: tag };
}

/** Version.Compare (a release sorts above its prereleases; prereleases compared as text, enough for these tags). */
function compareSemver(a: SemVersion, b: SemVersion): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.parts[i] ?? 0) - (b.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (a.pre === b.pre) return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  return a.pre < b.pre ? -1 : 1;
}

// ---- the registry, as go-containerregistry's remote.Get reads it ----

/** How the Warehouse reaches the registry (Kargo reads credentials from the Project's repo-credentials Secrets). */
export interface RegistryAccess {
  /** `http://HOST:PORT` for a repoURL `HOST:PORT/…`. */
  readonly baseUrl: string;
  readonly authorization: string;
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

async function registryGet(access: RegistryAccess, path: string, accept?: string): Promise<Response> {
  return fetch(`${access.baseUrl}/v2/${path}`, {
    headers: { authorization: access.authorization, ...(accept === undefined ? {} : { accept }) },
  });
}

const repoOf = (repoURL: string) => repoURL.split('/').slice(1).join('/');

/** pkg/image/repository_client.go:443-461 (getCreationTime): the OCI `created` annotation, else the config's. */
function creationTime(annotations: Record<string, string>, labels: Record<string, string>, config: unknown) {
  for (const source of [annotations, labels]) {
    for (const key of ['org.opencontainers.image.created', 'org.label-schema.build-date']) {
      const value = source[key];
      if (value !== undefined && !Number.isNaN(Date.parse(value))) return Date.parse(value);
    }
  }
  const created = optStr(config, 'created');
  return created === undefined ? undefined : Date.parse(created);
}

const stringMap = (value: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
};

/** An image manifest's creation time and annotations (repository_client.go:409-441, getImageFromV1Image). */
async function imageOf(access: RegistryAccess, repo: string, manifest: unknown) {
  const config: unknown = await (
    await registryGet(access, `${repo}/blobs/${str(manifest, 'config', 'digest')}`)
  ).json();
  const annotations = stringMap(at(manifest, 'annotations'));
  return { createdAt: creationTime(annotations, stringMap(at(config, 'config', 'Labels')), config), annotations };
}

/**
 * repository_client.go:161-227 (getImageByTag) without cache or platform: the tag's descriptor; for an index
 * (:286-296, :347-404) the index digest and the newest creation time of its images. undefined on 404.
 */
export async function getImageByTag(access: RegistryAccess, repoURL: string, tag: string) {
  const repo = repoOf(repoURL);
  const response = await registryGet(access, `${repo}/manifests/${tag}`, ACCEPT);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET manifest ${repoURL}:${tag}: HTTP ${response.status}`);
  const body = Buffer.from(await response.arrayBuffer());
  const digest =
    response.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const manifest: unknown = JSON.parse(body.toString('utf8'));
  const children = list(manifest, 'manifests');
  if (children.length === 0) return { tag, digest, ...(await imageOf(access, repo, manifest)) };
  let createdAt: number | undefined;
  for (const child of children) {
    const childManifest: unknown = await (
      await registryGet(access, `${repo}/manifests/${str(child, 'digest')}`, ACCEPT)
    ).json();
    const image = await imageOf(access, repo, childManifest);
    if (image.createdAt !== undefined && (createdAt === undefined || image.createdAt > createdAt))
      createdAt = image.createdAt;
  }
  return { tag, digest, createdAt, annotations: stringMap(at(manifest, 'annotations')) };
}

/** tag_based_selector.go:79-100 (MatchesTag): no ignore regex matches, and an allow regex does (or there are none). */
function tagAllowed(sub: ImageSubscription, tag: string): boolean {
  if (sub.ignoreTagsRegexes.some((r) => r.test(tag))) return false;
  return sub.allowTagsRegexes.length === 0 || sub.allowTagsRegexes.some((r) => r.test(tag));
}

/** The images a subscription discovers, newest first (what `DiscoveredImageReference`s hold). */
export async function discover(access: RegistryAccess, sub: ImageSubscription): Promise<DiscoveredImage[]> {
  if (sub.imageSelectionStrategy === 'Digest') {
    // pkg/image/digest_selector.go:57-89: the image of exactly the tag in `constraint` (:47, :53-55); none on 404.
    // allowTagsRegexes play no part in Select.
    if (sub.constraint === undefined) throw new Error('Digest needs constraint');
    const image = await getImageByTag(access, sub.repoURL, sub.constraint);
    return image === undefined ? [] : [image];
  }
  // pkg/image/semver_selector.go:81-135: list tags, keep those MatchesTag accepts (:66-78: allowed, and parseable as a
  // semantic version, strictly when strictSemvers), sort greatest first (:155-177, ties by the original text,
  // greatest first), then read images in that order up to discoveryLimit (tag_based_selector.go:129-166).
  const response = await registryGet(access, `${repoOf(sub.repoURL)}/tags/list`);
  if (response.status === 404) return [];
  const tags = list(await response.json(), 'tags').map((_t, i, all) => str(all, i));
  const versions = tags
    .filter((t) => tagAllowed(sub, t))
    .map((t) => parseSemver(t, sub.strictSemvers))
    .filter((v): v is SemVersion => v !== undefined)
    .sort((a, b) => compareSemver(b, a) || (b.original < a.original ? -1 : b.original > a.original ? 1 : 0));
  const images: DiscoveredImage[] = [];
  for (const version of versions.slice(0, sub.discoveryLimit)) {
    const image = await getImageByTag(access, sub.repoURL, version.original);
    if (image !== undefined) images.push(image);
  }
  return images;
}

/**
 * pkg/controller/warehouses/warehouses.go:628-700 (buildFreightFromLatestArtifacts): Freight from the newest
 * discovered image only (:662, References[0]), named by pkg/api/freight.go:20-42 (GenerateFreightID: sha1 of
 * "<origin>:<parts>", origin "Warehouse/<name>" as api/v1alpha1/stage_types.go:275-282 writes it) with the image part
 * "<repoURL>:<tag>@<digest>" (freight.go:76-85). The same newest image makes the same name: creating it again is
 * AlreadyExists, which the Warehouse ignores (warehouses.go:450-493).
 */
export function freightFromNewest(
  warehouse: Warehouse,
  discovered: readonly DiscoveredImage[],
  now: number,
): Freight | undefined {
  const [newest] = discovered;
  if (newest === undefined) return undefined;
  const origin = `Warehouse/${warehouse.name}`;
  const part = `${warehouse.subscription.repoURL}:${newest.tag}@${newest.digest}`;
  const name = createHash('sha1').update(`${origin}:${part}`).digest('hex');
  return {
    name,
    origin,
    repoURL: warehouse.subscription.repoURL,
    tag: newest.tag,
    digest: newest.digest,
    discoveredAt: now,
  };
}
