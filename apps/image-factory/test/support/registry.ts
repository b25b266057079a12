/**
 * A real registry for the tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 with its own storage,
 * with htpasswd auth or token auth (a token server here signs RS256 JWTs with a throwaway certificate made by
 * openssl), filled over the registry API. The registry's JSON log tells which requests it served.
 *
 * What a real registry will not do on demand, a proxy in front of it does (`startProxy`): answer 429/5xx, serve
 * other bytes under the same digest, stream a body without end, name another token realm, refuse a revoked token.
 * The token server issues tokens for a lifetime the test sets (`expires_in` and the JWT's `exp` alike), so the
 * registry itself refuses them once they expire.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, createSign, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tempDir } from './git-repos.js';

export const USER = 'alice';
export const PASSWORD = 'correct-horse-battery-staple';
/** An OAuth2 refresh token the token server accepts (what `docker login` stores as `identitytoken`). */
export const REFRESH_TOKEN = 'refresh-token-for-alice';

export interface LoggedRequest {
  readonly method: string;
  readonly uri: string;
  readonly status: number | undefined;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as references name it. */
  readonly host: string;
  readonly auth: 'htpasswd' | 'token';
  /** Requests the registry logged, one per request id, in order. */
  requests(): LoggedRequest[];
  /** Requests the token server answered (token auth only). */
  readonly tokenRequests: { method: string; scope: string; account: string }[];
  /**
   * The token server's `HOST:PORT` (token auth only): a plain-HTTP realm on another port than the registry's, so a
   * client must name it with `--insecure-registry` as well as the registry.
   */
  readonly tokenHost: string | undefined;
  /** The tokens the token server issued, in order. */
  readonly issuedTokens: readonly string[];
  /**
   * The lifetime of the tokens issued from now on: the answer's `expires_in` and the JWT's `exp` alike (so the
   * registry refuses a token once it has expired). `null`: no `expires_in` in the answer (the token spec's 60 s).
   */
  setTokenLifetime(seconds: number | null): void;
  /** Authorization header value for pushes and pulls of `repository`. */
  authorization(repository: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

interface TokenServer {
  readonly url: string;
  readonly requests: { method: string; scope: string; account: string }[];
  readonly issued: string[];
  readonly server: Server;
  lifetime: number | null;
  sign(scopes: string[], account: string, seconds: number): string;
}

/** The lifetime of a token issued without `expires_in`, as the token spec says a client must assume. */
const SPEC_DEFAULT_TOKEN_SECONDS = 60;
/**
 * distribution 2.8 accepts a token up to 60 s past its `exp` (`Leeway` in registry/auth/token/token.go, measured
 * here: a token with `exp` = now + 1 s was refused 60.7 s later): `exp` is set that much earlier, so the registry
 * refuses a token when the lifetime the answer states has passed.
 */
const REGISTRY_LEEWAY_SECONDS = 60;
/** The default lifetime of the tokens the test token server issues. */
const DEFAULT_TOKEN_SECONDS = 300;

/** A throwaway RSA key and self-signed certificate made by openssl (`extra`: more `req` arguments). */
function selfSigned(key: string, cert: string, subject: string, ...extra: string[]): void {
  const args = [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    subject,
  ];
  execFileSync('openssl', [...args, ...extra], { stdio: 'ignore' });
}

/**
 * The token server of the Docker token spec: GET with Basic auth, POST with a refresh token. Plain HTTP, or HTTPS
 * with `tls` (the registry's own key and certificate).
 */
async function startTokenServer(
  dir: string,
  service: string,
  issuer: string,
  tls?: { key: string; cert: string },
): Promise<TokenServer> {
  const key = join(dir, 'token.key');
  const cert = join(dir, 'token.crt');
  selfSigned(key, cert, '/CN=image-factory-test-token');
  const privateKey = readFileSync(key, 'utf8');
  const der = new X509Certificate(readFileSync(cert)).raw.toString('base64');
  const requests: TokenServer['requests'] = [];
  const issued: string[] = [];
  const sign = (scopes: string[], account: string, seconds: number) => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((scope) => {
      const [type = '', name = '', actions = ''] = scope.split(':');
      const allowed = account === USER || name.startsWith('public/') ? actions.split(',') : [];
      return { type, name, actions: account === USER ? allowed : allowed.filter((a) => a === 'pull') };
    });
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der] }));
    const claims = base64url(
      JSON.stringify({
        iss: issuer,
        sub: account,
        aud: service,
        exp: now + seconds - REGISTRY_LEEWAY_SECONDS,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      }),
    );
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(privateKey).toString('base64url');
    return `${header}.${claims}.${signature}`;
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let account = '';
      let scopes = url.searchParams.getAll('scope');
      if (req.method === 'POST') {
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== REFRESH_TOKEN) {
          res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          requests.push({ method: 'POST', scope: form.get('scope') ?? '', account: 'refused' });
          return;
        }
        account = USER;
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      } else if (req.headers.authorization !== undefined) {
        const [user, password] = Buffer.from(req.headers.authorization.replace(/^Basic /, ''), 'base64')
          .toString()
          .split(':');
        if (user !== USER || password !== PASSWORD) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          requests.push({ method: 'GET', scope: scopes.join(' '), account: 'refused' });
          return;
        }
        account = USER;
      }
      requests.push({ method: req.method ?? '', scope: scopes.join(' '), account });
      const seconds = tokenServer.lifetime;
      const token = sign(scopes, account, seconds ?? SPEC_DEFAULT_TOKEN_SECONDS);
      issued.push(token);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token, ...(seconds === null ? {} : { expires_in: seconds }) }));
    });
  };
  const server: Server =
    tls === undefined
      ? createServer(handle)
      : createHttpsServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const tokenServer: TokenServer = {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/token`,
    requests,
    issued,
    server,
    lifetime: DEFAULT_TOKEN_SECONDS,
    sign,
  };
  return tokenServer;
}

/**
 * Start a registry with `auth`; `tls` serves HTTPS with a certificate for 127.0.0.1 made by openssl, `tokenTls` the
 * token server too (with the same certificate; else it is plain HTTP on its own port).
 */
export async function startRegistry(
  auth: 'htpasswd' | 'token',
  options: { tls?: boolean; tokenTls?: boolean } = {},
): Promise<TestRegistry & { caFile?: string }> {
  const dir = tempDir('if-registry-');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const service = 'image-factory-test-registry';
  const issuer = 'image-factory-test-issuer';
  let tlsConfig = '';
  let caFile: string | undefined;
  if (options.tls) {
    caFile = join(dir, 'registry.crt');
    selfSigned(join(dir, 'registry.key'), caFile, '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
    tlsConfig = `  tls:\n    certificate: ${caFile}\n    key: ${join(dir, 'registry.key')}\n`;
  }
  let token: TokenServer | undefined;
  let authConfig: string;
  if (auth === 'htpasswd') {
    execFileSync('htpasswd', ['-B', '-i', '-c', join(dir, 'htpasswd'), USER], {
      input: PASSWORD,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    authConfig = `  htpasswd:\n    realm: ${service}\n    path: ${join(dir, 'htpasswd')}\n`;
  } else {
    const tokenTls =
      options.tokenTls && caFile !== undefined ? { key: join(dir, 'registry.key'), cert: caFile } : undefined;
    token = await startTokenServer(dir, service, issuer, tokenTls);
    authConfig = `  token:\n    realm: ${token.url}\n    service: ${service}\n    issuer: ${issuer}\n    rootcertbundle: ${join(dir, 'token.crt')}\n`;
  }
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: info\n  formatter: json\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n  secret: ${randomUUID()}\n${tlsConfig}auth:\n${authConfig}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const collect = (d: Buffer) => {
    const text = partial + d.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (lines.some((l) => l.includes('"msg":"listening on'))) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`docker-registry did not start (is Debian's docker-registry installed?):\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const authorization = async (repository: string) => {
    if (token === undefined) return `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    return `Bearer ${token.sign([`repository:${repository}:pull,push`], USER, DEFAULT_TOKEN_SECONDS)}`;
  };
  const registry: TestRegistry & { caFile?: string } = {
    host,
    auth,
    ...(caFile === undefined ? {} : { caFile }),
    tokenRequests: token?.requests ?? [],
    tokenHost: token === undefined ? undefined : new URL(token.url).host,
    issuedTokens: token?.issued ?? [],
    setTokenLifetime(seconds) {
      if (token !== undefined) token.lifetime = seconds;
    },
    authorization,
    requests() {
      const byId = new Map<string, { method: string; uri: string; status: number | undefined }>();
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry: Record<string, unknown> = JSON.parse(line);
        const id = entry['http.request.id'];
        if (typeof id !== 'string') continue;
        const seen = byId.get(id) ?? {
          method: String(entry['http.request.method']),
          uri: String(entry['http.request.uri']),
          status: undefined,
        };
        if (typeof entry['http.response.status'] === 'number') seen.status = entry['http.response.status'];
        byId.set(id, seen);
      }
      return [...byId.values()];
    },
    async stop() {
      child.kill();
      token?.server.close();
    },
  };
  return registry;
}

// ---- a proxy that makes the registry lie ----

/** One request the proxy received, as the client sent it. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

/** A plain-HTTP proxy in front of a test registry (name its `host` with `--insecure-registry`). */
export interface RegistryProxy {
  /** `127.0.0.1:PORT` (or `ADDRESS:PORT` when started on another address), as references name it. */
  readonly host: string;
  /** Every request received, in order. */
  readonly requests: ProxiedRequest[];
  /** TCP connections the client opened to the proxy so far. */
  readonly connections: () => number;
  /** Headers added to every answer passed through. */
  extraHeaders: Record<string, string>;
  /**
   * The next request whose path matches gets this answer instead of the registry's (each once, in order); `body`
   * is written from the request (a server that echoes what it was sent).
   */
  fail(path: RegExp, answer: FaultAnswer): void;
  /**
   * Requests whose path matches get the registry's own answer (status and headers, `Docker-Content-Digest` among
   * them) with its body replaced by `replace(body)`: other bytes under the same digest. Until `reset()`.
   */
  tamper(path: RegExp, replace: (body: Buffer) => Buffer): void;
  /**
   * Requests whose path matches get 200 with `contentType` and `total` bytes streamed without a Content-Length, as
   * fast as the client reads them. Resolves with how many bytes were written before the client hung up (or all).
   */
  flood(path: RegExp, total: number, contentType: string): Promise<number>;
  /** Every `WWW-Authenticate` the registry sends is rewritten (the realm a hostile registry names). Until `reset()`. */
  rewriteChallenge(rewrite: (header: string) => string): void;
  /**
   * A request bearing a revoked token is passed on without it, so the registry itself answers 401 with its own
   * challenge. `'every'`: every bearer token, those issued later included. Until `reset()`.
   */
  revoke(token: string | 'every'): void;
  reset(): void;
  stop(): Promise<void>;
}

/** An answer the proxy gives instead of the registry's. */
export interface FaultAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: (request: IncomingMessage) => string;
}

interface Rule<T> {
  readonly path: RegExp;
  readonly value: T;
}

/** Start a proxy in front of `upstream` (a plain-HTTP registry), listening on `address` (default 127.0.0.1). */
export async function startProxy(upstream: TestRegistry, address = '127.0.0.1'): Promise<RegistryProxy> {
  const [upstreamHost = '', upstreamPort = ''] = upstream.host.split(':');
  const failures: Rule<FaultAnswer>[] = [];
  let tampers: Rule<(body: Buffer) => Buffer>[] = [];
  let floods: Rule<{ total: number; contentType: string; done: (written: number) => void }>[] = [];
  let challenge: ((header: string) => string) | undefined;
  let revoked = new Set<string>();
  let revokeEvery = false;
  const requests: ProxiedRequest[] = [];

  const flood = (res: ServerResponse, rule: { total: number; contentType: string; done: (n: number) => void }) => {
    const chunk = Buffer.alloc(64 * 1024, 0x7b);
    let written = 0;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      rule.done(written);
    };
    res.on('close', finish);
    res.writeHead(200, { 'content-type': rule.contentType });
    const pump = () => {
      while (written < rule.total && !res.destroyed) {
        const piece = chunk.subarray(0, Math.min(chunk.length, rule.total - written));
        written += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end(finish);
    };
    pump();
  };

  const forward = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const headers = { ...req.headers, host: upstream.host };
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined && (revokeEvery || revoked.has(bearer))) delete headers.authorization;
    const upstreamRequest = request(
      { host: upstreamHost, port: Number(upstreamPort), method: req.method, path: req.url, headers },
      (answer) => {
        const answerHeaders: Record<string, string | string[] | undefined> = {
          ...answer.headers,
          ...proxy.extraHeaders,
        };
        const www = answer.headers['www-authenticate'];
        if (challenge !== undefined && typeof www === 'string') answerHeaders['www-authenticate'] = challenge(www);
        const tamper = tampers.find((t) => t.path.test(path));
        if (tamper === undefined) {
          res.writeHead(answer.statusCode ?? 502, answerHeaders);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (d: Buffer) => chunks.push(d));
        answer.on('end', () => {
          const body = tamper.value(Buffer.concat(chunks));
          res.writeHead(answer.statusCode ?? 502, { ...answerHeaders, 'content-length': String(body.length) });
          res.end(req.method === 'HEAD' ? undefined : body);
        });
      },
    );
    upstreamRequest.on('error', () => res.destroy());
    req.pipe(upstreamRequest);
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    const failure = failures.findIndex((f) => f.path.test(path));
    if (failure >= 0) {
      const [{ value }] = failures.splice(failure, 1) as [Rule<FaultAnswer>];
      req.resume();
      res.writeHead(value.status, value.headers).end(value.body?.(req));
      return;
    }
    const flooding = floods.find((f) => f.path.test(path));
    if (flooding !== undefined) {
      req.resume();
      flood(res, flooding.value);
      return;
    }
    forward(req, res, path);
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const proxy: RegistryProxy = {
    host: `${address}:${(server.address() as AddressInfo).port}`,
    requests,
    connections: () => connections,
    extraHeaders: {},
    fail(path, answer) {
      failures.push({ path, value: answer });
    },
    tamper(path, replace) {
      tampers.push({ path, value: replace });
    },
    flood(path, total, contentType) {
      return new Promise((done) => floods.push({ path, value: { total, contentType, done } }));
    },
    rewriteChallenge(rewrite) {
      challenge = rewrite;
    },
    revoke(token) {
      if (token === 'every') revokeEvery = true;
      else revoked.add(token);
    },
    reset() {
      failures.length = 0;
      tampers = [];
      floods = [];
      challenge = undefined;
      revoked = new Set();
      revokeEvery = false;
      proxy.extraHeaders = {};
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return proxy;
}

/**
 * A `fetch` for the client's injected effects that trusts `caFile` (the test registry's own certificate): Node
 * reads NODE_EXTRA_CA_CERTS only at process start, so an in-process test of an HTTPS registry speaks TLS through
 * node:https with that CA. Real connections; redirects are not followed (the client's own requests to a registry
 * follow none that these tests make).
 */
export function trustingFetch(caFile: string): typeof fetch {
  const ca = readFileSync(caFile);
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers = new Headers(init?.headers);
      const send = url.protocol === 'https:' ? httpsRequest : request;
      const outgoing = send(
        url,
        { method: init?.method ?? 'GET', headers: Object.fromEntries(headers), ca, signal: init?.signal ?? undefined },
        (answer) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(answer.headers)) {
            for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
              responseHeaders.append(name, one);
          }
          const status = answer.statusCode ?? 502;
          const empty = init?.method === 'HEAD' || status === 204 || status === 304;
          if (empty) answer.resume();
          const body = empty ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>);
          resolve(new Response(body, { status, headers: responseHeaders }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(typeof init?.body === 'string' ? init.body : undefined);
    });
}

// ---- filling the registry over its API ----

export interface Pushed {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function put(registry: TestRegistry, repository: string, path: string, init: RequestInit): Promise<Response> {
  const response = await fetch(`http://${registry.host}/v2/${repository}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: await registry.authorization(repository) },
  });
  if (response.status >= 300)
    throw new Error(`${init.method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

/** Upload a blob (monolithic: POST for an upload session, PUT with the digest). */
export async function pushBlob(
  registry: TestRegistry,
  repository: string,
  bytes: Buffer,
  mediaType: string,
): Promise<Pushed> {
  const digest = sha256(bytes);
  const start = await put(registry, repository, '/blobs/uploads/', { method: 'POST' });
  const location = new URL(start.headers.get('location') ?? '', `http://${registry.host}`);
  location.searchParams.set('digest', digest);
  const response = await fetch(location, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': 'application/octet-stream', authorization: await registry.authorization(repository) },
  });
  if (response.status !== 201) throw new Error(`PUT blob: HTTP ${response.status} ${await response.text()}`);
  return { digest, size: bytes.length, mediaType };
}

