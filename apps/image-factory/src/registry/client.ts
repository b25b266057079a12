/**
 * A small OCI distribution client: anonymous, basic and bearer-token auth (learned from the `WWW-Authenticate`
 * challenge of `GET /v2/`, once per registry), tokens cached per scope for their lifetime, HEAD for digests, GET
 * for manifests and blobs with their digests verified, rate-limit headers kept. Credentials are only ever put in
 * `Authorization` headers: never in URLs, messages or logs.
 */
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FactoryError } from '../errors.js';
import { type Challenge, parseChallenge } from './challenge.js';
import { type CredentialStore, NO_CREDENTIALS, type RegistryCredential } from './docker-config.js';
import {
  DEFAULT_RETRY_POLICY,
  type HttpEffects,
  NODE_EFFECTS,
  type RetryPolicy,
  readBody,
  readJson,
  send,
} from './http.js';
import { MANIFEST_ACCEPT, type ParsedManifest, parseManifest } from './manifest.js';
import { hostKey, realmRefusal } from './realm.js';

export interface RegistryClientOptions {
  readonly credentials?: CredentialStore;
  /** Registries (`HOST:PORT` as written in references) spoken to over plain HTTP; every other one uses HTTPS. */
  readonly insecureRegistries?: readonly string[];
  readonly retry?: Partial<RetryPolicy>;
  readonly effects?: Partial<HttpEffects>;
  readonly userAgent?: string;
}

/** A repository in a registry, as references name it (`docker.io` + `library/node`). */
export interface RepositoryRef {
  readonly registry: string;
  readonly repository: string;
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

type HostAuth =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'basic'; readonly challenge: Challenge }
  | { readonly kind: 'bearer'; readonly realm: string; readonly service: string | undefined };

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

const TokenResponseSchema = Type.Object({
  token: Type.Optional(Type.String()),
  access_token: Type.Optional(Type.String()),
  expires_in: Type.Optional(Type.Number()),
});

const TagListSchema = Type.Object({ tags: Type.Union([Type.Array(Type.String()), Type.Null()]) });

const ErrorBodySchema = Type.Object({
  errors: Type.Array(Type.Object({ code: Type.Optional(Type.String()), message: Type.Optional(Type.String()) })),
});

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 5;
const MAX_TAG_PAGES = 100;
/** Tokens without `expires_in` live 60 s (the token spec's default); a margin keeps a token from expiring in flight. */
const DEFAULT_TOKEN_SECONDS = 60;
const TOKEN_MARGIN_MS = 5_000;
/** Bounds the token cache so a long run over many repositories cannot grow it without limit. */
const MAX_CACHED_TOKENS = 10_000;

/** Docker Hub's API host: `docker.io` in references, `registry-1.docker.io` on the wire (as the Docker CLI does). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

function digestOf(bytes: Uint8Array, algorithm: string): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** The `(pull)` scope a repository needs, in the token spec's syntax. */
const pullScope = (repository: string) => `repository:${repository}:pull`;

export class RegistryClient {
  readonly counts: RequestCounts = { ping: 0, head: 0, get: 0, token: 0 };
  readonly #credentials: CredentialStore;
  readonly #insecure: ReadonlySet<string>;
  /** The same hosts as URLs spell them, for the token realm rule. */
  readonly #insecureHosts: ReadonlySet<string>;
  readonly #policy: RetryPolicy;
  readonly #effects: HttpEffects;
  readonly #userAgent: string;
  readonly #hosts = new Map<string, Promise<HostAuth>>();
  readonly #tokens = new Map<string, Promise<CachedToken>>();
  readonly #rateLimits = new Map<string, RateLimit>();

