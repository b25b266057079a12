/** The registry client's pure rules: challenges, platforms, release times, Kargo's tag choice, config.json keys. */
import { describe, expect, test } from 'vitest';
import { FactoryError } from '../src/errors.js';
import { parseChallenge } from '../src/registry/challenge.js';
import { credentialStoreFrom, NO_CREDENTIALS } from '../src/registry/docker-config.js';
import { retryAfterMs } from '../src/registry/http.js';
import { releaseTime } from '../src/registry/inspect.js';
import { parseManifest } from '../src/registry/manifest.js';
import { choosePlatform, type Platform, parsePlatform } from '../src/registry/platform.js';
import { hostKey, realmRefusal } from '../src/registry/realm.js';
import { chooseTag } from '../src/registry/tag-selection.js';

describe('WWW-Authenticate', () => {
  test("Docker Hub's bearer challenge", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/node:pull',
      },
    });
  });

  test('quoted commas and escapes, unquoted values, a second challenge ignored', () => {
    expect(
      parseChallenge('Bearer realm="https://a/t",scope="repository:a:pull,push",error=insufficient_scope'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://a/t', scope: 'repository:a:pull,push', error: 'insufficient_scope' },
    });
    expect(parseChallenge('Basic realm="say \\"hi\\"", Bearer realm="x"')?.params).toEqual({ realm: 'say "hi"' });
    expect(parseChallenge(null)).toBeUndefined();
    expect(parseChallenge('')).toBeUndefined();
  });
});

describe('token realms (where credentials may go)', () => {
  const registry = new URL('https://registry.example.com/v2/');
  const refused = (realm: string, insecure: string[] = [], from = registry) =>
    realmRefusal(from, new URL(realm), new Set(insecure.map(hostKey)));

  test('HTTPS on any host that is not link-local or loopback: allowed', () => {
    expect(refused('https://auth.example.com/token')).toBeUndefined();
    expect(refused('https://registry.example.com:8443/token')).toBeUndefined();
  });

  test('plain HTTP: only when both the registry and the realm host are named (another port is another host)', () => {
    const plain = new URL('http://registry.example.com:5000/v2/');
    expect(refused('http://registry.example.com:5000/token', ['registry.example.com:5000'], plain)).toBeUndefined();
    expect(refused('http://registry.example.com:5001/token', ['registry.example.com:5000'], plain)).toContain(
      'it is plain HTTP',
    );
    expect(refused('http://auth.example.com/token', ['auth.example.com'], plain)).toContain('it is plain HTTP');
    expect(
      refused('http://AUTH.example.com:80/token', ['registry.example.com:5000', 'auth.example.com'], plain),
    ).toBeUndefined();
    // The registry itself HTTPS: an http realm on its own host is a downgrade, named or not.
    expect(refused('http://registry.example.com/token', ['auth.example.com'])).toContain('it is plain HTTP');
  });

  test('userinfo, link-local, other schemes: refused whatever is named', () => {
    expect(refused('https://u:p@auth.example.com/token')).toContain('userinfo');
    expect(refused('https://u@auth.example.com/token')).toContain('userinfo');
    for (const realm of [
      'https://169.254.169.254/',
      'https://169.254.0.1/',
      'https://[fe80::1]/',
      'https://[febf::1]/',
    ])
      expect(refused(realm, ['169.254.169.254'])).toContain('link-local');
    expect(refused('https://[fec0::1]/')).toBeUndefined();
    expect(refused('https://169.255.0.1/')).toBeUndefined();
    expect(refused('file:///etc/passwd')).toContain('neither https nor http');
  });

  test('loopback only for a registry on loopback', () => {
    for (const realm of [
      'https://127.0.0.1/',
      'https://127.1.2.3/',
      'https://[::1]/',
      'https://localhost/',
      'https://0.0.0.0/',
    ])
      expect(refused(realm)).toContain('it is a loopback address and the registry (registry.example.com) is not');
    expect(refused('https://127.0.0.1:5001/', [], new URL('https://localhost:5000/v2/'))).toBeUndefined();
    expect(refused('https://localhost:5001/', [], new URL('https://[::1]:5000/v2/'))).toBeUndefined();
  });
});

