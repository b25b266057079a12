import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../src/dockerfile/parse.js';
import type { DockerfileAnalysis } from '../src/dockerfile/types.js';
import { fixture } from './helpers.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;

/** Parse a fixture on both paths; they must agree, and the fast one is what users get. */
function parseFixture(name: string, buildArgs: Record<string, string> = {}): DockerfileAnalysis {
  const text = fixture(`dockerfiles/${name}`);
  const fast = parseDockerfile(text, { buildArgs });
  expect(parseDockerfile(text, { buildArgs, fastPath: false })).toEqual(fast);
  return fast;
}

const refs = (a: DockerfileAnalysis) => a.images.map((i) => [i.line, i.kind, i.stage, i.reference]);
const codes = (a: DockerfileAnalysis) => a.diagnostics.map((d) => [d.line, d.severity, d.code]);

describe('ARG scoping', () => {
  it('sees only ARGs declared before the first FROM, with defaults and modifiers', () => {
    const result = parseFixture('arg-scoping.Dockerfile');
    expect(refs(result)).toEqual([
      [5, 'from', 'build', 'docker.io/library/node:22-bookworm-slim'],
      // ARG NODE_MAJOR=18 inside stage "build" does not change FROM lines.
      [8, 'from', 'second', 'docker.io/library/node:22'],
      // STAGE_ONLY is declared inside a stage: invisible, so :- gives the default and :+ gives nothing.
      [9, 'from', 'third', 'docker.io/library/debian:bookworm'],
      // A meta ARG whose default uses earlier meta ARGs.
      [10, 'from', null, 'docker.io/library/node:22-bookworm-slim'],
      [11, 'from', null, null],
    ]);
    expect(result.diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'unresolved-arg',
        line: 11,
        message: 'ARG REGISTRY used in "${REGISTRY}/team/app:1" has no default value; pass --build-arg REGISTRY=...',
      },
    ]);
    expect(result.images[4]).toMatchObject({ text: '/team/app:1', reference: null, registry: null, tag: null });
  });

  it('lets build args override defaults and fill ARGs without a value', () => {
    const result = parseFixture('arg-scoping.Dockerfile', { NODE_MAJOR: '20', REGISTRY: 'ghcr.io' });
    expect(refs(result).map((r) => r[3])).toEqual([
      'docker.io/library/node:20-bookworm-slim',
      'docker.io/library/node:20',
      'docker.io/library/debian:bookworm',
      'docker.io/library/node:20-bookworm-slim',
      'ghcr.io/team/app:1',
    ]);
    expect(result.diagnostics).toEqual([]);
  });

  it('warns about a build arg that no ARG declares', () => {
    const result = parseDockerfile('FROM alpine:3.20\n', { buildArgs: { UNUSED: 'x' } });
    expect(codes(result)).toEqual([[1, 'warning', 'unused-build-arg']]);
  });

  it('treats the builder platform ARGs as declared but valueless unless passed', () => {
    const text = 'FROM --platform=$BUILDPLATFORM golang:1.23-$TARGETARCH\n';
    const unresolved = parseDockerfile(text);
    expect(unresolved.images[0]?.reference).toBeNull();
    expect(unresolved.diagnostics[0]?.message).toMatch(/set by the builder per platform/);
    const resolved = parseDockerfile(text, { buildArgs: { TARGETARCH: 'arm64' } });
    expect(resolved.images[0]).toMatchObject({
      reference: 'docker.io/library/golang:1.23-arm64',
      platform: '$BUILDPLATFORM',
    });
  });

  it('reports a variable no ARG declares', () => {
    const result = parseDockerfile('FROM node:$NOPE\n');
    expect(result.diagnostics[0]?.message).toMatch(/NOPE .* is not declared by an ARG before the first FROM/);
  });

  it('expands COPY --from with the stage ARGs, not the meta ARGs', () => {
    const text =
      'ARG IMG=busybox:1\nFROM alpine AS a\nARG IMG\nCOPY --from=$IMG /x /x\nARG LOCAL=a\nCOPY --from=${LOCAL} /y /y\n';
    const result = parseDockerfile(text);
    expect(refs(result)).toEqual([
      [2, 'from', 'a', 'docker.io/library/alpine:latest'],
      [4, 'copy-from', 'a', 'docker.io/library/busybox:1'],
    ]);
    expect(result.diagnostics).toEqual([
      { severity: 'error', code: 'unknown-stage', line: 6, message: '"${LOCAL}" does not name an earlier stage' },
    ]);
  });
});

