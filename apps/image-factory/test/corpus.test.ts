/**
 * The parser on the 291 real-world Dockerfiles of test/fixtures/corpus (upstreams and licences in its SOURCE.md): it
 * never crashes, the fast path agrees with the full AST, and on simple files an independent line reader finds the
 * same FROM images.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../src/dockerfile/parse.js';
import { fixturePath } from './helpers.js';

const CORPUS = fixturePath('corpus/dockerfiles');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(CORPUS).sort();
const text = (file: string) => readFileSync(file, 'utf8');
const name = (file: string) => relative(CORPUS, file);

/**
 * An independent oracle for simple Dockerfiles (no ARG in FROM, no continuation or escape directive):
 * the first non-flag word of every FROM line that does not name an earlier stage or scratch.
 */
function simpleFromImages(source: string): string[] | null {
  if (/^\s*#\s*escape\s*=/im.test(source)) return null;
  const stages = new Set<string>();
  const images: string[] = [];
  for (const line of source.split(/\r?\n/)) {
    if (!/^\s*from\s/i.test(line)) continue;
    if (line.includes('$') || line.trimEnd().endsWith('\\')) return null;
    const words = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .filter((w) => !w.startsWith('--'));
    const image = words[0];
    if (image === undefined) return null;
    if (!stages.has(image.toLowerCase()) && image.toLowerCase() !== 'scratch') images.push(image);
    if (words.length === 3 && words[1]?.toLowerCase() === 'as') stages.add((words[2] as string).toLowerCase());
  }
  return images;
}

describe('the Dockerfile corpus', () => {
  it('holds the 291 Dockerfiles of SOURCE.md', () => {
    expect(files).toHaveLength(291);
  });

  it.each(files.map((f) => [name(f), f]))('%s: parses without crashing, both paths agree', (_label, file) => {
    const source = text(file);
    const fast = parseDockerfile(source);
    expect(parseDockerfile(source, { fastPath: false })).toEqual(fast);
    const lineCount = source.split('\n').length;
    for (const item of [...fast.images, ...fast.diagnostics, ...fast.stages]) {
      expect(item.line).toBeGreaterThanOrEqual(1);
      expect(item.line).toBeLessThanOrEqual(lineCount);
    }
    for (const image of fast.images) {
      if (image.reference !== null)
        expect(image.reference.startsWith(`${image.registry}/${image.repository}`)).toBe(true);
    }
    const oracle = simpleFromImages(source);
    if (oracle !== null && !fast.diagnostics.some((d) => d.severity === 'error')) {
      expect(fast.images.filter((i) => i.kind === 'from').map((i) => i.text)).toEqual(oracle);
    }
  });

  it('the oracle covers most of the corpus', () => {
    const covered = files.filter((f) => simpleFromImages(text(f)) !== null).length;
    expect(covered).toBeGreaterThan(200);
  });

  it('finds the official images bases as their publishers declare them', () => {
    const node = parseDockerfile(text(join(CORPUS, 'nodejs+docker-node/22/bookworm-slim/Dockerfile')));
    expect(node.images.map((i) => i.reference)).toEqual(['docker.io/library/debian:bookworm-slim']);
    const python = files.filter((f) => f.includes('docker-library+python/3.13/') && !f.includes('windows'));
    expect(python.length).toBeGreaterThan(0);
    for (const file of python) {
      const result = parseDockerfile(text(file));
      expect(result.diagnostics, name(file)).toEqual([]);
      expect(result.images, name(file)).toHaveLength(1);
      expect(result.images[0]?.registry).toBe('docker.io');
    }
  });

  it('resolves BuildKit own Dockerfile: meta ARGs, --platform, stage-only FROMs', () => {
    const result = parseDockerfile(text(join(CORPUS, 'moby+buildkit/Dockerfile')));
    const byStage = new Map(result.images.map((i) => [i.stage, i]));
    expect(byStage.get('golatest')).toMatchObject({
      reference: 'docker.io/library/golang:1.26-alpine3.23',
      platform: '$BUILDPLATFORM',
      line: 40,
    });
    expect(byStage.get('docker-cli')?.reference).toBe('docker.io/dockereng/cli-bin:29.6');
    expect(result.images[0]).toMatchObject({
      kind: 'syntax',
      reference: 'docker.io/docker/dockerfile-upstream:master',
    });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.images.every((i) => i.reference !== null)).toBe(true);
    // `COPY --link --from=<image>`: --from after another flag (dockerfile-ast's getFromFlag() misses it).
    expect(result.images.filter((i) => i.kind === 'copy-from')).toEqual([
      expect.objectContaining({
        line: 185,
        stage: 'binfmt-filter',
        reference:
          'docker.io/tonistiigi/binfmt:buildkit-v10.2.3-66@sha256:6014c1e52b8e51a67fbf76f691ffbe20ac0204c31c2f086df3e8ef3ce134b488',
      }),
    ]);
  });

  it('finds every COPY --from=<image>, whatever flags come before it, in every corpus file (line oracle)', () => {
    for (const file of files) {
      const source = text(file);
      const result = parseDockerfile(source);
      // An independent reader: COPY lines whose flags include --from=<ref> naming no stage declared before them.
      const stages: string[] = [];
      const expected: number[] = [];
      source.split('\n').forEach((line, i) => {
        const from = /^\s*FROM\s+(?:--\S+\s+)*\S+\s+AS\s+(\S+)/i.exec(line);
        if (from?.[1]) stages.push(from[1].toLowerCase());
        else if (/^\s*FROM\s/i.test(line)) stages.push(String(stages.length));
        const copy = /^\s*COPY\s+((?:--\S+\s+)*)/i.exec(line);
        const flag = copy?.[1] ? /(?:^|\s)--from=(\S+)/.exec(copy[1]) : null;
        const target = flag?.[1];
        if (target === undefined || target.includes('$') || /^[0-9]+$/.test(target)) return;
        if (!stages.includes(target.toLowerCase())) expected.push(i + 1);
      });
      const found = result.images.filter((i) => i.kind === 'copy-from').map((i) => i.line);
      for (const line of expected) expect(found, `${name(file)}:${line}`).toContain(line);
    }
  });
});