describe('platforms', () => {
  const entries = (...texts: string[]) =>
    texts.map((t) => {
      const parsed = parsePlatform(t);
      if (!parsed.ok) throw new Error(parsed.error);
      return { platform: parsed.value, name: t };
    });
  const want = (text: string): Platform => {
    const parsed = parsePlatform(text);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  };

  test('default: linux/amd64 wherever it is listed, else the first', () => {
    expect(choosePlatform(entries('linux/arm64/v8', 'linux/amd64'))?.name).toBe('linux/amd64');
    expect(choosePlatform(entries('linux/s390x', 'linux/arm64'))?.name).toBe('linux/s390x');
    expect(choosePlatform([])).toBeUndefined();
  });

  test('arm64 means arm64/v8 and arm means arm/v7; another variant is another platform', () => {
    expect(choosePlatform(entries('linux/arm/v6', 'linux/arm64/v8'), want('linux/arm64'))?.name).toBe('linux/arm64/v8');
    expect(choosePlatform(entries('linux/arm/v6', 'linux/arm/v7'), want('linux/arm'))?.name).toBe('linux/arm/v7');
    expect(choosePlatform(entries('linux/arm/v6'), want('linux/arm/v7'))).toBeUndefined();
  });

  test('what is not a platform', () => {
    expect(parsePlatform('linux').ok).toBe(false);
    expect(parsePlatform('linux/amd64/v1/x').ok).toBe(false);
    expect(parsePlatform('Linux/AMD64').ok).toBe(false);
  });
});

