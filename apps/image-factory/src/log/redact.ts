/** Secrets registered here are replaced by "***" in every log line and error the CLI prints. */

const secrets = new Set<string>();

/** Remember a secret (and its Basic-auth and URL-encoded forms) so it is never printed. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret === undefined || secret === null || secret.length < 4) return;
  secrets.add(secret);
  secrets.add(encodeURIComponent(secret));
}

/** Remember the Basic-auth header value for username:token. */
export function registerBasicAuth(username: string, token: string): string {
  const encoded = Buffer.from(`${username}:${token}`).toString('base64');
  registerSecret(token);
  registerSecret(encoded);
  return encoded;
}

/** Replace every registered secret, and any user:password@ in URLs, with "***". */
export function redact(text: string): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+(:[^/\s@]*)?@/gi, '$1***@');
}

/** Forget every secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
}
