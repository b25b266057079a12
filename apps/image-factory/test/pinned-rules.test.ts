/**
 * Behaviours a review found no test pinned (one-line changes to these rules survived the whole suite). Each case
 * reads like the README: given this Dockerfile / images.yaml / state, expect exactly this.
 */
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../src/dockerfile/parse.js';
import { loadEnrolment } from '../src/enrolment/load.js';
import { analyseDockerfile, type ImageAnalysis } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';
import { planWarehouses } from '../src/warehouses/plan.js';

const managed = (name: string, extra = '') =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source: {provider: github, repo: acme/mono, dockerfile: ${name}/Dockerfile}\n${extra}`;
const external = (name: string, repository: string, allowTags: string, extra = '') =>
  `  - name: ${name}\n    registry: docker.io\n    repository: ${repository}\n    allowTags: '${allowTags}'\n${extra}`;
const enrol = (entries: string[], defaults = '') =>
  loadEnrolment(`${defaults ? `defaults:\n${defaults}` : ''}images:\n${entries.join('')}`);
const analysis = (image: string, dockerfile: string): ImageAnalysis => ({
  image,
  dockerfile: `${image}/Dockerfile`,
  uses: analyseDockerfile(dockerfile, `${image}/Dockerfile`, {}),
  build: { tag: '1', digest: `sha256:${'1'.repeat(64)}` },
});
const plan = (enrolment: ReturnType<typeof enrol>, dockerfiles: Record<string, string>): StateSnapshot =>
  planStateUpdate(
    EMPTY_STATE,
    enrolment,
    Object.entries(dockerfiles).map(([image, text]) => analysis(image, text)),
  );

describe('ARG scoping', () => {
  it('a stage does not see a global ARG it did not redeclare', () => {
    const result = parseDockerfile('ARG V=1.36\nFROM alpine:3\nCOPY --from=busybox:$V / /\n');
    expect(result.images[1]).toMatchObject({ kind: 'copy-from', reference: null, text: 'busybox:' });
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ code: 'unresolved-arg', line: 3, message: expect.stringContaining('ARG V') }),
    ]);
    // Redeclared without a value, it inherits the global one.
    const redeclared = parseDockerfile('ARG V=1.36\nFROM alpine:3\nARG V\nCOPY --from=busybox:$V / /\n');
    expect(redeclared.images[1]?.reference).toBe('docker.io/library/busybox:1.36');
  });

  it('a FROM is resolved with global ARGs only, never with an earlier stage’s ARGs', () => {
    const result = parseDockerfile('ARG V=3.19\nFROM alpine:$V\nARG V=3.20\nFROM alpine:$V\n');
    expect(result.images.map((i) => i.reference)).toEqual([
      'docker.io/library/alpine:3.19',
      'docker.io/library/alpine:3.19',
    ]);
    const stageOnly = parseDockerfile('FROM alpine:3\nARG W=1\nFROM busybox:$W\n');
    expect(stageOnly.images[1]?.reference).toBeNull();
    expect(stageOnly.diagnostics.map((d) => d.code)).toEqual(['unresolved-arg']);
  });
});

describe('state', () => {
  it('garbage-collects an orphaned base image even when it has a rebuild section', () => {
    const enrolment = enrol([managed('a')]);
    const first = plan(enrolment, { a: 'FROM node:22\n' });
    const node = first.baseImages.get('node-22');
    if (node === undefined) throw new Error('node-22 not planned');
    const withRebuild: StateSnapshot = {
      images: first.images,
      baseImages: new Map([
        [
          'node-22',
          {
            ...node,
            rebuild: {
              current: { digest: `sha256:${'9'.repeat(64)}`, released: null, seen: '2026-11-01T00:00:00Z' },
              pending: [],
              history: [],
            },
          },
        ],
      ]),
    };
    const next = planStateUpdate(withRebuild, enrolment, [analysis('a', 'FROM node:24\n')]);
    expect([...next.baseImages.keys()]).toEqual(['node-24']);
  });

  it('records --platform only when every use pins the same literal one', () => {
    const state = plan(enrol([managed('a'), managed('b'), managed('c'), managed('d')]), {
      a: 'FROM --platform=linux/arm64 alpine:3.20\n',
      b: 'FROM alpine:3.20\n',
      c: 'FROM --platform=linux/amd64 debian:12\n',
      d: 'FROM --platform=linux/amd64 debian:12\n',
    });
    expect(state.baseImages.get('alpine-3-20')?.platform).toBeUndefined(); // one pins it, one does not
    expect(state.baseImages.get('debian-12')?.platform).toBe('linux/amd64');
    const mixed = plan(enrol([managed('a'), managed('b')]), {
      a: 'FROM --platform=linux/arm64 alpine:3.20\n',
      b: 'FROM --platform=linux/amd64 alpine:3.20\n',
    });
    expect(mixed.baseImages.get('alpine-3-20')?.platform).toBeUndefined();
  });

  it('finalStage: the same reference in a build stage and the final stage is two uses, one of them final', () => {
    const uses = analyseDockerfile('FROM node:22 AS build\nRUN make\nFROM node:22\nCOPY --from=build /a /a\n', 'D', {});
    expect(uses).toEqual([
      { reference: 'docker.io/library/node:22', kind: 'from', stage: 'build', finalStage: false },
      { reference: 'docker.io/library/node:22', kind: 'from', stage: null, finalStage: true },
    ]);
  });

  it('skips a digest-pinned base image: no Warehouse config in state, no Warehouse', () => {
    const enrolment = enrol([managed('a')]);
    const state = plan(enrolment, { a: `FROM alpine:3.20@sha256:${'a'.repeat(64)}\n` });
    expect([...state.baseImages.values()][0]).toMatchObject({ untracked: 'pinned-by-digest' });
    expect(planWarehouses(enrolment, state).warehouses).toEqual([]);
  });
});

describe('Warehouses', () => {
  it('one Warehouse per distinct tracked reference: the same tag used three ways is one', () => {
    const enrolment = enrol([managed('a'), managed('b')]);
    const state = plan(enrolment, {
      a: 'FROM node:22 AS x\nFROM node:22\n',
      b: 'FROM alpine:3\nCOPY --from=node:22 / /\nRUN --mount=type=bind,from=node:22,target=/n true\n',
    });
    const { warehouses } = planWarehouses(enrolment, state);
    expect(warehouses.map((w) => [w.name, w.dependents])).toEqual([
      ['alpine-3', ['b']],
      ['node-22', ['a', 'b']],
    ]);
  });

  it('one Warehouse per distinct tracked reference: different tags are different Warehouses', () => {
    const enrolment = enrol([managed('a'), managed('b')]);
    const state = plan(enrolment, { a: 'FROM node:22\n', b: 'FROM node:24\n' });
    expect(planWarehouses(enrolment, state).warehouses.map((w) => w.subscription.constraint)).toEqual(['22', '24']);
  });

  it('a base image tracking exactly what an external image tracks uses the external Warehouse, with a warning', () => {
    const enrolment = enrol([
      managed('a'),
      external('node-lts', 'library/node', '^22$', '    imageSelectionStrategy: Digest\n    constraint: "22"\n'),
    ]);
    const state = plan(enrolment, { a: 'FROM node:22\n' });
    const { warehouses, warnings } = planWarehouses(enrolment, state);
    expect(warehouses.map((w) => w.name)).toEqual(['node-lts']);
    expect(warnings).toContain(
      'base image node-22 tracks the same as external image node-lts: one Warehouse (node-lts)',
    );
  });

  it('takes interval, discoveryLimit and autoRebuild from defaults where an image sets none', () => {
    const enrolment = enrol(
      [
        managed('a'),
        external('pg', 'library/postgres', '^16$'),
        external('redis', 'library/redis', '^7$', '    interval: 10m\n    discoveryLimit: 3\n    autoRebuild: true\n'),
      ],
      '  interval: 15m\n  baseImageInterval: 3h\n  discoveryLimit: 9\n  autoRebuild: false\n',
    );
    expect(enrolment.images.map((i) => [i.name, i.autoRebuild])).toEqual([
      ['a', false],
      ['pg', false],
      ['redis', true],
    ]);
    const { warehouses } = planWarehouses(enrolment, plan(enrolment, { a: 'FROM node:22\n' }));
    expect(warehouses.map((w) => [w.name, w.interval, w.subscription.discoveryLimit])).toEqual([
      ['node-22', '3h', 9],
      ['pg', '15m', 9],
      ['redis', '10m', 3],
    ]);
  });

  it('refuses a base or external Warehouse named like a managed image’s pipeline Warehouse', () => {
    const before = enrol([managed('a')]);
    const state = plan(before, { a: 'FROM node:22\n' });
    const clash = enrol([managed('a'), managed('node-22')]);
    expect(() => planWarehouses(clash, state)).toThrow(
      "Warehouse name node-22 (base image docker.io/library/node:22) is the managed image node-22's pipeline Warehouse too",
    );
  });
});
