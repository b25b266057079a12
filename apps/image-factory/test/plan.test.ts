/** planStateUpdate: every rule and lifecycle transition, without disk or git. */
import { describe, expect, it } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { analyseDockerfile, type ImageAnalysis } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { renderState } from '../src/state/store.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';

const D1 = `sha256:${'1'.repeat(64)}`;

const managed = (name: string, repository = `acme/${name}`) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: ${repository}\n    source: {provider: github, repo: acme/mono, dockerfile: ${name}/Dockerfile}\n`;
const external = (name: string, repository = `acme/${name}`) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: ${repository}\n    allowTags: '^v\\d+$'\n    imageSelectionStrategy: SemVer\n`;
const enrol = (...entries: string[]) => loadEnrolment(`images:\n${entries.join('')}`);

function analysis(image: string, dockerfile: string, tag = '1.0.0'): ImageAnalysis {
  return {
    image,
    dockerfile: `${image}/Dockerfile`,
    revision: 'abc123',
    uses: analyseDockerfile(dockerfile, `${image}/Dockerfile`, {}),
    build: { tag, digest: D1 },
  };
}

const files = (state: StateSnapshot) => [...renderState(state).keys()];

describe('planStateUpdate', () => {
  it('records a managed build and its base images, with no warehouse config on the image', () => {
    const state = planStateUpdate(EMPTY_STATE, enrol(managed('app')), [
      analysis(
        'app',
        'ARG V=22\nFROM node:${V}-bookworm-slim AS build\nFROM gcr.io/distroless/nodejs22:nonroot\nCOPY --from=build /a /a\nCOPY --from=busybox:1.36 /bin/busybox /bin/\n',
      ),
    ]);
    expect(state.images.get('app')).toEqual({
      name: 'app',
      kind: 'managed',
      registry: 'ghcr.io',
      repository: 'acme/app',
      source: { provider: 'github', repo: 'acme/mono', branch: 'main', dockerfile: 'app/Dockerfile' },
      build: { tag: '1.0.0', digest: D1, dockerfile: 'app/Dockerfile', revision: 'abc123' },
      baseImages: [
        {
          name: 'busybox-1-36',
          reference: 'docker.io/library/busybox:1.36',
          kind: 'copy-from',
          stage: null,
          finalStage: false,
        },
        {
          name: 'node-22-bookworm-slim',
          reference: 'docker.io/library/node:22-bookworm-slim',
          kind: 'from',
          stage: 'build',
          finalStage: false,
        },
        {
          name: 'gcr-io-distroless-nodejs22-nonroot',
          reference: 'gcr.io/distroless/nodejs22:nonroot',
          kind: 'from',
          stage: null,
          finalStage: true,
        },
      ],
    });
    expect(state.baseImages.get('node-22-bookworm-slim')).toEqual({
      name: 'node-22-bookworm-slim',
      reference: 'docker.io/library/node:22-bookworm-slim',
      registry: 'docker.io',
      repository: 'library/node',
      tag: '22-bookworm-slim',
      digest: null,
      repoURL: 'docker.io/library/node',
      allowTags: '^22-bookworm-slim$',
      imageSelectionStrategy: 'Digest',
      constraint: '22-bookworm-slim',
      dependents: ['app'],
    });
    expect(state.baseImages.get('busybox-1-36')?.allowTags).toBe('^1\\.36$');
  });

  it('marks the final stage base through a chain of internal stages', () => {
    const uses = analyseDockerfile('FROM node:22 AS base\nFROM base AS mid\nFROM mid\n', 'Dockerfile', {});
    expect(uses).toEqual([{ reference: 'docker.io/library/node:22', kind: 'from', stage: 'base', finalStage: true }]);
  });

  it('keeps a literal --platform on the base image Warehouse config, not $BUILDPLATFORM', () => {
    const state = planStateUpdate(EMPTY_STATE, enrol(managed('a'), managed('b')), [
      analysis('a', 'FROM --platform=linux/arm64 alpine:3.20\n'),
      analysis('b', 'FROM --platform=$BUILDPLATFORM golang:1.23\n'),
    ]);
    expect(state.baseImages.get('alpine-3-20')?.platform).toBe('linux/arm64');
    expect(state.baseImages.get('golang-1-23')?.platform).toBeUndefined();
  });

  it('does not track a digest-pinned base image', () => {
    const state = planStateUpdate(EMPTY_STATE, enrol(managed('app')), [
      analysis('app', `FROM alpine:3.20@sha256:${'a'.repeat(64)}\n`),
    ]);
    const base = [...state.baseImages.values()][0];
    expect(base).toMatchObject({ untracked: 'pinned-by-digest', dependents: ['app'] });
    expect(base?.repoURL).toBeUndefined();
    expect(base?.allowTags).toBeUndefined();
  });

  it('merges dependents of one base image across images, sorted', () => {
    const enrolment = enrol(managed('zeta'), managed('alpha'));
    const state = planStateUpdate(EMPTY_STATE, enrolment, [
      analysis('zeta', 'FROM node:22\n'),
      analysis('alpha', 'FROM node:22\n'),
    ]);
    expect(state.baseImages.get('node-22')?.dependents).toEqual(['alpha', 'zeta']);
  });

  it('keeps what other images recorded when one image is analysed', () => {
    const enrolment = enrol(managed('a'), managed('b'));
    const first = planStateUpdate(EMPTY_STATE, enrolment, [
      analysis('a', 'FROM node:22\n'),
      analysis('b', 'FROM node:22\n'),
    ]);
    const second = planStateUpdate(first, enrolment, [analysis('a', 'FROM node:24\n', '2.0.0')]);
    expect(second.baseImages.get('node-22')?.dependents).toEqual(['b']);
    expect(second.baseImages.get('node-24')?.dependents).toEqual(['a']);
    expect(second.images.get('b')).toEqual(first.images.get('b'));
  });

  it('is deterministic and idempotent', () => {
    const enrolment = enrol(managed('a'), managed('b'), external('ext'));
    const inputs = [analysis('a', 'FROM node:22\n'), analysis('b', 'FROM python:3.12\nCOPY --from=node:22 / /\n')];
    const once = planStateUpdate(EMPTY_STATE, enrolment, inputs);
    const again = planStateUpdate(once, enrolment, inputs);
    const reversed = planStateUpdate(EMPTY_STATE, enrolment, [...inputs].reverse());
    expect(renderState(again)).toEqual(renderState(once));
    expect(renderState(reversed)).toEqual(renderState(once));
  });

  describe('lifecycle transitions', () => {
    it('external → managed: warehouse config removed', () => {
      const before = planStateUpdate(EMPTY_STATE, enrol(external('tool')));
      expect(before.images.get('tool')).toMatchObject({
        kind: 'external',
        repoURL: 'ghcr.io/acme/tool',
        allowTags: '^v\\d+$',
      });
      const after = planStateUpdate(before, enrol(managed('tool')));
      const image = after.images.get('tool');
      expect(image).toMatchObject({ kind: 'managed', baseImages: [] });
      expect(image).not.toHaveProperty('repoURL');
      expect(image).not.toHaveProperty('allowTags');
    });

    it('managed → external: warehouse config added, its base images released', () => {
      const before = planStateUpdate(EMPTY_STATE, enrol(managed('tool')), [analysis('tool', 'FROM node:22\n')]);
      const after = planStateUpdate(before, enrol(external('tool')));
      expect(after.images.get('tool')).toEqual({
        name: 'tool',
        kind: 'external',
        registry: 'ghcr.io',
        repository: 'acme/tool',
        repoURL: 'ghcr.io/acme/tool',
        allowTags: '^v\\d+$',
        imageSelectionStrategy: 'SemVer',
      });
      expect(after.baseImages.size).toBe(0);
    });

    it('a base image that is itself a managed image points at it and has no warehouse config', () => {
      const enrolment = enrol(managed('node-base'), managed('app'));
      const state = planStateUpdate(EMPTY_STATE, enrolment, [
        analysis('node-base', 'FROM node:22\n'),
        analysis('app', 'FROM ghcr.io/acme/node-base:22\n'),
      ]);
      expect(state.baseImages.get('ghcr-io-acme-node-base-22')).toEqual({
        name: 'ghcr-io-acme-node-base-22',
        reference: 'ghcr.io/acme/node-base:22',
        registry: 'ghcr.io',
        repository: 'acme/node-base',
        tag: '22',
        digest: null,
        managedImage: 'node-base',
        dependents: ['app'],
      });
    });

    it('a base image that becomes managed loses its warehouse config on sync', () => {
      const before = planStateUpdate(EMPTY_STATE, enrol(managed('app')), [
        analysis('app', 'FROM ghcr.io/acme/base:1\n'),
      ]);
      expect(before.baseImages.get('ghcr-io-acme-base-1')?.repoURL).toBe('ghcr.io/acme/base');
      const after = planStateUpdate(before, enrol(managed('app'), managed('base')));
      expect(after.baseImages.get('ghcr-io-acme-base-1')).toMatchObject({ managedImage: 'base', dependents: ['app'] });
      expect(after.baseImages.get('ghcr-io-acme-base-1')?.repoURL).toBeUndefined();
    });

    it('an image removed from images.yaml: its state goes, and it leaves every dependents list', () => {
      const enrolment = enrol(managed('a'), managed('b'), external('ext'));
      const before = planStateUpdate(EMPTY_STATE, enrolment, [
        analysis('a', 'FROM node:22\n'),
        analysis('b', 'FROM node:22\n'),
      ]);
      const after = planStateUpdate(before, enrol(managed('b')));
      expect(files(after)).toEqual(['images/b.yaml', 'base-images/node-22.yaml']);
      expect(after.baseImages.get('node-22')?.dependents).toEqual(['b']);
    });

    it('a base image left with no dependents is garbage-collected', () => {
      const enrolment = enrol(managed('a'));
      const before = planStateUpdate(EMPTY_STATE, enrolment, [
        analysis('a', 'FROM node:22\nCOPY --from=alpine:3 / /\n'),
      ]);
      const after = planStateUpdate(before, enrolment, [analysis('a', 'FROM node:22\n', '1.0.1')]);
      expect(files(after)).toEqual(['images/a.yaml', 'base-images/node-22.yaml']);
    });
  });

  it('carries the rebuild section of a base image over unchanged', () => {
    const enrolment = enrol(managed('a'));
    const first = planStateUpdate(EMPTY_STATE, enrolment, [analysis('a', 'FROM node:22\n')]);
    const base = first.baseImages.get('node-22');
    if (base === undefined) throw new Error('node-22 not planned');
    const rebuild = {
      current: { digest: D1, released: '2026-11-01T00:00:00Z', seen: '2026-11-01T01:00:00Z' },
      pending: [],
      history: [{ image: 'a', digest: D1, result: 'fresh' as const, at: '2026-11-01T01:00:00Z' }],
    };
    const withRebuild: StateSnapshot = {
      images: first.images,
      baseImages: new Map([['node-22', { ...base, rebuild }]]),
    };
    const next = planStateUpdate(withRebuild, enrolment, [analysis('a', 'FROM node:22\n', '1.0.1')]);
    expect(next.baseImages.get('node-22')?.rebuild).toEqual(rebuild);
  });

  it('refuses to analyse an image that is not enrolled or is external', () => {
    expect(() => planStateUpdate(EMPTY_STATE, enrol(external('ext')), [analysis('ext', 'FROM a\n')])).toThrow(
      /image ext is external in images.yaml/,
    );
    expect(() => planStateUpdate(EMPTY_STATE, enrol(external('ext')), [analysis('nope', 'FROM a\n')])).toThrow(
      /image nope is not enrolled/,
    );
  });
});

