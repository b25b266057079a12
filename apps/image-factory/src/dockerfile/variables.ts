/**
 * Variable expansion as BuildKit's shell lexer does it for FROM, COPY --from and RUN --mount from=
 * (`$V`, `${V}`, `${V:-default}`, `${V-default}`, `${V:+alt}`, `${V+alt}`, quotes, the escape character).
 */

/** What a name resolves to: a value, declared without a value (`null`), or not declared (`undefined`). */
export type VariableLookup = (name: string) => string | null | undefined;

/** The expanded word, and the variables it needed but could not resolve. */
export interface Expansion {
  readonly value: string;
  /** Names used without a usable value (declared without one, or never declared), in order of use. */
  readonly unresolved: readonly string[];
  /** Names of the unresolved variables that were never declared at all. */
  readonly undeclared: readonly string[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Expand every variable in one word. Quotes are removed, as the shell lexer does. */
export function expandVariables(word: string, lookup: VariableLookup, escapeChar = '\\'): Expansion {
  if (!word.includes('$') && !word.includes('"') && !word.includes("'") && !word.includes(escapeChar)) {
    return { value: word, unresolved: [], undeclared: [] };
  }
  const unresolved: string[] = [];
  const undeclared: string[] = [];

  const resolve = (name: string): string | null => {
    const found = lookup(name);
    if (found === undefined) {
      undeclared.push(name);
      return null;
    }
    return found;
  };

  const expandFrom = (text: string, start: number, stopAt: string | null): [string, number] => {
    let out = '';
    let inDouble = false;
    let i = start;
    while (i < text.length) {
      const ch = text.charAt(i);
      if (stopAt !== null && ch === stopAt && !inDouble) return [out, i];
      if (ch === escapeChar && i + 1 < text.length) {
        out += text.charAt(i + 1);
        i += 2;
        continue;
      }
      if (ch === "'" && !inDouble) {
        const end = text.indexOf("'", i + 1);
        if (end === -1) {
          out += text.slice(i + 1);
          return [out, text.length];
        }
        out += text.slice(i + 1, end);
        i = end + 1;
        continue;
      }
      if (ch === '"') {
        inDouble = !inDouble;
        i++;
        continue;
      }
      if (ch === '$') {
        const [value, next] = expandDollar(text, i + 1);
        out += value;
        i = next;
        continue;
      }
      out += ch;
      i++;
    }
    return [out, i];
  };

  const expandDollar = (text: string, start: number): [string, number] => {
    const first = text.charAt(start);
    if (first === '{') {
      let j = start + 1;
      while (j < text.length && NAME_CHAR.test(text.charAt(j))) j++;
      const name = text.slice(start + 1, j);
      if (name.length === 0) return ['${', start + 1];
      const op = text.charAt(j);
      if (op === '}') {
        const value = resolve(name);
        if (value === null) unresolved.push(name);
        return [value ?? '', j + 1];
      }
      let modifier = op;
      let k = j + 1;
      if (op === ':') {
        modifier = `:${text.charAt(j + 1)}`;
        k = j + 2;
      }
      const [word, end] = expandFrom(text, k, '}');
      const next = end < text.length ? end + 1 : end;
      const value = lookup(name);
      const isSet = value !== undefined && value !== null;
      const isNonEmpty = isSet && value !== '';
      switch (modifier) {
        case ':-':
          return [isNonEmpty ? (value as string) : word, next];
        case '-':
          return [isSet ? (value as string) : word, next];
        case ':+':
          return [isNonEmpty ? word : '', next];
        case '+':
          return [isSet ? word : '', next];
        default: {
          // Unsupported modifier (e.g. `${V#prefix}`): keep it literal so the reference check reports it.
          return [`\${${name}${op}`, j + 1];
        }
      }
    }
    if (NAME_START.test(first)) {
      let j = start + 1;
      while (j < text.length && NAME_CHAR.test(text.charAt(j))) j++;
      const name = text.slice(start, j);
      const value = resolve(name);
      if (value === null) unresolved.push(name);
      return [value ?? '', j];
    }
    return ['$', start];
  };

  const [value] = expandFrom(word, 0, null);
  return { value, unresolved: dedupe(unresolved), undeclared: dedupe(undeclared) };
}

function dedupe(names: string[]): string[] {
  return [...new Set(names)];
}
