/**
 * The forges' base URLs, one rule for each, declared once: the code resolves them from this declaration and the
 * help text is rendered from it, so the two cannot drift. A flag beats the environment variables (in the order
 * listed), which beat the default; an empty variable counts as unset. The GitLab URL is the one GitLab host for
 * everything (the pipeline API and the clone URL of a project path); GitHub has two (the API host and the web
 * host clones go to).
 *
 * A base URL receives a token, so it must be `https://` (plain `http://` only for a loopback host: 127.0.0.0/8,
 * ::1, localhost, where test stubs and port-forwards live) and carry no `user:password@`, query or fragment.
 */
import { DEFAULT_GITHUB_API_URL, DEFAULT_GITLAB_URL } from './triggers.js';

/** Where one base URL comes from, in order. */
export interface BaseUrlSetting {
  /** The command-line flag, without `--`. */
  readonly flag: string;
  /** Environment variables read when the flag is absent, first set wins. */
  readonly env: readonly string[];
  /** Used when neither the flag nor a variable is set. */
  readonly fallback: string;
}

/** GitLab, API and clones: `--gitlab-url` > `$GITLAB_URL` > `$CI_SERVER_URL` (GitLab CI sets it) > gitlab.com. */
export const GITLAB_URL: BaseUrlSetting = {
  flag: 'gitlab-url',
  env: ['GITLAB_URL', 'CI_SERVER_URL'],
  fallback: DEFAULT_GITLAB_URL,
};

/** GitHub's API (rebuild triggers): `--github-api-url` > `$GITHUB_API_URL` (Actions sets it) > api.github.com. */
export const GITHUB_API_URL: BaseUrlSetting = {
  flag: 'github-api-url',
  env: ['GITHUB_API_URL'],
  fallback: DEFAULT_GITHUB_API_URL,
};

/** GitHub's web host (clone URLs of owner/name): `--github-url` > `$GITHUB_SERVER_URL` (Actions sets it) > github.com. */
export const GITHUB_URL: BaseUrlSetting = {
  flag: 'github-url',
  env: ['GITHUB_SERVER_URL'],
  fallback: 'https://github.com',
};

/** `--gitlab-url, else $GITLAB_URL, else $CI_SERVER_URL, else https://gitlab.com`: the order, for help and docs. */
export function precedenceText(setting: BaseUrlSetting): string {
  return [`--${setting.flag}`, ...setting.env.map((name) => `$${name}`), setting.fallback].join(', else ');
}

/** The help line of a base-URL option: what it is for, then its order of sources, from the declaration. */
export function baseUrlHelp(setting: BaseUrlSetting, what: string): string {
  return `${what}: ${precedenceText(setting)};\nhttps:// (http:// only for a loopback host), no user:password@, query or fragment`;
}

/** Hosts plain HTTP is allowed to: the machine itself. */
function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname)
  );
}

/**
 * `text` as a base URL (trailing slashes removed), or why it cannot be one. The message never repeats the value:
 * a URL with `user:password@` or a `?private_token=` holds a secret.
 */
export function checkBaseUrl(text: string): { ok: true; url: string } | { ok: false; error: string } {
  let url: URL;
  try {
    // Whitespace or control characters: the URL parser would quietly drop or encode them.
    if ([...text].some((c) => c.trim() === '' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
      throw new Error('whitespace');
    }
    url = new URL(text);
  } catch {
    return { ok: false, error: 'is not a URL (https://host[/path])' };
  }
  const where = `(${url.protocol}//${url.host})`;
  if (url.username !== '' || url.password !== '') {
    return {
      ok: false,
      error: `${where} carries user:password@: give the token in its token file or variable instead`,
    };
  }
  if (text.includes('?') || text.includes('#'))
    return { ok: false, error: `${where} has a query or fragment: give the base URL only` };
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    return {
      ok: false,
      error: `${where} is plain http: a token is sent there, so use https:// (http:// only for 127.0.0.1, ::1 or localhost)`,
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, error: `${where} must be an https:// URL` };
  return { ok: true, url: text.replace(/\/+$/, '') };
}

/** A resolved base URL and where it came from (`--gitlab-url`, `$CI_SERVER_URL`, `default`). */
export interface ResolvedBaseUrl {
  readonly url: string;
  readonly from: string;
}

/**
 * The base URL `setting` resolves to, from the flag's value and the environment, or why the value chosen is not
 * one (naming where it came from). Only the source chosen is checked: a lower one is never read.
 */
export function resolveBaseUrl(
  setting: BaseUrlSetting,
  flagValue: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; value: ResolvedBaseUrl } | { ok: false; error: string } {
  const candidates: [string, string | undefined][] = [
    [`--${setting.flag}`, flagValue],
    ...setting.env.map((name): [string, string | undefined] => [`$${name}`, env[name]]),
  ];
  for (const [from, value] of candidates) {
    if (value === undefined || value.trim() === '') continue;
    const checked = checkBaseUrl(value.trim());
    if (!checked.ok) return { ok: false, error: `${from} ${checked.error}` };
    return { ok: true, value: { url: checked.url, from } };
  }
  return { ok: true, value: { url: setting.fallback, from: 'default' } };
}