/** PUT a manifest under `reference` (a tag, or its digest). */
export async function pushManifest(
  registry: TestRegistry,
  repository: string,
  reference: string,
  manifest: object,
): Promise<Pushed> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const mediaType = String((manifest as { mediaType: string }).mediaType);
  await put(registry, repository, `/manifests/${reference}`, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': mediaType },
  });
  return { digest: sha256(bytes), size: bytes.length, mediaType };
}

export interface ImageSpec {
  readonly format?: 'oci' | 'docker';
  readonly os?: string;
  readonly architecture?: string;
  readonly variant?: string;
  readonly created?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** Makes otherwise equal images differ. */
  readonly layer?: string;
}

/** Push a one-platform image (config, one layer, manifest) and tag it when `tag` is given. */
export async function pushImage(
  registry: TestRegistry,
  repository: string,
  tag: string | undefined,
  spec: ImageSpec = {},
): Promise<Pushed> {
  const oci = (spec.format ?? 'oci') === 'oci';
  const config = {
    ...(spec.created === undefined ? {} : { created: spec.created }),
    architecture: spec.architecture ?? 'amd64',
    os: spec.os ?? 'linux',
    ...(spec.variant === undefined ? {} : { variant: spec.variant }),
    config: { Labels: spec.labels ?? null },
    rootfs: { type: 'layers', diff_ids: [] },
  };
  const configBlob = await pushBlob(
    registry,
    repository,
    Buffer.from(JSON.stringify(config)),
    oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json',
  );
  const layer = await pushBlob(
    registry,
    repository,
    Buffer.from(`layer ${spec.layer ?? ''} ${repository} ${config.architecture}`),
    oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: oci
      ? 'application/vnd.oci.image.manifest.v1+json'
      : 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: configBlob.size },
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    ...(spec.annotations === undefined ? {} : { annotations: spec.annotations }),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return pushManifest(registry, repository, tag ?? sha256(bytes), manifest);
}

