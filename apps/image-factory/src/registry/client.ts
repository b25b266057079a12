/**
 * A small OCI distribution client: HEAD for digests, GET for manifests and blobs with their digests verified,
 * tag lists, rate-limit headers kept, and one retry after a 401 with a renewed token. How it authenticates is
 * `auth.ts` (challenges, credentials, the token cache), what a refusal says is `errors.ts`.
 */
import { createHash } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FactoryError } from '../errors.js';
import { RegistryAuth } from './auth.js';
import { parseChallenge } from './challenge.js';
import { type CredentialStore, NO_CREDENTIALS } from './docker-config.js';
import { refuse } from './errors.js';
import {
  DEFAULT_RETRY_POLICY,
  type HttpEffects,
  NODE_EFFECTS,
  type RetryPolicy,
  readBody,
  readJson,
  send,
} from './http.js';
import { DIGEST_PATTERN, MANIFEST_ACCEPT, MEDIA_TYPES, type ParsedManifest, parseManifest } from './manifest.js';
import { hostKey, redirectRefusal } from './realm.js';
import { describe, type RepositoryRef } from './repository.js';

export type { RepositoryRef } from './repository.js';

export interface RegistryClientOptions {
  readonly credentials?: CredentialStore;
  /** Registries (`HOST:PORT` as written in references) spoken to over plain HTTP; every other one uses HTTPS. */
  readonly insecureRegistries?: readonly string[];
  readonly retry?: Partial<RetryPolicy>;
  readonly effects?: Partial<HttpEffects>;
  readonly userAgent?: string;
}

export interface ManifestHead {
  readonly digest: string;
  readonly mediaType: string;
}

export interface FetchedManifest {
  readonly digest: string;
  readonly manifest: ParsedManifest;
  /** Annotations of the manifest or index itself. */
  readonly annotations: Readonly<Record<string, string>>;
}

/** Docker Hub's `ratelimit-limit` / `ratelimit-remaining`, as last seen from a registry. */
export interface RateLimit {
  readonly limit: number;
  readonly remaining: number;
}

/** Requests made, by kind: what the factory costs a registry. */
export interface RequestCounts {
  ping: number;
  head: number;
  get: number;
  token: number;
}

const TagListSchema = Type.Object({ tags: Type.Union([Type.Array(Type.String()), Type.Null()]) });

/** A referrer as the OCI 1.1 referrers API (or the referrers tag's index) lists it. */
const ReferrerSchema = Type.Object({
  mediaType: Type.String(),
  digest: Type.String({ pattern: DIGEST_PATTERN }),
  size: Type.Integer({ minimum: 0 }),
  artifactType: Type.Optional(Type.String()),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
});
const ReferrersIndexSchema = Type.Object({ manifests: Type.Array(ReferrerSchema) });

/** One manifest that refers to a digest (its `subject`). */
export type Referrer = Static<typeof ReferrerSchema>;

/** The referrers of a digest, and how they were found. */
export interface Referrers {
  /** `api`: GET /v2/<name>/referrers/<digest>; `tag`: the fallback tag `sha256-<hex>` (no referrers API, 404). */
  readonly source: 'api' | 'tag';
  readonly manifests: readonly Referrer[];
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const MAX_TAG_PAGES = 100;

/** Docker Hub's API host: `docker.io` in references, `registry-1.docker.io` on the wire (as the Docker CLI does). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

function digestOf(bytes: Uint8Array, algorithm: string): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export class RegistryClient {
  readonly counts: RequestCounts = { ping: 0, head: 0, get: 0, token: 0 };
  readonly #credentials: CredentialStore;
  readonly #insecure: ReadonlySet<string>;
  readonly #policy: RetryPolicy;
  readonly #effects: HttpEffects;
  readonly #userAgent: string;
  readonly #auth: RegistryAuth;
  readonly #rateLimits = new Map<string, RateLimit>();

  constructor(options: RegistryClientOptions = {}) {
    this.#credentials = options.credentials ?? NO_CREDENTIALS;
    this.#insecure = new Set(options.insecureRegistries ?? []);
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#effects = { ...NODE_EFFECTS, ...options.effects };
    this.#userAgent = options.userAgent ?? 'image-factory';
    this.#auth = new RegistryAuth({
      credentials: this.#credentials,
      insecureHosts: new Set([...this.#insecure].map((host) => hostKey(apiHost(host)))),
      policy: this.#policy,
      effects: this.#effects,
      userAgent: this.#userAgent,
      counts: this.counts,
      apiRoot: (registry) => this.#url({ registry, repository: '' }, ''),
    });
  }

  /** The rate limit a registry last reported, or null when it sent no such headers. */
  rateLimit(registry: string): RateLimit | null {
    return this.#rateLimits.get(registry) ?? null;
  }

