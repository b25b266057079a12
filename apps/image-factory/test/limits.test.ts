/**
 * Bounded work on any input: a Dockerfile can make the parser do only so much (the analysis Job has 512 MiB),
 * and every limit it reaches is a diagnostic naming the line and the limit, never a crash or a stack trace.
 */
import { describe, expect, it } from 'vitest';
import { formatAnalysisTable } from '../src/cli/format-table.js';
import { MAX_DOCKERFILE_BYTES, MAX_STAGES, parseDockerfile } from '../src/dockerfile/parse.js';
import type { ImageUse } from '../src/dockerfile/types.js';
import { ExpansionLimitError, expandVariables } from '../src/dockerfile/variables.js';

describe('expansion limits', () => {
  it('stops 27 ARGs that each double the one before (a 1 KB file that would build a 2 GB string)', () => {
    const lines = ['ARG A0=xxxxxxxxxxxxxxxx'];
    for (let i = 1; i <= 27; i++) lines.push(`ARG A${i}=\${A${i - 1}}\${A${i - 1}}`);
    lines.push('FROM alpine:$A27');
    const { diagnostics } = parseDockerfile(`${lines.join('\n')}\n`);
    expect(diagnostics[0]).toEqual({
      severity: 'error',
      code: 'limit-exceeded',
      line: 14, // A13 = 16 × 2^13 characters: the first past 65,536
      message: 'expanding "${A12}${A12}" gives more than 65536 characters',
    });
  });

  it('stops ${A:-${B:-…}} nested 1,800 deep without overflowing the stack', () => {
    const deep = `${'${A:-'.repeat(1800)}x${'}'.repeat(1800)}`;
    expect(() => expandVariables(deep, () => undefined)).toThrow(ExpansionLimitError);
    const { diagnostics, stages } = parseDockerfile(`FROM alpine:${deep}\nFROM node:22\n`);
    expect(diagnostics).toEqual([
      { severity: 'error', code: 'limit-exceeded', line: 1, message: 'variables are nested more than 64 levels deep' },
    ]);
    expect(stages).toHaveLength(2); // the failed FROM still opens its stage
  });

  it('still expands nesting and lengths far beyond real Dockerfiles', () => {
    const nested = `${'${A:-'.repeat(60)}x${'}'.repeat(60)}`;
    expect(expandVariables(nested, () => undefined).value).toBe('x');
    expect(expandVariables('$L$L', (n) => (n === 'L' ? 'y'.repeat(30_000) : undefined)).value).toHaveLength(60_000);
  });

  it('caps the total a file may expand to, however it is spread over ARGs', () => {
    const lines = [`ARG A=${'z'.repeat(60_000)}`];
    for (let i = 0; i < 300; i++) lines.push(`ARG B${i}=$A`);
    lines.push('FROM alpine:3');
    const { diagnostics } = parseDockerfile(`${lines.join('\n')}\n`);
    expect(diagnostics.some((d) => d.code === 'limit-exceeded' && /more than 16 MiB/.test(d.message))).toBe(true);
  });
});

describe('input size limits', () => {
  it('refuses a Dockerfile over 1 MiB with one diagnostic', () => {
    const { diagnostics, images } = parseDockerfile('FROM alpine:3\n'.repeat(Math.ceil(MAX_DOCKERFILE_BYTES / 14) + 1));
    expect(images).toEqual([]);
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'limit-exceeded',
        line: 1,
        message: `the Dockerfile is larger than ${MAX_DOCKERFILE_BYTES} bytes: not analysed`,
      },
    ]);
  });

  it(`analyses at most ${MAX_STAGES} stages`, () => {
    const { diagnostics, stages } = parseDockerfile('FROM alpine:3\n'.repeat(MAX_STAGES + 5));
    expect(stages).toHaveLength(MAX_STAGES);
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'limit-exceeded',
        line: MAX_STAGES + 1,
        message: `more than ${MAX_STAGES} stages: the rest is not analysed`,
      },
    ]);
  });

  it('prints a table of 200,000 images (a spread of that many rows overflowed the stack)', () => {
    const image: ImageUse = {
      text: 'alpine:3',
      reference: 'docker.io/library/alpine:3',
      registry: 'docker.io',
      repository: 'library/alpine',
      tag: '3',
      digest: null,
      kind: 'from',
      stage: null,
      platform: null,
      line: 1,
    };
    const images = Array.from({ length: 200_000 }, (_, i) => ({ ...image, line: i + 1 }));
    const table = formatAnalysisTable({ file: 'Dockerfile', stages: [], images, diagnostics: [] });
    expect(table.split('\n')).toHaveLength(200_003);
  });
});
