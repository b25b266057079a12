/**
 * Secrets never leave the process. `redact` is applied to every log line and error the CLI prints: the secrets
 * registered here, GitHub/GitLab token shapes and `user:password@` in URLs become "***". `redactAnswer` is for text
 * a remote server wrote (a forge's or a registry's answer, which may echo the request's headers): it also replaces
 * any `Authorization`/`PRIVATE-TOKEN`-shaped value and `Bearer`/`Basic`/`token` credentials, and, when the answer
 * was cut, a secret's beginning left at the cut.
 */

const secrets = new Set<string>();

/** Remember a secret (and its URL-encoded form) so it is never printed. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret === undefined || secret === null || secret.length < 4) return;
  for (const form of formsOf(secret)) secrets.add(form);
}

/** Remember the Basic-auth header value for username:token. */
export function registerBasicAuth(username: string, token: string): string {
  const encoded = Buffer.from(`${username}:${token}`).toString('base64');
  registerSecret(token);
  registerSecret(encoded);
  return encoded;
}

/** The forms a secret takes in text: itself, URL-encoded, JSON-escaped. */
function formsOf(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])];
}

/**
 * Token shapes: GitHub classic `ghp_`, OAuth `gho_`, user-to-server `ghu_`, server-to-server `ghs_`, refresh `ghr_`,
 * fine-grained `github_pat_`; GitLab personal/project/group `glpat-`.
 */
const TOKEN_SHAPES = /\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_.-]{20,})/g;

/**
 * `scheme://user[:password]@` in a URL. Not `name@sha256:…`: kubelet's image IDs (`docker-pullable://nginx@sha256:…`)
 * put a digest (OCI grammar `algorithm:hex`) after the `@`, and that is no credential.
 */
const URL_USERINFO =
  /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+(:[^/\s@]*)?@(?![a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,})/gi;

/** `Authorization: …`, `"private-token": "…"`, `PRIVATE-TOKEN=…` (also JSON-escaped): the value up to its end. */
const HEADER_VALUE = /\b((?:proxy-)?authorization|private-token|job-token)(\\?["']?\s*[:=]\s*\\?["']?)([^"'\\\r\n]+)/gi;

/** `Bearer x`, `Basic x`, `token x`: the credential after an HTTP auth scheme. */
const SCHEME_VALUE = /\b(bearer|basic|token)(\s+)([A-Za-z0-9._~+/=-]{4,})/gi;

/**
 * Whether the word after `Bearer`/`Basic`/`token` looks like a credential rather than English ("token expired",
 * "Basic authentication", "a Bearer token."): a digit, mixed case, a symbol of the base64/token alphabets (a
 * sentence's closing period aside), or 20 characters and more.
 */
function looksLikeCredential(word: string): boolean {
  const core = word.replace(/\.$/, '');
  return /\d/.test(core) || (/[a-z]/.test(core) && /[A-Z]/.test(core)) || /[._~+/=-]/.test(core) || core.length >= 20;
}

/** `realm="…"` in a `WWW-Authenticate: Bearer realm="…"` challenge: a parameter's name, not a credential. */
const isAuthParam = (word: string, next: string | undefined): boolean => /^[A-Za-z_-]+=$/.test(word) && next === '"';

function replaceSecrets(text: string, known: Iterable<string>): string {
  let out = text;
  for (const secret of [...known].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out;
}

/** Replace every registered secret, every GitHub/GitLab token shape, and any user:password@ in URLs, with "***". */
export function redact(text: string): string {
  return replaceSecrets(text, secrets).replace(TOKEN_SHAPES, '***').replace(URL_USERINFO, '$1***@');
}

export interface AnswerRedaction {
  /** Secrets the caller sent with the request (the token), whether registered or not. */
  readonly held?: readonly string[];
  /** The answer was cut at a byte bound: a secret may have been cut too, and its beginning is redacted. */
  readonly truncated?: boolean;
}

/**
 * Text a remote server wrote, made safe to store, print or commit: `redact`, plus header-shaped values
 * (`Authorization`, `Proxy-Authorization`, `PRIVATE-TOKEN`, `JOB-TOKEN`) and `Bearer`/`Basic`/`token` credentials.
 */
export function redactAnswer(text: string, options: AnswerRedaction = {}): string {
  const held = (options.held ?? []).filter((s) => s.length >= 4).flatMap(formsOf);
  let out = redact(replaceSecrets(text, held))
    .replace(HEADER_VALUE, '$1$2***')
    .replace(SCHEME_VALUE, (whole: string, scheme: string, space: string, word: string, at: number, all: string) =>
      isAuthParam(word, all[at + whole.length]) || !looksLikeCredential(word) ? whole : `${scheme}${space}***`,
    );
  if (options.truncated === true) out = redactCutEnd(out, [...secrets, ...held]);
  return out;
}

/** A scheme's credential or a header's value running to the end of a cut answer. */
const CUT_SCHEME_VALUE = /\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]+$/i;
const CUT_HEADER_VALUE =
  /\b((?:proxy-)?authorization|private-token|job-token)(\\?["']?\s*[:=]\s*\\?["']?)[^"'\\\r\n]+$/i;

/** A cut answer: the beginning of a secret, or a credential after a scheme or header name, at its very end. */
function redactCutEnd(text: string, known: readonly string[]): string {
  // Three characters or fewer of a secret's beginning tell nothing (and would match any text's last letters).
  for (const secret of known) {
    for (let length = Math.min(secret.length - 1, text.length); length >= 4; length--) {
      if (text.endsWith(secret.slice(0, length))) return `${text.slice(0, text.length - length)}***`;
    }
  }
  return text.replace(CUT_SCHEME_VALUE, '$1$2***').replace(CUT_HEADER_VALUE, '$1$2***');
}

/** Forget every secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
}
