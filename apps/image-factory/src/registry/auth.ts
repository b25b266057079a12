/**
 * How the client authenticates to a registry: the scheme learned from the `WWW-Authenticate` challenge of
 * `GET /v2/` (once per registry, relearned when a 401 names another), Basic credentials, and bearer tokens from the
 * challenge's realm (checked by `realm.ts` before any request) cached per realm, service and scope until their
 * `expires_in` (60 s when absent). Credentials only ever go into `Authorization` headers: never into URLs or messages.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FactoryError } from '../errors.js';
import { registerSecret } from '../log/redact.js';
import type { Challenge } from './challenge.js';
import { parseChallenge } from './challenge.js';
import type { CredentialStore, RegistryCredential } from './docker-config.js';
import { unauthorized } from './errors.js';
import { type HttpEffects, type RetryPolicy, readJson, send } from './http.js';
import { realmRefusal } from './realm.js';
import type { RepositoryRef } from './repository.js';

/** How a registry authenticates, as its challenge says. */
export type HostAuth =
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

const MAX_TOKEN_BYTES = 1024 * 1024;
/** Tokens without `expires_in` live 60 s (the token spec's default); a margin keeps a token from expiring in flight. */
const DEFAULT_TOKEN_SECONDS = 60;
const TOKEN_MARGIN_MS = 5_000;
/** Bounds the token cache so a long run over many repositories cannot grow it without limit. */
const MAX_CACHED_TOKENS = 10_000;

/** When a token answered at `now` stops being used: its `expires_in` (else 60 s) less a margin, at least 1 s. */
export function tokenExpiry(now: number, expiresIn: number | undefined): number {
  const seconds = expiresIn ?? DEFAULT_TOKEN_SECONDS;
  return now + Math.max(seconds * 1000 - TOKEN_MARGIN_MS, 1000);
}

/** The `(pull)` scope a repository needs, in the token spec's syntax. */
const pullScope = (repository: string) => `repository:${repository}:pull`;

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** What a challenge asks for: a bearer token from a realm that is a URL, Basic, or nothing usable (anonymous). */
export function hostAuthOf(challenge: Challenge): HostAuth {
  if (challenge.scheme === 'bearer' && challenge.params.realm !== undefined && URL.canParse(challenge.params.realm)) {
    return { kind: 'bearer', realm: challenge.params.realm, service: challenge.params.service };
  }
  if (challenge.scheme === 'basic') return { kind: 'basic', challenge };
  return { kind: 'anonymous' };
}

/** What the auth of a client needs from it. */
export interface AuthContext {
  readonly credentials: CredentialStore;
  /** The `--insecure-registry` hosts as URLs spell them (`hostKey`), for the token realm rule. */
  readonly insecureHosts: ReadonlySet<string>;
  readonly policy: RetryPolicy;
  readonly effects: HttpEffects;
  readonly userAgent: string;
  /** Counted here: the `GET /v2/` pings and the token requests. */
  readonly counts: { ping: number; token: number };
  /** A registry's API root, `https://HOST/v2/` (or `http://` for an insecure one). */
  readonly apiRoot: (registry: string) => string;
}

/** The auth of one client: what each registry asks for, and the tokens it has bought. */
export class RegistryAuth {
  readonly #context: AuthContext;
  readonly #hosts = new Map<string, Promise<HostAuth>>();
  readonly #tokens = new Map<string, Promise<CachedToken>>();

  constructor(context: AuthContext) {
    this.#context = context;
  }

  /** How a registry authenticates, learned once from `GET /v2/`. */
  hostAuth(registry: string): Promise<HostAuth> {
    let known = this.#hosts.get(registry);
    if (known === undefined) {
      known = this.#ping(registry);
      this.#hosts.set(registry, known);
      known.catch(() => this.#hosts.delete(registry));
    }
    return known;
  }

  /** A 401 named a challenge: requests to that registry follow it from now on. */
  learn(registry: string, challenge: Challenge): void {
    this.#hosts.set(registry, Promise.resolve(hostAuthOf(challenge)));
  }

  /** The Authorization header for a repository (empty when anonymous); `renew` buys a new token first. */
  async authorization(ref: RepositoryRef, renew: boolean): Promise<Record<string, string>> {
    const auth = await this.hostAuth(ref.registry);
    const credential = this.#context.credentials.lookup(ref.registry);
    if (auth.kind === 'anonymous') return {};
    if (auth.kind === 'basic') {
      if (credential?.kind !== 'basic') return {};
      return { authorization: basic(credential.username, credential.password) };
    }
    if (credential?.kind === 'registry-token') return { authorization: `Bearer ${credential.token}` };
    const scope = pullScope(ref.repository);
    const key = `${auth.realm}\n${auth.service ?? ''}\n${scope}`;
    let cached = this.#tokens.get(key);
    if (cached !== undefined && !renew) {
      const token = await cached.catch(() => undefined);
      if (token !== undefined && token.expiresAt > this.#context.effects.now())
        return { authorization: `Bearer ${token.token}` };
    }
    if (this.#tokens.size >= MAX_CACHED_TOKENS) this.#tokens.clear();
    cached = this.#fetchToken(ref, auth, scope, credential);
    this.#tokens.set(key, cached);
    cached.catch(() => this.#tokens.delete(key));
    return { authorization: `Bearer ${(await cached).token}` };
  }

  async #ping(registry: string): Promise<HostAuth> {
    const { counts, userAgent, policy, effects } = this.#context;
    counts.ping++;
    const url = this.#context.apiRoot(registry);
    const response = await send(
      url,
      { method: 'GET', headers: { 'user-agent': userAgent } },
      `GET ${new URL(url).host}/v2/`,
      policy,
      effects,
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

  async #fetchToken(
    ref: RepositoryRef,
    auth: { realm: string; service: string | undefined },
    scope: string,
    credential: RegistryCredential | undefined,
  ): Promise<CachedToken> {
    const { counts, userAgent, policy, effects, credentials } = this.#context;
    const realm = new URL(auth.realm);
    const refusal = realmRefusal(new URL(this.#context.apiRoot(ref.registry)), realm, this.#context.insecureHosts);
    if (refusal !== undefined)
      throw new FactoryError('registry', `${ref.registry}: the token realm ${realm.host} is refused: ${refusal}`);
    counts.token++;
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
          headers: { 'user-agent': userAgent, 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        },
        what,
        policy,
        effects,
      );
    } else {
      if (auth.service !== undefined) realm.searchParams.set('service', auth.service);
      realm.searchParams.set('scope', scope);
      const headers: Record<string, string> = { 'user-agent': userAgent };
      if (credential?.kind === 'basic') headers.authorization = basic(credential.username, credential.password);
      response = await send(realm.toString(), { method: 'GET', headers }, what, policy, effects);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw unauthorized(response.status, ref, credentials);
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
    registerSecret(token);
    return { token, expiresAt: tokenExpiry(effects.now(), body.expires_in) };
  }
}
