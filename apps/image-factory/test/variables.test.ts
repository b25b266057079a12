import { describe, expect, it } from 'vitest';
import { expandVariables, type VariableLookup } from '../src/dockerfile/variables.js';

const vars: Record<string, string | null> = { A: 'alpha', EMPTY: '', NOVALUE: null };
const lookup: VariableLookup = (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined);

describe('expandVariables', () => {
  it.each([
    ['$A', 'alpha'],
    ['${A}', 'alpha'],
    ['x-${A}-y', 'x-alpha-y'],
    ['${A:-d}', 'alpha'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${MISSING:-d}', 'd'],
    ['${MISSING-d}', 'd'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${MISSING:+alt}', ''],
    ['${MISSING:-${A}}', 'alpha'],
    ['"${A}"', 'alpha'],
    ["'${A}'", '${A}'],
    ['\\$A', '$A'],
    ['$', '$'],
    ['a$1', 'a$1'],
  ])('%s → %s', (word, value) => {
    const result = expandVariables(word, lookup);
    expect(result.value).toBe(value);
    expect(result.unresolved).toEqual([]);
  });

  it('reports an ARG declared without a value', () => {
    const result = expandVariables('node:${NOVALUE}', lookup);
    expect(result).toEqual({ value: 'node:', unresolved: ['NOVALUE'], undeclared: [] });
  });

  it('reports an undeclared variable separately', () => {
    const result = expandVariables('$NOPE/$NOVALUE', lookup);
    expect(result.unresolved).toEqual(['NOPE', 'NOVALUE']);
    expect(result.undeclared).toEqual(['NOPE']);
  });

  it('uses the escape directive character', () => {
    expect(expandVariables('`$A', lookup, '`').value).toBe('$A');
    expect(expandVariables('\\$A', lookup, '`').value).toBe('\\alpha');
  });
});
