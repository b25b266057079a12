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

/** Bounds on the work one Dockerfile can cause (the analysis Job runs in 512 MiB). */
export interface ExpansionLimits {
  /** Longest value one expansion may produce, in characters. */
  readonly maxLength: number;
  /** Deepest `${A:-${B:-…}}` nesting. */
  readonly maxDepth: number;
  /** Characters all expansions of one Dockerfile may still produce (decremented as they do). */
  budget: number;
}

/** The defaults: far above any real Dockerfile (the corpus's longest expansion is under 1 KiB). */
export function defaultExpansionLimits(): ExpansionLimits {
  return { maxLength: 65_536, maxDepth: 64, budget: 16 * 1024 * 1024 };
}

/** An expansion went over one of its limits; the parser reports it as a diagnostic on the instruction's line. */
export class ExpansionLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpansionLimitError';
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Expand every variable in one word. Quotes are removed, as the shell lexer does.
 * @throws ExpansionLimitError when the result would pass `limits` (length, nesting, or the file's budget)
 */
export function expandVariables(
  word: string,
  lookup: VariableLookup,
  escapeChar = '\\',
  limits: ExpansionLimits = defaultExpansionLimits(),
): Expansion {
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

  const grow = (out: string, added: string): string => {
    if (out.length + added.length > limits.maxLength) {
      throw new ExpansionLimitError(
        `expanding "${word.length > 60 ? `${word.slice(0, 60)}…` : word}" gives more than ${limits.maxLength} characters`,
      );
    }
    limits.budget -= added.length;
    if (limits.budget < 0) {
      throw new ExpansionLimitError('variable expansions in this Dockerfile produce more than 16 MiB of text');
    }
    return out + added;
  };

  const expandFrom = (text: string, start: number, stopAt: string | null, depth: number): [string, number] => {
    if (depth > limits.maxDepth) {
      throw new ExpansionLimitError(`variables are nested more than ${limits.maxDepth} levels deep`);
    }
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
        const [value, next] = expandDollar(text, i + 1, depth);
        out = grow(out, value);
        i = next;
        continue;
      }
      out += ch;
      i++;
    }
    return [out, i];
  };

  const expandDollar = (text: string, start: number, depth: number): [string, number] => {
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
      const [word, end] = expandFrom(text, k, '}', depth + 1);
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

  const [value] = expandFrom(word, 0, null, 0);
  return { value, unresolved: dedupe(unresolved), undeclared: dedupe(undeclared) };
}

function dedupe(names: string[]): string[] {
  return [...new Set(names)];
}