  /** What a tag or digest points to, from one HEAD (a GET only when the registry sends no digest header). */
  async head(ref: RepositoryRef, reference: string): Promise<ManifestHead> {
    const response = await this.#request('HEAD', ref, `/manifests/${reference}`, reference);
    const digest = response.headers.get('docker-content-digest');
    const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    await response.body?.cancel();
    if (digest !== null && /^sha(256|512):[a-f0-9]+$/.test(digest)) return { digest, mediaType };
    const fetched = await this.manifest(ref, reference);
    return { digest: fetched.digest, mediaType: fetched.manifest.mediaType };
  }

  /** A manifest or index by tag or digest, its digest verified. */
  async manifest(ref: RepositoryRef, reference: string): Promise<FetchedManifest> {
    const what = describe(ref, reference);
    const response = await this.#request('GET', ref, `/manifests/${reference}`, reference);
    const bytes = await readBody(response, MAX_MANIFEST_BYTES, what);
    const expected = reference.includes(':') ? reference : response.headers.get('docker-content-digest');
    const algorithm = expected?.startsWith('sha512:') ? 'sha512' : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (expected !== null && expected !== digest) {
      throw new FactoryError(
        'registry',
        `${what}: the manifest's content is ${digest}, not ${expected} as the registry says`,
      );
    }
    const parsed = parseManifest(bytes, response.headers.get('content-type'));
    if (!parsed.ok) throw new FactoryError('registry', `${what}: ${parsed.error}`);
    const manifest = parsed.value;
    const annotations = (manifest.kind === 'index' ? manifest.index.annotations : manifest.manifest.annotations) ?? {};
    return { digest, manifest, annotations };
  }