describe('flags in any order', () => {
  it('finds COPY --from and RUN --mount from= after any other flags, on both paths', () => {
    const text = [
      'FROM alpine:3 AS a',
      'COPY --link --from=busybox:1 / /',
      'COPY --chown=1:1 --chmod=644 --from=nginx:1 / /',
      'COPY --parents --exclude=*.md --link --from=a / /x',
      `ADD --chmod=644 --link --checksum=sha256:${'b'.repeat(64)} https://example.com/x /x`,
      'RUN --network=none --security=sandbox --mount=type=cache,target=/c --mount=type=bind,from=golang:1.22,target=/x true',
      'FROM scratch',
      'COPY --from=a --link / /',
      '',
    ].join('\n');
    const fast = parseDockerfile(text);
    expect(parseDockerfile(text, { fastPath: false })).toEqual(fast);
    expect(refs(fast)).toEqual([
      [1, 'from', 'a', 'docker.io/library/alpine:3'],
      [2, 'copy-from', 'a', 'docker.io/library/busybox:1'],
      [3, 'copy-from', 'a', 'docker.io/library/nginx:1'],
      [6, 'mount-from', 'a', 'docker.io/library/golang:1.22'],
    ]);
    expect(codes(fast)).toEqual([[4, 'error', 'unknown-stage']]); // --from=a inside stage a itself
  });
});

describe('stages', () => {
  it('resolves stage names case-insensitively and by index; other names are images', () => {
    const result = parseFixture('stages.Dockerfile');
    expect(result.stages).toEqual([
      { index: 0, name: 'Builder', line: 1 },
      { index: 1, name: 'test', line: 4 },
      { index: 2, name: 'later', line: 12 },
    ]);
    expect(refs(result)).toEqual([
      [1, 'from', 'Builder', 'docker.io/library/golang:1.23'],
      [8, 'mount-from', 'test', 'ghcr.io/acme/tools:2'],
      [9, 'copy-from', 'test', 'docker.io/library/nginx:1.27'],
      // "later" is declared after this COPY: only earlier stages count, so it is an image.
      [10, 'copy-from', 'test', 'docker.io/library/later:latest'],
    ]);
    // FROM scratch is no image; COPY --from=test in stage "later" refers to an earlier stage.
    expect(result.diagnostics).toEqual([]);
  });

  it('treats a FROM whose builder-filled ARG can only name a stage as internal', () => {
    const text =
      'FROM alpine AS binaries-linux\nFROM alpine AS binaries-windows\nFROM binaries-$TARGETOS AS out\nFROM base-$TARGETOS\n';
    const result = parseDockerfile(text);
    expect(refs(result)).toEqual([
      [1, 'from', 'binaries-linux', 'docker.io/library/alpine:latest'],
      [2, 'from', 'binaries-windows', 'docker.io/library/alpine:latest'],
      [4, 'from', null, null],
    ]);
    expect(codes(result)).toEqual([[4, 'warning', 'unresolved-arg']]);
  });

  it('reports a COPY --from that names its own stage or a later index', () => {
    const result = parseDockerfile('FROM alpine AS a\nCOPY --from=a /x /x\nCOPY --from=3 /y /y\n');
    expect(codes(result)).toEqual([
      [2, 'error', 'unknown-stage'],
      [3, 'error', 'unknown-stage'],
    ]);
  });

  it('counts a FROM naming the stage just before it as internal (kaniko corpus case)', () => {
    const result = parseFixture('from-previous-stage-mixed-case.Dockerfile');
    expect(refs(result)).toEqual([[1, 'from', 'base_stage', 'docker.io/library/alpine:latest']]);
    expect(result.stages.map((s) => s.name)).toEqual(['base_stage', 'BUG_stage', 'final_stage']);
  });
});

