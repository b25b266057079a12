import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FactoryError } from '../errors.js';
import { registerSecret } from '../log/redact.js';
import { readJsonFile } from '../util/json-file.js';

const AuthEntrySchema = Type.Object({
  auth: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  identitytoken: Type.Optional(Type.String()),
  registrytoken: Type.Optional(Type.String()),
});

const DockerConfigSchema = Type.Object({
  auths: Type.Optional(Type.Record(Type.String(), AuthEntrySchema)),
  credsStore: Type.Optional(Type.String()),
  credHelpers: Type.Optional(Type.Record(Type.String(), Type.String())),
});

type AuthEntry = Static<typeof AuthEntrySchema>;

/** What the client may present to one registry. */
export type RegistryCredential =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token realm. */
  | { readonly kind: 'identity-token'; readonly token: string }
  /** A bearer token used as is (`registrytoken`). */
  | { readonly kind: 'registry-token'; readonly token: string };

/** Credentials by registry, plus where they came from (for messages; never the secrets themselves). */
export interface CredentialStore {
  /** The credential for a registry as written in references (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  lookup(registry: string): RegistryCredential | undefined;
  /** What to tell a person whose request to `registry` was refused. */
  hint(registry: string): string;
}

const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** The host a config.json key names, as the Docker CLI's ConvertToHostname reads it (scheme and path dropped). */
function hostOfKey(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0] ?? '';
  return DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host;
}

const keyFor = (registry: string) => (registry === 'docker.io' ? DOCKER_HUB_KEY : registry);

function credentialOf(entry: AuthEntry, where: string): RegistryCredential | undefined {
  if (entry.registrytoken) return { kind: 'registry-token', token: entry.registrytoken };
  if (entry.identitytoken) return { kind: 'identity-token', token: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new FactoryError('invalid-config', `${where}: "auth" is not base64 of user:password`);
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password !== undefined) {
    return { kind: 'basic', username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Build the store from a parsed config.json; `label` names the file in messages. */
export function credentialStoreFrom(data: unknown, label: string): CredentialStore {
  if (!Value.Check(DockerConfigSchema, data)) {
    const first = Value.Errors(DockerConfigSchema, data).First();
    throw new FactoryError(
      'invalid-config',
      `${label}${first?.path ?? ''}: ${first?.message ?? 'not a Docker config'}`,
    );
  }
  const byHost = new Map<string, RegistryCredential>();
  // Keys sorted so that two keys naming one host resolve the same way on every machine.
  for (const key of Object.keys(data.auths ?? {}).sort()) {
    const entry = data.auths?.[key];
    if (entry === undefined) continue;
    const credential = credentialOf(entry, `${label}: auths["${key}"]`);
    const host = hostOfKey(key);
    if (credential !== undefined && (!byHost.has(host) || key === keyFor(host))) byHost.set(host, credential);
  }
  const helpers = new Map(Object.entries(data.credHelpers ?? {}).map(([k, v]) => [hostOfKey(k), v]));
  return {
    lookup: (registry) => byHost.get(hostOfKey(registry)),
    hint(registry) {
      const host = hostOfKey(registry);
      const key = keyFor(host);
      if (byHost.has(host)) return `check the ${label} entry for ${key}`;
      const helper = helpers.get(host) ?? data.credsStore;
      if (helper !== undefined) {
        return `${label} sends ${key} to the credential helper docker-credential-${helper}, which image-factory does not run: add a static "auths" entry for ${key} (a kubernetes.io/dockerconfigjson Secret has one)`;
      }
      return `add an "auths" entry for ${key} to ${label} (or pass --registry-config FILE)`;
    },
  };
}

/** The secrets a credential holds, in the forms they travel in (a Basic header's base64 included). */
export function secretsOf(credential: RegistryCredential | undefined): string[] {
  if (credential === undefined) return [];
  if (credential.kind !== 'basic') return [credential.token];
  return [credential.password, Buffer.from(`${credential.username}:${credential.password}`).toString('base64')];
}

/** No credentials at all: every registry is asked anonymously. */
export const NO_CREDENTIALS: CredentialStore = {
  lookup: () => undefined,
  hint: (registry) =>
    `no registry credentials are configured: add an "auths" entry for ${keyFor(hostOfKey(registry))} to a Docker config.json and pass --registry-config FILE`,
};

/**
 * Load credentials: `file` when given (it must exist), else `$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json` (either may be absent: then anonymous).
 */
export async function loadCredentialStore(
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CredentialStore> {
  const explicit = file !== undefined;
  const path = file ?? join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
  // The default file may be absent (anonymous access); one named with --registry-config must exist.
  const data = await readJsonFile(path, 'a Docker config.json', {
    label: `registry config ${path}`,
    maxBytes: MAX_CONFIG_BYTES,
    absentIsUndefined: !explicit,
  });
  if (data === undefined) return NO_CREDENTIALS;
  const store = credentialStoreFrom(data, path);
  // Every secret the file holds is never printed, whichever registry it is for (the store checked every entry).
  if (Value.Check(DockerConfigSchema, data)) {
    for (const [key, entry] of Object.entries(data.auths ?? {})) {
      for (const secret of secretsOf(credentialOf(entry, `${path}: auths["${key}"]`))) registerSecret(secret);
      registerSecret(entry.auth);
    }
  }
  return store;
}