  /** A blob (an image config), following the registry's redirect to its storage; its digest verified. */
  async blob(ref: RepositoryRef, digest: string, maxBytes: number): Promise<Uint8Array> {
    const what = describe(ref, digest);
    let response = await this.#request('GET', ref, `/blobs/${digest}`, digest, 'manual');
    const registry = new URL(this.#url(ref, ''));
    let base = response.url || registry.href;
    for (let hop = 0; hop < MAX_REDIRECTS && response.status >= 300 && response.status < 400; hop++) {
      const location = response.headers.get('location');
      await response.body?.cancel();
      if (location === null || !URL.canParse(location, base)) break;
      const next = new URL(location, base);
      const refusal = redirectRefusal(registry, next);
      if (refusal !== undefined)
        throw new FactoryError('registry', `${what}: the redirect to ${next.host} is refused: ${refusal}`);
      // Credentials go to the registry only: storage (S3, a CDN) gets none, on whichever hop it is reached.
      const headers: Record<string, string> = { 'user-agent': this.#userAgent };
      if (next.origin === registry.origin) Object.assign(headers, await this.#auth.authorization(ref, false));
      this.counts.get++;
      response = await send(
        next.toString(),
        { method: 'GET', headers, redirect: 'manual' },
        what,
        this.#policy,
        this.#effects,
      );
      base = next.href;
    }
    if (response.status !== 200) await refuse(response, ref, digest, this.#credentials);
    const bytes = await readBody(response, maxBytes, what);
    const actual = digestOf(bytes, digest.startsWith('sha512:') ? 'sha512' : 'sha256');
    if (actual !== digest)
      throw new FactoryError('registry', `${what}: the blob's content is ${actual}, not ${digest}`);
    return bytes;
  }

  /** Every tag of a repository, following `Link` pagination (at most MAX_TAG_PAGES pages of 1,000). */
  async tags(ref: RepositoryRef): Promise<string[]> {
    const tags: string[] = [];
    let path = '/tags/list?n=1000';
    for (let page = 0; page < MAX_TAG_PAGES; page++) {
      const response = await this.#request('GET', ref, path, 'tags');
      const what = `tags of ${ref.registry}/${ref.repository}`;
      const body = await readJson(response, MAX_MANIFEST_BYTES, what);
      if (!Value.Check(TagListSchema, body))
        throw new FactoryError('registry', `${what}: the answer has no "tags" list`);
      tags.push(...(body.tags ?? []));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get('link') ?? '')?.[1];
      if (next === undefined) return tags;
      const url = new URL(next, this.#url(ref, ''));
      const prefix = `/v2/${ref.repository}`;
      if (!url.pathname.startsWith(prefix))
        throw new FactoryError('registry', `${what}: a next page outside the repository`);
      path = `${url.pathname.slice(prefix.length)}${url.search}`;
    }
    throw new FactoryError('registry', `tags of ${ref.registry}/${ref.repository}: more than ${MAX_TAG_PAGES} pages`);
  }

  /**
   * The manifests whose `subject` is `digest` (OCI distribution spec 1.1), only those of `artifactType` when given
   * (filtered here too: a registry may ignore the filter). A registry without the referrers API answers 404 there;
   * then the referrers tag schema's fallback is read: the tag `<alg>-<hex>` holding an index of the referrers. A
   * digest nothing refers to has none.
   */
  async referrers(ref: RepositoryRef, digest: string, artifactType?: string): Promise<Referrers> {
    const what = `referrers of ${describe(ref, digest)}`;
    const wanted = (manifests: readonly Referrer[]) =>
      manifests.filter((m) => artifactType === undefined || m.artifactType === artifactType);
    const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
    let response: Response | undefined;
    try {
      response = await this.#request('GET', ref, `/referrers/${digest}${query}`, digest);
    } catch (error) {
      if (!(error instanceof FactoryError && error.code === 'not-found')) throw error;
    }
    if (response !== undefined) {
      const body = await readJson(response, MAX_MANIFEST_BYTES, what);
      if (!Value.Check(ReferrersIndexSchema, body)) throw new FactoryError('registry', `${what}: not an OCI index`);
      return { source: 'api', manifests: wanted(body.manifests) };
    }
    let fallback: FetchedManifest;
    try {
      fallback = await this.manifest(ref, digest.replace(':', '-'));
    } catch (error) {
      if (error instanceof FactoryError && error.code === 'not-found') return { source: 'tag', manifests: [] };
      throw error;
    }
    const index = fallback.manifest.kind === 'index' ? fallback.manifest.index : undefined;
    if (index === undefined || !Value.Check(ReferrersIndexSchema, index)) {
      throw new FactoryError('registry', `${what}: the tag ${digest.replace(':', '-')} is not a referrers index`);
    }
    return { source: 'tag', manifests: wanted(index.manifests) };
  }

  #url(ref: RepositoryRef, path: string): string {
    const scheme = this.#insecure.has(ref.registry) ? 'http' : 'https';
    return `${scheme}://${apiHost(ref.registry)}/v2/${path === '' ? '' : `${ref.repository}${path}`}`;
  }

  /** One request with the registry's auth; a 401 renews the token (or learns a changed challenge) once. */
  async #request(
    method: 'HEAD' | 'GET',
    ref: RepositoryRef,
    path: string,
    reference: string,
    redirect: 'follow' | 'manual' = 'follow',
  ): Promise<Response> {
    const url = this.#url(ref, path);
    const what = describe(ref, reference);
    const headers = (auth: Record<string, string>) => ({
      'user-agent': this.#userAgent,
      ...(path.startsWith('/manifests/') ? { accept: MANIFEST_ACCEPT } : {}),
      ...(path.startsWith('/referrers/') ? { accept: MEDIA_TYPES.ociIndex } : {}),
      ...auth,
    });
    const count = () => (method === 'HEAD' ? this.counts.head++ : this.counts.get++);
    const first = headers(await this.#auth.authorization(ref, false));
    count(); // after auth: a request that never left (its registry unreachable) is not counted
    let response = await send(url, { method, headers: first, redirect }, what, this.#policy, this.#effects);
    const challenge = response.status === 401 ? parseChallenge(response.headers.get('www-authenticate')) : undefined;
    const known = await this.#auth.hostAuth(ref.registry);
    // Retry once when a token may have expired, or when the registry asks for auth its /v2/ did not.
    if (challenge !== undefined && (challenge.scheme === 'bearer' || known.kind === 'anonymous')) {
      await response.body?.cancel();
      this.#auth.learn(ref.registry, challenge);
      const renewed = headers(await this.#auth.authorization(ref, true));
      count();
      response = await send(url, { method, headers: renewed, redirect }, what, this.#policy, this.#effects);
    }
    this.#keepRateLimit(ref.registry, response.headers);
    if (response.status >= 400) await refuse(response, ref, reference, this.#credentials);
    return response;
  }

  #keepRateLimit(registry: string, headers: Headers): void {
    const limit = Number.parseInt(headers.get('ratelimit-limit') ?? '', 10);
    const remaining = Number.parseInt(headers.get('ratelimit-remaining') ?? '', 10);
    if (Number.isFinite(limit) && Number.isFinite(remaining)) this.#rateLimits.set(registry, { limit, remaining });
  }
}
