/** Git credentials from the environment or a mounted file; registered for redaction as soon as read. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../errors.js';
import { registerSecret } from '../log/redact.js';

/** HTTP credentials for the git remotes. */
export interface GitCredentials {
  readonly username: string;
  readonly token: string;
}

/** GitHub accepts any user name with a token; this one is what its docs use. */
const DEFAULT_USERNAME = 'x-access-token';

async function readTrimmed(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}

/**
 * Resolve credentials: a mounted file or folder (`--git-credentials-file` or GIT_CREDENTIALS_FILE) wins over
 * GIT_USERNAME / GIT_TOKEN. A file holds `token` or `username:token`; a folder (a mounted Kubernetes Secret)
 * holds `username` and `token` (or `password`) files. Returns null when none is configured.
 */
export async function resolveCredentials(
  env: Readonly<Record<string, string | undefined>>,
  file?: string,
): Promise<GitCredentials | null> {
  const path = file ?? env.GIT_CREDENTIALS_FILE;
  if (path !== undefined && path !== '') {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      throw new FactoryError('usage', `git credentials file ${path} cannot be read: ${(error as Error).message}`);
    }
    if (info.isDirectory()) {
      const token = await readTrimmed(join(path, 'token')).catch(() => readTrimmed(join(path, 'password')));
      const username = await readTrimmed(join(path, 'username')).catch(() => DEFAULT_USERNAME);
      registerSecret(token);
      return { username: username || DEFAULT_USERNAME, token };
    }
    const content = (await readTrimmed(path)).split('\n')[0] ?? '';
    const colon = content.indexOf(':');
    const credentials =
      colon > 0
        ? { username: content.slice(0, colon), token: content.slice(colon + 1) }
        : { username: env.GIT_USERNAME || DEFAULT_USERNAME, token: content };
    registerSecret(credentials.token);
    if (credentials.token === '') throw new FactoryError('usage', `git credentials file ${path} is empty`);
    return credentials;
  }
  const token = env.GIT_TOKEN;
  if (token === undefined || token === '') return null;
  registerSecret(token);
  return { username: env.GIT_USERNAME || DEFAULT_USERNAME, token };
}

/**
 * Credentials written into an HTTP(S) URL (`https://user:TOKEN@host/repo.git`) are moved out of it: git would
 * otherwise keep the token in its argv and in the clone's `.git/config`, which stays on disk if the Job is killed.
 * The token then travels as the Authorization header, like every other credential.
 */
export function credentialsFromURL(url: string): { url: string; credentials: GitCredentials | null } {
  if (!/^https?:\/\//i.test(url)) return { url, credentials: null };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, credentials: null };
  }
  if (parsed.username === '' && parsed.password === '') return { url, credentials: null };
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  // `https://TOKEN@host` (GitLab and GitHub accept a token as the user name) or `https://user:TOKEN@host`.
  const token = password === '' ? username : password;
  registerSecret(token);
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.href,
    credentials: { username: password === '' ? DEFAULT_USERNAME : username || DEFAULT_USERNAME, token },
  };
}