describe('stable names (a name depends on its own reference and, once written, is kept)', () => {
  it('enrolling an image FROM golang-1:23 leaves the existing golang-1-23 as it is', () => {
    const first = planStateUpdate(EMPTY_STATE, enrol(managed('a')), [analysis('a', 'FROM golang:1.23\n')]);
    expect([...first.baseImages.keys()]).toEqual(['golang-1-23']);
    const both = enrol(managed('a'), managed('b'));
    const second = planStateUpdate(first, both, [analysis('b', 'FROM golang-1:23\n')]);
    expect(second.baseImages.get('golang-1-23')?.reference).toBe('docker.io/library/golang:1.23');
    const other = [...second.baseImages.values()].find((b) => b.reference === 'docker.io/library/golang-1:23');
    expect(other?.name).toMatch(/^golang-1-23-[0-9a-f]{8}$/);
    expect(second.baseImages.get('golang-1-23')?.dependents).toEqual(['a']);
  });

  it('two new references that want one name both get their hash, whatever the order', () => {
    const both = enrol(managed('a'), managed('b'));
    const one = planStateUpdate(EMPTY_STATE, both, [
      analysis('a', 'FROM golang:1.23\n'),
      analysis('b', 'FROM golang-1:23\n'),
    ]);
    const two = planStateUpdate(EMPTY_STATE, both, [
      analysis('b', 'FROM golang-1:23\n'),
      analysis('a', 'FROM golang:1.23\n'),
    ]);
    expect([...one.baseImages.keys()].sort()).toEqual([...two.baseImages.keys()].sort());
    expect([...one.baseImages.keys()].every((name) => /^golang-1-23-[0-9a-f]{8}$/.test(name))).toBe(true);
  });

  it('a new base image does not take the name of an enrolled image', () => {
    const enrolment = enrol(managed('a'), external('node-22'));
    const state = planStateUpdate(EMPTY_STATE, enrolment, [analysis('a', 'FROM node:22\n')]);
    expect([...state.baseImages.keys()]).toEqual([expect.stringMatching(/^node-22-[0-9a-f]{8}$/)]);
  });

  it('refuses an image enrolled under a base image name already written, naming both', () => {
    const state = planStateUpdate(EMPTY_STATE, enrol(managed('a')), [analysis('a', 'FROM node:22\n')]);
    expect(() => planStateUpdate(state, enrol(managed('a'), external('node-22')))).toThrow(
      'base image docker.io/library/node:22 has had the state name node-22 since it was first recorded, and images.yaml now gives that name to the external image node-22',
    );
  });
});

describe('analyseDockerfile', () => {
  it('refuses a Dockerfile with errors or an unresolved base image', () => {
    expect(() => analyseDockerfile('FROM Node\n', 'apps/x/Dockerfile', {})).toThrow(
      /apps\/x\/Dockerfile:1: invalid-reference: invalid image reference: repository "library\/Node" must be lowercase/,
    );
    expect(() => analyseDockerfile('ARG V\nFROM node:$V\n', 'Dockerfile', {})).toThrow(
      /Dockerfile:2: cannot resolve "node:": ARG V .* \(set source.buildArgs in images.yaml\)/,
    );
    expect(analyseDockerfile('ARG V\nFROM node:$V\n', 'Dockerfile', { V: '22' })[0]?.reference).toBe(
      'docker.io/library/node:22',
    );
  });

  it('leaves the syntax frontend out of base images', () => {
    expect(
      analyseDockerfile('# syntax=docker/dockerfile:1\nFROM alpine:3\n', 'Dockerfile', {}).map((u) => u.reference),
    ).toEqual(['docker.io/library/alpine:3']);
  });
});