/** Push an index (OCI) or manifest list (Docker) over already pushed images. */
export async function pushIndex(
  registry: TestRegistry,
  repository: string,
  tag: string,
  format: 'oci' | 'docker',
  entries: readonly {
    image: Pushed;
    platform: { os: string; architecture: string; variant?: string };
    annotations?: Record<string, string>;
  }[],
): Promise<Pushed> {
  return pushManifest(registry, repository, tag, {
    schemaVersion: 2,
    mediaType:
      format === 'oci'
        ? 'application/vnd.oci.image.index.v1+json'
        : 'application/vnd.docker.distribution.manifest.list.v2+json',
    manifests: entries.map((e) => ({
      mediaType: e.image.mediaType,
      digest: e.image.digest,
      size: e.image.size,
      platform: e.platform,
      ...(e.annotations === undefined ? {} : { annotations: e.annotations }),
    })),
  });
}

/** A Docker config.json granting `registry` the test user (written to a temp folder); returns its path. */
export function dockerConfig(entries: Record<string, object>, extra: object = {}): string {
  const dir = tempDir('if-docker-config-');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ auths: entries, ...extra }));
  return file;
}

export const basicAuthEntry = (user = USER, password = PASSWORD) => ({
  auth: Buffer.from(`${user}:${password}`).toString('base64'),
});