  constructor(options: RegistryClientOptions = {}) {
    this.#credentials = options.credentials ?? NO_CREDENTIALS;
    this.#insecure = new Set(options.insecureRegistries ?? []);
    this.#insecureHosts = new Set([...this.#insecure].map((host) => hostKey(apiHost(host))));
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#effects = { ...NODE_EFFECTS, ...options.effects };
    this.#userAgent = options.userAgent ?? 'image-factory';
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
    let origin = new URL(response.url || this.#url(ref, '')).origin;
    for (let hop = 0; hop < MAX_REDIRECTS && response.status >= 300 && response.status < 400; hop++) {
      const location = response.headers.get('location');
      await response.body?.cancel();
      if (location === null) break;
      const next = new URL(location, `${origin}/`);
      // Credentials go to the registry only: a redirect to storage (S3, a CDN) is followed without them.
      const headers: Record<string, string> = { 'user-agent': this.#userAgent };
      if (next.origin === origin) Object.assign(headers, await this.#authorization(ref, false));
      this.counts.get++;
      response = await send(
        next.toString(),
        { method: 'GET', headers, redirect: 'manual' },
        what,
        this.#policy,
        this.#effects,
      );
      origin = next.origin;
    }
    if (response.status !== 200) await this.#refuse(response, ref, digest);
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
      ...auth,
    });
    const count = () => (method === 'HEAD' ? this.counts.head++ : this.counts.get++);
    const first = headers(await this.#authorization(ref, false));
    count(); // after auth: a request that never left (its registry unreachable) is not counted
    let response = await send(url, { method, headers: first, redirect }, what, this.#policy, this.#effects);
    const challenge = response.status === 401 ? parseChallenge(response.headers.get('www-authenticate')) : undefined;
    const known = await this.#hostAuth(ref.registry);
    // Retry once when a token may have expired, or when the registry asks for auth its /v2/ did not.
    if (challenge !== undefined && (challenge.scheme === 'bearer' || known.kind === 'anonymous')) {
      await response.body?.cancel();
      this.#hosts.set(ref.registry, Promise.resolve(hostAuthOf(challenge)));
      const renewed = headers(await this.#authorization(ref, true));
      count();
      response = await send(url, { method, headers: renewed, redirect }, what, this.#policy, this.#effects);
    }
    this.#keepRateLimit(ref.registry, response.headers);
    if (response.status >= 400) await this.#refuse(response, ref, reference);
    return response;
  }

  #keepRateLimit(registry: string, headers: Headers): void {
    const limit = Number.parseInt(headers.get('ratelimit-limit') ?? '', 10);
    const remaining = Number.parseInt(headers.get('ratelimit-remaining') ?? '', 10);
    if (Number.isFinite(limit) && Number.isFinite(remaining)) this.#rateLimits.set(registry, { limit, remaining });
  }

  /** A refused pull, with what to check in the credentials (never the credentials themselves). */
  #unauthorized(status: number, ref: RepositoryRef): FactoryError {
    const hint = this.#credentials.hint(ref.registry);
    return new FactoryError('unauthorized', `${status} from ${ref.registry} for ${ref.repository} (pull): ${hint}`);
  }

  /** Turn an error status into an error a person can act on. */
  async #refuse(response: Response, ref: RepositoryRef, reference: string): Promise<never> {
    const what = `${ref.registry}/${ref.repository}`;
    let detail: { code?: string; message?: string } | undefined;
    if (response.body !== null) {
      try {
        const body = await readJson(response, 64 * 1024, what);
        if (Value.Check(ErrorBodySchema, body)) detail = body.errors[0];
      } catch {
        // A body that is not the distribution error JSON: the status alone says enough.
      }
    }
    const status = response.status;
    if (status === 401 || status === 403) throw this.#unauthorized(status, ref);
    if (status === 404) {
      const target = reference.includes(':') ? `digest ${reference}` : `tag ${reference}`;
      if (detail?.code === 'NAME_UNKNOWN' || reference === 'tags')
        throw new FactoryError('not-found', `repository unknown: ${what}`);
      if (detail?.code === 'BLOB_UNKNOWN') throw new FactoryError('not-found', `blob unknown: ${reference} of ${what}`);
      throw new FactoryError('not-found', `manifest unknown: ${target} of ${what}`);
    }
    const message = detail?.message ?? detail?.code;
    throw new FactoryError(
      'registry',
      `${response.url ? new URL(response.url).host : ref.registry}: HTTP ${status} for ${reference} of ${what}${message === undefined ? '' : `: ${message}`}`,
    );
  }

  /** How a registry authenticates, learned once from `GET /v2/`. */
  #hostAuth(registry: string): Promise<HostAuth> {
    let known = this.#hosts.get(registry);
    if (known === undefined) {
      known = this.#ping(registry);
      this.#hosts.set(registry, known);
      known.catch(() => this.#hosts.delete(registry));
    }
    return known;
  }

  async #ping(registry: string): Promise<HostAuth> {
    this.counts.ping++;
    const url = this.#url({ registry, repository: '' }, '');
    const response = await send(
      url,
      { method: 'GET', headers: { 'user-agent': this.#userAgent } },
      `GET ${apiHost(registry)}/v2/`,
      this.#policy,
      this.#effects,
    );
    await response.body?.cancel();
    if (response.status === 401) {
      const challenge = parseChallenge(response.headers.get('www-authenticate'));
      if (challenge !== undefined) return hostAuthOf(challenge);
    }
    if (response.status >= 400 && response.status !== 401) {
      throw new FactoryError(
        'registry',
        `${registry} does not answer as a registry: GET /v2/ returned HTTP ${response.status}`,
      );
    }
    return { kind: 'anonymous' };
  }

  /** The Authorization header for a repository (empty when anonymous); `renew` drops a cached token first. */
  async #authorization(ref: RepositoryRef, renew: boolean): Promise<Record<string, string>> {
    const auth = await this.#hostAuth(ref.registry);
    const credential = this.#credentials.lookup(ref.registry);
    if (auth.kind === 'anonymous') return {};
    if (auth.kind === 'basic') {
      if (credential?.kind !== 'basic') return {};
      return {
        authorization: `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`,
      };
    }
    if (credential?.kind === 'registry-token') return { authorization: `Bearer ${credential.token}` };
    const scope = pullScope(ref.repository);
    const key = `${auth.realm}\n${auth.service ?? ''}\n${scope}`;
    let cached = this.#tokens.get(key);
    if (cached !== undefined && !renew) {
      const token = await cached.catch(() => undefined);
      if (token !== undefined && token.expiresAt > this.#effects.now())
        return { authorization: `Bearer ${token.token}` };
    }
    if (this.#tokens.size >= MAX_CACHED_TOKENS) this.#tokens.clear();
    cached = this.#fetchToken(ref, auth, scope, credential);
    this.#tokens.set(key, cached);
    cached.catch(() => this.#tokens.delete(key));
    return { authorization: `Bearer ${(await cached).token}` };
  }

  async #fetchToken(
    ref: RepositoryRef,
    auth: { realm: string; service: string | undefined },
    scope: string,
    credential: RegistryCredential | undefined,
  ): Promise<CachedToken> {
    const realm = new URL(auth.realm);
    const refusal = realmRefusal(new URL(this.#url(ref, '')), realm, this.#insecureHosts);
    if (refusal !== undefined)
      throw new FactoryError('registry', `${ref.registry}: the token realm ${realm.host} is refused: ${refusal}`);
    this.counts.token++;
    const what = `token for ${ref.registry}/${ref.repository} from ${realm.host}`;
    let response: Response;
    if (credential?.kind === 'identity-token') {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credential.token,
        client_id: 'image-factory',
        scope,
      });
      if (auth.service !== undefined) form.set('service', auth.service);
      response = await send(
        realm.toString(),
        {
          method: 'POST',
          headers: { 'user-agent': this.#userAgent, 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        },
        what,
        this.#policy,
        this.#effects,
      );
    } else {
      if (auth.service !== undefined) realm.searchParams.set('service', auth.service);
      realm.searchParams.set('scope', scope);
      const headers: Record<string, string> = { 'user-agent': this.#userAgent };
      if (credential?.kind === 'basic') {
        headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
      }
      response = await send(realm.toString(), { method: 'GET', headers }, what, this.#policy, this.#effects);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw this.#unauthorized(response.status, ref);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new FactoryError('registry', `${what}: HTTP ${response.status}`);
    }
    const body = await readJson(response, MAX_TOKEN_BYTES, what);
    if (!Value.Check(TokenResponseSchema, body))
      throw new FactoryError('registry', `${what}: the answer is not a token`);
    const token = body.token ?? body.access_token;
    if (token === undefined || token === '') throw new FactoryError('registry', `${what}: the answer has no token`);
    const seconds = body.expires_in ?? DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: this.#effects.now() + Math.max(seconds * 1000 - TOKEN_MARGIN_MS, 1000) };
  }
}

function hostAuthOf(challenge: Challenge): HostAuth {
  if (challenge.scheme === 'bearer' && challenge.params.realm !== undefined && URL.canParse(challenge.params.realm)) {
    return { kind: 'bearer', realm: challenge.params.realm, service: challenge.params.service };
  }
  if (challenge.scheme === 'basic') return { kind: 'basic', challenge };
  return { kind: 'anonymous' };
}

function describe(ref: RepositoryRef, reference: string): string {
  return `${ref.registry}/${ref.repository}${reference.includes(':') ? '@' : ':'}${reference}`;
}