describe('release times', () => {
  test('RFC 3339 with nanoseconds or an offset becomes UTC to the second', () => {
    expect(releaseTime('2026-11-01T09:12:00.123456789Z')).toBe('2026-11-01T09:12:00Z');
    expect(releaseTime('2026-11-01T11:12:00+02:00')).toBe('2026-11-01T09:12:00Z');
  });

  test('reproducible-build epochs (1970, 1980, year 1) and garbage are unknown', () => {
    for (const epoch of [
      '1970-01-01T00:00:00Z',
      '1970-01-01T00:00:01Z',
      '1980-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
    ]) {
      expect(releaseTime(epoch)).toBeNull();
    }
    expect(releaseTime('yesterday')).toBeNull();
    expect(releaseTime(undefined)).toBeNull();
    expect(releaseTime('1990-01-01T00:00:00Z')).toBe('1990-01-01T00:00:00Z');
  });

  test('a time that is no calendar instant is unknown: impossible dates, years past 9999 (never "+010000-…")', () => {
    expect(releaseTime('2026-02-30T00:00:00Z')).toBeNull();
    expect(releaseTime('2026-04-31T12:00:00Z')).toBeNull();
    expect(releaseTime('2026-11-01T24:00:00Z')).toBeNull();
    expect(releaseTime('+010000-01-07T00:00:00Z')).toBeNull();
    expect(releaseTime('10000-01-01T00:00:00Z')).toBeNull();
    // The last hour of 9999 at UTC-2 is already year 10000 in UTC.
    expect(releaseTime('9999-12-31T23:00:00-02:00')).toBeNull();
    expect(releaseTime('9999-12-31T23:59:59Z')).toBe('9999-12-31T23:59:59Z');
    expect(releaseTime('2028-02-29T12:00:00Z')).toBe('2028-02-29T12:00:00Z');
  });

  test('Retry-After: seconds, an HTTP date, or nothing usable', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 23 Nov 2026 10:00:45 GMT', now)).toBe(45_000);
    expect(retryAfterMs('Mon, 23 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe("Kargo's tag choice (pkg/image selectors)", () => {
  const postgres = ['15.8', '16.3', '16.4', '16.10', '16.4-bookworm', '17.0', 'latest'];

  test('SemVer, loose (strictSemvers: false): 16.10 beats 16.4 (numbers, not text)', () => {
    expect(
      chooseTag(postgres, { allowTags: '^16\\.\\d+$', imageSelectionStrategy: 'SemVer', strictSemvers: false }),
    ).toEqual({ ok: true, tag: '16.10' });
  });

  test('SemVer strict (the default) skips tags without three numbers', () => {
    expect(chooseTag(postgres, { allowTags: '^16\\.\\d+$' }).ok).toBe(false);
    expect(chooseTag(['1.2.3', '1.10.0', 'v1.11.0', '1.12'], {})).toEqual({ ok: true, tag: 'v1.11.0' });
    expect(chooseTag(['1.2.3', '1.10.0', '1.12', '01.13.0'], {})).toEqual({ ok: true, tag: '1.10.0' });
  });

  test('SemVer constraint, Masterminds-style commas included', () => {
    expect(chooseTag(postgres, { strictSemvers: false, constraint: '>=16, <17' })).toEqual({ ok: true, tag: '16.10' });
    expect(chooseTag(postgres, { strictSemvers: false, constraint: '^15' })).toEqual({ ok: true, tag: '15.8' });
    expect(chooseTag(postgres, { strictSemvers: false, constraint: 'not a range' }).ok).toBe(false);
  });

  test('a prerelease loses to its release; equal versions tie-break on the original text', () => {
    expect(chooseTag(['2.0.0-rc.1', '2.0.0', '1.9.9'], {})).toEqual({ ok: true, tag: '2.0.0' });
    expect(chooseTag(['16', '16.0', '16.0.0'], { strictSemvers: false })).toEqual({ ok: true, tag: '16.0.0' });
  });

  test('Lexical: the greatest string; Digest: the tag in constraint; NewestBuild: not decided here', () => {
    expect(chooseTag(['2024.01', '2024.10', '2024.9'], { imageSelectionStrategy: 'Lexical' })).toEqual({
      ok: true,
      tag: '2024.9',
    });
    expect(chooseTag([], { imageSelectionStrategy: 'Digest', constraint: '7.4-alpine' })).toEqual({
      ok: true,
      tag: '7.4-alpine',
    });
    expect(chooseTag(['a'], { imageSelectionStrategy: 'NewestBuild' }).ok).toBe(false);
  });
});

describe('Docker config.json', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  test('docker.io is the https://index.docker.io/v1/ key, as the Docker CLI stores it', () => {
    const store = credentialStoreFrom(
      { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:secret') } } },
      'c.json',
    );
    expect(store.lookup('docker.io')).toEqual({ kind: 'basic', username: 'hub', password: 'secret' });
    expect(store.lookup('ghcr.io')).toBeUndefined();
  });

  test('keys with a scheme or path name their host; the password may hold colons', () => {
    const store = credentialStoreFrom({ auths: { 'https://ghcr.io/v2/': { auth: b64('u:p:q') } } }, 'c.json');
    expect(store.lookup('ghcr.io')).toEqual({ kind: 'basic', username: 'u', password: 'p:q' });
  });

  test('identitytoken and registrytoken', () => {
    const store = credentialStoreFrom(
      { auths: { 'a.example': { identitytoken: 'refresh' }, 'b.example': { registrytoken: 'bearer' } } },
      'c.json',
    );
    expect(store.lookup('a.example')).toEqual({ kind: 'identity-token', token: 'refresh' });
    expect(store.lookup('b.example')).toEqual({ kind: 'registry-token', token: 'bearer' });
  });

  test('credential helpers: a hint naming the helper, not an error for public pulls', () => {
    const store = credentialStoreFrom({ credHelpers: { 'gcr.io': 'gcloud' } }, 'c.json');
    expect(store.lookup('gcr.io')).toBeUndefined();
    expect(store.hint('gcr.io')).toContain('docker-credential-gcloud');
    expect(NO_CREDENTIALS.hint('docker.io')).toContain('https://index.docker.io/v1/');
  });

  test('a malformed file is an error naming the file and field, never echoing the secret', () => {
    const bad = () => credentialStoreFrom({ auths: { 'x.example': { auth: b64('no-colon-secret') } } }, 'c.json');
    expect(bad).toThrow(FactoryError);
    expect(bad).toThrow('c.json: auths["x.example"]: "auth" is not base64 of user:password');
    expect(() => bad()).not.toThrow('no-colon-secret');
    expect(() => credentialStoreFrom({ auths: [] }, 'c.json')).toThrow('c.json/auths');
  });
});

describe('manifests', () => {
  const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  test('Docker schema 1 and unknown types are refused by name', () => {
    const result = parseManifest(
      bytes({ schemaVersion: 1 }),
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
    );
    expect(result).toEqual({
      ok: false,
      error: expect.stringContaining(
        'unsupported manifest media type "application/vnd.docker.distribution.manifest.v1+prettyjws"',
      ),
    });
  });

  test('the body decides when Content-Type is generic; a bad descriptor is named by path', () => {
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
    expect(parseManifest(bytes(index), 'application/json')).toMatchObject({ ok: true, value: { kind: 'index' } });
    const bad = { ...index, manifests: [{ mediaType: 'x', digest: 'sha256:nothex', size: 1 }] };
    expect(parseManifest(bytes(bad), null)).toEqual({
      ok: false,
      error: expect.stringContaining('/manifests/0/digest'),
    });
    expect(parseManifest(new TextEncoder().encode('{'), null).ok).toBe(false);
  });
});

test("status --live: a platform in state that is not one is that entry's error, never a silent default", async () => {
  const { liveStatus } = await import('../src/registry/live-status.js');
  const { RegistryClient } = await import('../src/registry/client.js');
  const base = {
    name: 'node',
    reference: 'docker.io/library/node:22',
    registry: 'docker.io',
    repository: 'library/node',
    tag: '22',
    digest: null,
    dependents: [],
    platform: 'linux',
  };
  const client = new RegistryClient();
  const { status, exitCode } = await liveStatus(
    client,
    { images: new Map(), baseImages: new Map([['node', base]]) },
    { concurrency: 1, now: new Date('2026-11-23T00:00:00Z') },
  );
  expect(status.baseImages[0]?.error).toBe(
    'platform in state: "linux" is not a platform: expected os/arch or os/arch/variant, e.g. linux/arm64',
  );
  expect(exitCode).toBe(1);
  expect(client.counts).toEqual({ ping: 0, head: 0, get: 0, token: 0 });
});
