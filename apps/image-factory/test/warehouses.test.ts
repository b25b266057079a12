/** planWarehouses: which images get a Warehouse, and with what — without cdk8s. */
import { describe, expect, it } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';
import { planWarehouses } from '../src/warehouses/plan.js';

const managed = (name: string, repository = `acme/${name}`) =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: ${repository}\n    source: {provider: github, repo: acme/mono, dockerfile: ${name}/Dockerfile}\n`;
const external = (name: string, extra = '') =>
  `  - name: ${name}\n    registry: docker.io\n    repository: library/${name}\n    allowTags: '^16\\.\\d+$'\n${extra}`;
const enrol = (...entries: string[]) =>
  loadEnrolment(`defaults:\n  baseImageInterval: 2h\nimages:\n${entries.join('')}`);

function stateFor(enrolment: ReturnType<typeof enrol>, dockerfiles: Record<string, string>): StateSnapshot {
  return planStateUpdate(
    EMPTY_STATE,
    enrolment,
    Object.entries(dockerfiles).map(([image, text]) => ({
      image,
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile(text, 'Dockerfile', {}),
    })),
  );
}

describe('planWarehouses', () => {
  it('gives base and external images a Warehouse, and managed images none', () => {
    const enrolment = enrol(
      managed('app'),
      external('postgres', '    imageSelectionStrategy: SemVer\n    strictSemvers: false\n'),
    );
    const { warehouses, warnings } = planWarehouses(enrolment, stateFor(enrolment, { app: 'FROM node:22\n' }));
    expect(warnings).toEqual([]);
    expect(warehouses).toEqual([
      {
        name: 'node-22',
        kind: 'base',
        reference: 'docker.io/library/node:22',
        interval: '2h',
        subscription: {
          repoURL: 'docker.io/library/node',
          allowTags: '^22$',
          imageSelectionStrategy: 'Digest',
          constraint: '22',
          discoveryLimit: 20,
        },
        dependents: ['app'],
      },
      {
        name: 'postgres',
        kind: 'external',
        reference: 'docker.io/library/postgres',
        interval: '5m0s',
        subscription: {
          repoURL: 'docker.io/library/postgres',
          allowTags: '^16\\.\\d+$',
          imageSelectionStrategy: 'SemVer',
          strictSemvers: false,
          discoveryLimit: 20,
        },
        dependents: [],
      },
    ]);
    expect(warehouses.some((w) => w.name === 'app')).toBe(false);
  });

  it('gives none, with a warning, when repoURL or allowTags is missing', () => {
    const enrolment = enrol(managed('app'));
    const state = stateFor(enrolment, { app: 'FROM node:22\n' });
    const base = state.baseImages.get('node-22');
    if (base === undefined) throw new Error('no base');
    const { allowTags: _a, ...withoutAllowTags } = base;
    const { repoURL: _r, ...withoutRepoURL } = base;
    for (const broken of [withoutAllowTags, withoutRepoURL]) {
      const result = planWarehouses(enrolment, { images: state.images, baseImages: new Map([['node-22', broken]]) });
      expect(result.warehouses).toEqual([]);
      expect(result.warnings).toEqual([
        expect.stringMatching(/^base image node-22 has no (allowTags|repoURL): no Warehouse$/),
      ]);
    }
  });

  it('lets images.yaml win over state', () => {
    const before = enrol(managed('app'), external('postgres'));
    const state = stateFor(before, { app: 'FROM ghcr.io/acme/base:1\n' });
    // images.yaml changed since the state was written: postgres is now managed, base is enrolled as managed,
    // and a new external image exists; no sync has run.
    const after = enrol(
      managed('app'),
      managed('postgres', 'acme/postgres'),
      managed('base'),
      external('redis', '    discoveryLimit: 5\n    interval: 10m\n'),
    );
    const { warehouses, warnings } = planWarehouses(after, state);
    // base is managed now: app's FROM ghcr.io/acme/base:1 is watched as a managed base, under that tag.
    expect(warehouses.map((w) => `${w.kind}:${w.name}`)).toEqual(['base:ghcr-io-acme-base-1', 'external:redis']);
    expect(warehouses[0]?.subscription).toMatchObject({ imageSelectionStrategy: 'Digest', constraint: '1' });
    expect(warehouses[1]?.subscription.discoveryLimit).toBe(5);
    expect(warehouses[1]?.interval).toBe('10m');
    expect(warnings).toEqual([
      'image postgres is managed in images.yaml but external in state: images.yaml wins; run image-factory sync',
    ]);
  });

  it('drops base images whose dependents are no longer enrolled', () => {
    const before = enrol(managed('app'), managed('other'));
    const state = stateFor(before, { app: 'FROM node:22\n', other: 'FROM python:3\n' });
    const { warehouses, warnings } = planWarehouses(enrol(managed('app')), state);
    expect(warehouses.map((w) => w.name)).toEqual(['node-22']);
    expect(warnings).toEqual([
      'base image python-3 has no dependent enrolled as managed in images.yaml: no Warehouse (run image-factory sync)',
      'state lists image other, which is not in images.yaml: run image-factory sync',
    ]);
  });

  it('makes one Warehouse per tracked reference and none for digest-pinned bases', () => {
    const enrolment = enrol(managed('a'), managed('b'));
    const state = stateFor(enrolment, {
      a: 'FROM node:22 AS x\nFROM node:22\nCOPY --from=node:22 / /\n',
      b: `FROM node:22\nCOPY --from=alpine@sha256:${'a'.repeat(64)} / /\n`,
    });
    const { warehouses } = planWarehouses(enrolment, state);
    expect(warehouses.map((w) => [w.name, w.dependents])).toEqual([['node-22', ['a', 'b']]]);
  });

  it('refuses two Warehouses with one name (a state older than images.yaml)', () => {
    const state = stateFor(enrol(managed('app')), { app: 'FROM node:22\n' });
    const enrolment = enrol(
      managed('app'),
      `  - name: node-22\n    registry: ghcr.io\n    repository: acme/node\n    allowTags: '^1$'\n`,
    );
    expect(() => planWarehouses(enrolment, state)).toThrow(
      /Warehouse name node-22 is wanted by external image ghcr.io\/acme\/node and base image docker.io\/library\/node:22/,
    );
  });

  describe('a managed image others build on (DESIGN §10: every level of the graph reaches the next)', () => {
    // node-base is published as ghcr.io/acme/node-base (its own Warehouse follows SemVer builds like 22.3.0) and
    // backstage builds FROM ghcr.io/acme/node-base:22. Kargo's SemVer strategy with strictSemvers (default true,
    // kargo v1.11.2 pkg/subscription/image.go:92-94) never discovers the tag 22, and Freight carries only the newest
    // tag (pkg/controller/warehouses/warehouses.go:662): only a Digest Warehouse on exactly the tag 22
    // (pkg/image/digest_selector.go:53-55,71) hands `rebuild --reference ghcr.io/acme/node-base:22` a new build.
    const catalogue = () =>
      enrol(
        managed('node-base'),
        managed('backstage'),
        '  - name: node-base-16\n    registry: ghcr.io\n    repository: acme/node-base-16\n' +
          '    source: {provider: github, repo: acme/mono, dockerfile: node-base-16/Dockerfile}\n    interval: 2m\n',
      );
    const dockerfiles = {
      'node-base': 'FROM node:22\n',
      backstage: 'FROM ghcr.io/acme/node-base:22 AS build\nFROM ghcr.io/acme/node-base-16:16\n',
      'node-base-16': 'FROM node:16\n',
    };

    it('watches the exact tag the dependents build FROM with the Digest strategy, under the base name', () => {
      const enrolment = catalogue();
      const { warehouses, warnings } = planWarehouses(enrolment, stateFor(enrolment, dockerfiles));
      expect(warnings).toEqual([]);
      expect(warehouses.find((w) => w.name === 'ghcr-io-acme-node-base-22')).toEqual({
        name: 'ghcr-io-acme-node-base-22',
        kind: 'base',
        reference: 'ghcr.io/acme/node-base:22',
        // The managed image's own polling interval (defaults.interval here), not baseImageInterval: the
        // organisation's registry, which the managed Warehouse polls at that rate already.
        interval: '5m0s',
        subscription: {
          repoURL: 'ghcr.io/acme/node-base',
          allowTags: '^22$',
          imageSelectionStrategy: 'Digest',
          constraint: '22',
          discoveryLimit: 20,
        },
        dependents: ['backstage'],
        managedImage: 'node-base',
      });
      expect(warehouses.find((w) => w.name === 'ghcr-io-acme-node-base-16-16')).toMatchObject({
        interval: '2m',
        subscription: { imageSelectionStrategy: 'Digest', constraint: '16' },
        dependents: ['backstage'],
        managedImage: 'node-base-16',
      });
      // The managed images' own Warehouses are not planned here (kustomize/image-factory renders them).
      expect(warehouses.map((w) => w.name)).not.toContain('node-base');
    });

    it('watches nothing for a managed base used by digest, or one no enrolled image builds on', () => {
      const enrolment = catalogue();
      const pinned = `FROM ghcr.io/acme/node-base:22@sha256:${'b'.repeat(64)}\nFROM ghcr.io/acme/node-base-16:16\n`;
      const { warehouses } = planWarehouses(enrolment, stateFor(enrolment, { ...dockerfiles, backstage: pinned }));
      expect(warehouses.map((w) => w.name)).toEqual(['ghcr-io-acme-node-base-16-16', 'node-16', 'node-22']);
      // backstage leaves images.yaml: nothing enrolled builds on node-base-16 any more.
      const without = enrol(
        managed('node-base'),
        '  - name: node-base-16\n    registry: ghcr.io\n    repository: acme/node-base-16\n' +
          '    source: {provider: github, repo: acme/mono, dockerfile: node-base-16/Dockerfile}\n',
      );
      const left = planWarehouses(without, stateFor(enrolment, { ...dockerfiles, backstage: pinned }));
      expect(left.warehouses.map((w) => w.name)).toEqual(['node-16', 'node-22']);
      expect(left.warnings).toContain(
        'base image ghcr-io-acme-node-base-16-16 has no dependent enrolled as managed in images.yaml: no Warehouse (run image-factory sync)',
      );
    });

    it('keeps the name the state wrote, whatever else is enrolled (names once written never change)', () => {
      const enrolment = catalogue();
      const state = stateFor(enrolment, dockerfiles);
      const more = enrol(
        managed('node-base'),
        managed('backstage'),
        managed('api'),
        '  - name: node-base-16\n    registry: ghcr.io\n    repository: acme/node-base-16\n' +
          '    source: {provider: github, repo: acme/mono, dockerfile: node-base-16/Dockerfile}\n',
      );
      const again = planStateUpdate(state, more, [
        {
          image: 'api',
          dockerfile: 'Dockerfile',
          uses: analyseDockerfile('FROM ghcr.io/acme/node-base:22\n', 'Dockerfile', {}),
        },
      ]);
      const planned = planWarehouses(more, again).warehouses.find((w) => w.managedImage === 'node-base');
      expect(planned?.name).toBe('ghcr-io-acme-node-base-22');
      expect(planned?.dependents).toEqual(['api', 'backstage']);
    });
  });
});
