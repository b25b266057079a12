/**
 * Variable expansion as its contract states it (src/dockerfile/variables.ts: BuildKit's shell lexer for FROM, COPY
 * --from and RUN --mount from=), pinned where the mutation run found it unpinned (docs/mutation.md): quotes are removed
 * even without a variable, a single quote inside double quotes is a character, `${V-…}`/`${V+…}` test "set" (declared
 * with a value), an unsupported modifier stays literal, and the limits allow exactly their bound.
 */
import { describe, expect, test } from 'vitest';
import { ExpansionLimitError, expandVariables, type VariableLookup } from '../src/dockerfile/variables.js';

/** TAG=22, EMPTY="", DECLARED (no value); anything else undeclared. */
const lookup: VariableLookup = (name) =>
  name === 'TAG' ? '22' : name === 'EMPTY' ? '' : name === 'DECLARED' ? null : undefined;
const value = (word: string) => expandVariables(word, lookup).value;

describe('quotes and escapes are removed, with or without a variable', () => {
  test('a plain word is itself, with nothing unresolved', () => {
    expect(expandVariables('node:22', lookup)).toEqual({ value: 'node:22', unresolved: [], undeclared: [] });
  });

  test('double quotes, single quotes and the escape character without any variable', () => {
    expect(value('"node:22"')).toBe('node:22');
    expect(value("'node:22'")).toBe('node:22');
    expect(value('node\\:22')).toBe('node:22');
    expect(expandVariables('node`:22', lookup, '`').value).toBe('node:22');
  });

  test('a single quote inside double quotes is a character, and variables there expand', () => {
    expect(value(`"it's $TAG"`)).toBe("it's 22");
  });

  test('an unterminated single quote runs to the end of the word', () => {
    expect(value("'abc")).toBe('abc');
    expect(value("x'abc")).toBe('xabc');
  });
});

describe('${V-word} and ${V+word} test whether V is set (declared with a value, empty or not)', () => {
  test('-: the word when V is declared without a value or not declared', () => {
    expect(value('${DECLARED-def}')).toBe('def');
    expect(value('${NOPE-def}')).toBe('def');
    expect(value('${EMPTY-def}')).toBe('');
    expect(value('${TAG-def}')).toBe('22');
  });

  test('+: the word when V is set, else nothing', () => {
    expect(value('${TAG+alt}')).toBe('alt');
    expect(value('${EMPTY+alt}')).toBe('alt');
    expect(value('${DECLARED+alt}')).toBe('');
    expect(value('${NOPE+alt}')).toBe('');
  });

  test('an unsupported modifier (${V#prefix}) and ${} stay literal', () => {
    expect(value('${TAG#prefix}')).toBe('${TAG#prefix}');
    expect(value('a${}b')).toBe('a${}b');
  });
});

describe('the limits allow exactly their bound', () => {
  const limits = (maxLength: number, maxDepth: number, budget: number) => ({ maxLength, maxDepth, budget });

  test('nesting as deep as maxDepth expands; one level deeper is an error', () => {
    expect(expandVariables('${A:-${B:-x}}', lookup, '\\', limits(100, 2, 100)).value).toBe('x');
    expect(() => expandVariables('${A:-${B:-${C:-x}}}', lookup, '\\', limits(100, 2, 100))).toThrow(
      'variables are nested more than 2 levels deep',
    );
  });

  test('a budget used up exactly is not exceeded', () => {
    expect(expandVariables('$TAG$TAG', lookup, '\\', limits(100, 8, 4)).value).toBe('2222');
    expect(() => expandVariables('$TAG$TAG', lookup, '\\', limits(100, 8, 3))).toThrow(ExpansionLimitError);
  });

  test('the error quotes a word of 60 characters whole, and a longer one cut at 60 with "…"', () => {
    const sixty = `\${TAG}${'x'.repeat(54)}`;
    expect(sixty).toHaveLength(60);
    expect(() => expandVariables(sixty, lookup, '\\', limits(1, 8, 100))).toThrow(`expanding "${sixty}" gives`);
    const longer = `${sixty}y`;
    expect(() => expandVariables(longer, lookup, '\\', limits(1, 8, 100))).toThrow(`expanding "${sixty}…" gives`);
  });
});
