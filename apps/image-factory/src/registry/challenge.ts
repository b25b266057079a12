/** `WWW-Authenticate` challenges (RFC 7235) as registries send them: `Bearer realm="…",service="…",scope="…"`. */

export interface Challenge {
  /** Lower-case scheme: `basic` or `bearer` (others are kept so the error can name them). */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * Parse the first challenge of a `WWW-Authenticate` value. Quoted values may hold commas and escaped quotes.
 * Returns undefined for an empty or unreadable header.
 */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (header === null) return undefined;
  let rest = header.trim();
  const scheme = TOKEN.exec(rest)?.[0];
  if (scheme === undefined) return undefined;
  rest = rest.slice(scheme.length).trimStart();
  const params: Record<string, string> = {};
  while (rest.length > 0) {
    const name = TOKEN.exec(rest)?.[0];
    if (name === undefined) break;
    rest = rest.slice(name.length).trimStart();
    // A token without '=' starts the next challenge: stop at the first one.
    if (!rest.startsWith('=')) break;
    rest = rest.slice(1).trimStart();
    let value = '';
    if (rest.startsWith('"')) {
      let i = 1;
      for (; i < rest.length && rest[i] !== '"'; i++) {
        if (rest[i] === '\\' && i + 1 < rest.length) i++;
        value += rest[i];
      }
      rest = rest.slice(i + 1);
    } else {
      value = /^[^,\s]*/.exec(rest)?.[0] ?? '';
      rest = rest.slice(value.length);
    }
    params[name.toLowerCase()] = value;
    rest = rest.trimStart();
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
  }
  return { scheme: scheme.toLowerCase(), params };
}
