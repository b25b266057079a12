/** The options every command that talks to registries takes, declared once, and the client they configure. */

import { FactoryError } from '../errors.js';
import { RegistryClient } from '../registry/client.js';
import { loadCredentialStore } from '../registry/docker-config.js';
import { DEFAULT_RETRY_POLICY } from '../registry/http.js';
import { type CommandIO, durationOption, type OptionSpecs } from './usage.js';

export const REGISTRY_OPTIONS = {
  'registry-config': {
    type: 'string',
    value: 'FILE',
    help: 'Docker config.json with registry credentials (default $DOCKER_CONFIG/config.json, else ~/.docker/config.json; absent: anonymous)',
  },
  'insecure-registry': {
    type: 'string',
    multiple: true,
    value: 'HOST:PORT',
    help: 'speak plain HTTP to this registry (repeatable); every other registry is HTTPS',
  },
  'registry-timeout': {
    type: 'string',
    value: 'DURATION',
    help: `time allowed per registry request (default ${DEFAULT_RETRY_POLICY.timeoutMs / 1000}s)`,
  },
  'registry-backoff': {
    type: 'string',
    value: 'DURATION',
    help: `first wait before retrying a 5xx or network error, doubling (default ${DEFAULT_RETRY_POLICY.backoffMs}ms; ${DEFAULT_RETRY_POLICY.maxAttempts} attempts)`,
  },
} as const satisfies OptionSpecs;

interface RegistryValues {
  'registry-config'?: string;
  'insecure-registry'?: string[];
  'registry-timeout'?: string;
  'registry-backoff'?: string;
}

const HOST_PORT = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:]+\](:\d{1,5})?$/;

/** A client configured from the options (credentials read now, so a bad config.json fails before any request). */
export async function registryClientFrom(
  command: string,
  values: RegistryValues,
  io: CommandIO,
): Promise<RegistryClient> {
  const duration = (flag: 'registry-timeout' | 'registry-backoff', fallbackMs: number) =>
    durationOption(command, flag, values[flag], fallbackMs);
  for (const host of values['insecure-registry'] ?? []) {
    if (!HOST_PORT.test(host)) {
      throw new FactoryError(
        'usage',
        `image-factory ${command}: --insecure-registry takes HOST or HOST:PORT as references write it, got "${host}"`,
      );
    }
  }
  const configFile = values['registry-config'];
  return new RegistryClient({
    credentials: await loadCredentialStore(
      configFile === undefined ? undefined : resolveFrom(io.cwd, configFile),
      io.env,
    ),
    insecureRegistries: values['insecure-registry'] ?? [],
    retry: {
      timeoutMs: duration('registry-timeout', DEFAULT_RETRY_POLICY.timeoutMs),
      backoffMs: duration('registry-backoff', DEFAULT_RETRY_POLICY.backoffMs),
    },
  });
}

function resolveFrom(cwd: string, file: string): string {
  return file.startsWith('/') ? file : `${cwd}/${file}`;
}