describe('syntax', () => {
  it('reads parser directives, the escape character, --platform and lowercase instructions', () => {
    const result = parseFixture('directives.Dockerfile');
    expect(result.images).toEqual([
      {
        text: 'docker/dockerfile:1.7',
        reference: 'docker.io/docker/dockerfile:1.7',
        registry: 'docker.io',
        repository: 'docker/dockerfile',
        tag: '1.7',
        digest: null,
        kind: 'syntax',
        stage: null,
        platform: null,
        line: 1,
      },
      {
        text: 'mcr.microsoft.com/windows/servercore:ltsc2022',
        reference: 'mcr.microsoft.com/windows/servercore:ltsc2022',
        registry: 'mcr.microsoft.com',
        repository: 'windows/servercore',
        tag: 'ltsc2022',
        digest: null,
        kind: 'from',
        stage: 'win',
        platform: '$BUILDPLATFORM',
        line: 4,
      },
      {
        text: 'alpine:3.20',
        reference: 'docker.io/library/alpine:3.20',
        registry: 'docker.io',
        repository: 'library/alpine',
        tag: '3.20',
        digest: null,
        kind: 'from',
        stage: null,
        platform: null,
        line: 9,
      },
    ]);
    expect(result.diagnostics).toEqual([]);
  });

  it('does not read heredoc bodies as instructions and keeps lines across continuations', () => {
    const result = parseFixture('continuations-heredoc.Dockerfile');
    expect(refs(result)).toEqual([
      [1, 'from', 'base', 'docker.io/library/alpine:3.20'],
      [14, 'from', 'final', 'ghcr.io/acme/base:1.4'],
    ]);
    expect(result.diagnostics).toEqual([]);
  });

  it('handles a UTF-8 BOM, CRLF line endings and a registry with a port and digest', () => {
    const result = parseFixture('bom-crlf.Dockerfile');
    expect(refs(result)).toEqual([
      [1, 'from', null, 'docker.io/library/node:22'],
      [4, 'from', 'pinned', `localhost:5000/team/app@${DIGEST_A}`],
    ]);
    expect(result.images[1]).toMatchObject({ tag: null, digest: DIGEST_A, registry: 'localhost:5000' });
  });
});

describe('references', () => {
  it('normalises valid references and reports invalid ones with their line', () => {
    const result = parseFixture('references.Dockerfile');
    expect(result.images.map((i) => i.reference)).toEqual([
      'docker.io/library/node:latest',
      'docker.io/user/app:latest',
      'localhost:5000/a:latest',
      'registry.example.com:5000/team/java:21',
      'docker.io/library/node:22@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'docker.io/library/debian:12',
      null,
      null,
      null,
    ]);
    expect(codes(result)).toEqual([
      [7, 'error', 'invalid-reference'],
      [8, 'error', 'invalid-reference'],
      [9, 'error', 'invalid-reference'],
    ]);
  });
});

describe('malformed input never crashes', () => {
  it('reports an instruction before FROM, FROM without an image and an unknown instruction', () => {
    const result = parseFixture('before-from.Dockerfile');
    expect(codes(result)).toEqual([
      [2, 'error', 'instruction-before-from'],
      [3, 'error', 'missing-argument'],
      [5, 'error', 'unknown-instruction'],
    ]);
    expect(refs(result)).toEqual([[4, 'from', null, 'docker.io/library/alpine:3.20']]);
  });

  it('reports an empty file', () => {
    expect(codes(parseFixture('empty.Dockerfile'))).toEqual([[1, 'error', 'no-instructions']]);
    expect(codes(parseDockerfile('# only a comment\n\n'))).toEqual([[1, 'error', 'no-instructions']]);
  });

  it('reports binary junk', () => {
    expect(codes(parseFixture('binary.Dockerfile'))).toEqual([[1, 'error', 'not-text']]);
  });

  it('survives random byte soup built from Dockerfile tokens', () => {
    const tokens = [
      'FROM',
      'ARG',
      'COPY',
      '--from=',
      'RUN',
      '--mount=from=',
      '$',
      '${',
      '}',
      ':-',
      '\\\n',
      '<<EOF',
      'EOF',
      '\n',
      ' ',
      '#',
      'AS',
      '@sha256:',
      '"',
      "'",
      'x',
      ':',
      '/',
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 300; n++) {
      let text = '';
      for (let i = 0; i < 60; i++) text += tokens[next() % tokens.length];
      const fast = parseDockerfile(text);
      expect(parseDockerfile(text, { fastPath: false })).toEqual(fast);
      for (const d of fast.diagnostics) expect(d.line).toBeGreaterThanOrEqual(1);
    }
  });
});
