/**
 * planWarehouses and planManagedWarehouse (src/warehouses/plan.ts), pinned where the mutation run found them
 * unpinned (docs/mutation.md), each from docs/warehouses.md: every subscription field images.yaml or the state sets
 * reaches the Warehouse (platform included) and no other; a base built FROM a managed image gets a Warehouse only
 * on a tag it follows, a digest-pinned base none, both without a warning; a state that records a managed base
 * images.yaml no longer enrols waits for `sync`; a missing field is named in the warning; images tracking the same
 * tags under the same constraint and strategy share one Warehouse, others do not; a Warehouse name wanted twice is
 * an `invalid-manifest` error; dependents are listed by name.
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import type { ManagedImage } from '../src/enrolment/types.js';
import { FactoryError } from '../src/errors.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { EMPTY_STATE, type StateSnapshot } from '../src/state/types.js';
import { planManagedWarehouse, planWarehouses } from '../src/warehouses/plan.js';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const managed = (name: string, extra = '') =>
  `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source: {provider: github, repo: acme/mono, dockerfile: ${name}/Dockerfile}\n${extra}`;
const external = (name: string, extra = '', repository = `library/${name}`) =>
  `  - name: ${name}\n    registry: docker.io\n    repository: ${repository}\n    allowTags: '^16$'\n${extra}`;
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

/** The state with base `name` changed by `change` (a hand edit, or a state written by an older version). */
function editBase(
  state: StateSnapshot,
  name: string,
  change: (base: Record<string, unknown>) => object,
): StateSnapshot {
  const base = state.baseImages.get(name);
  if (base === undefined) throw new Error(`no base ${name}`);
  const baseImages = new Map(state.baseImages);
  baseImages.set(name, change({ ...base }) as typeof base);
  return { images: state.images, baseImages };
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof FactoryError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('what reaches the subscription', () => {
  test("an external image's fields from images.yaml, platform included, and only those", () => {
    const enrolment = enrol(
      external('pg', '    constraint: ^16\n    strictSemvers: false\n    platform: linux/arm64\n'),
      external('redis', '', 'library/redis'),
    );
    const { warehouses, warnings } = planWarehouses(enrolment, EMPTY_STATE);
    expect(warnings).toEqual([]);
    expect(warehouses.map((w) => w.subscription)).toStrictEqual([
      {
        repoURL: 'docker.io/library/pg',
        allowTags: '^16$',
        imageSelectionStrategy: 'SemVer',
        constraint: '^16',
        strictSemvers: false,
        discoveryLimit: 20,
        platform: 'linux/arm64',
      },
      { repoURL: 'docker.io/library/redis', allowTags: '^16$', imageSelectionStrategy: 'SemVer', discoveryLimit: 20 },
    ]);
  });

  test("a base's platform (every use pins the same one) and a discoveryLimit its state file sets", () => {
    const enrolment = enrol(managed('app'), managed('web'));
    const state = stateFor(enrolment, {
      app: 'FROM --platform=linux/amd64 node:22\n',
      web: 'FROM --platform=linux/amd64 node:22\nFROM python:3\n',
    });
    const { warehouses } = planWarehouses(
      enrolment,
      editBase(state, 'python-3', (b) => ({ ...b, discoveryLimit: 7 })),
    );
    expect(warehouses).toStrictEqual([
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
          platform: 'linux/amd64',
        },
        dependents: ['app', 'web'],
      },
      {
        name: 'python-3',
        kind: 'base',
        reference: 'docker.io/library/python:3',
        interval: '2h',
        subscription: {
          repoURL: 'docker.io/library/python',
          allowTags: '^3$',
          imageSelectionStrategy: 'Digest',
          constraint: '3',
          discoveryLimit: 7,
        },
        dependents: ['web'],
      },
    ]);
  });

  test('dependents are listed by name, whatever order the state file has them in', () => {
    const enrolment = enrol(managed('web'), managed('api'));
    const state = stateFor(enrolment, { web: 'FROM node:22\n', api: 'FROM node:22\n' });
    const edited = editBase(state, 'node-22', (b) => ({ ...b, dependents: ['web', 'api'] }));
    expect(planWarehouses(enrolment, edited).warehouses.map((w) => w.dependents)).toEqual([['api', 'web']]);
  });

  test("a managed image's pipeline Warehouse: its subscription from images.yaml, the defaults for the rest", () => {
    const enrolment = enrol(
      managed('app', '    imageSelectionStrategy: NewestBuild\n'),
      managed(
        'lib',
        "    allowTags: '^v1\\.'\n    constraint: ^1\n    strictSemvers: true\n    platform: linux/arm64\n",
      ),
    );
    const [app, lib] = enrolment.images as ManagedImage[];
    if (app === undefined || lib === undefined) throw new Error('not enrolled');
    expect(planManagedWarehouse(app, enrolment.defaults)).toStrictEqual({
      name: 'app',
      kind: 'managed',
      reference: 'ghcr.io/acme/app',
      interval: '5m0s',
      subscription: { repoURL: 'ghcr.io/acme/app', imageSelectionStrategy: 'NewestBuild', discoveryLimit: 20 },
      dependents: [],
    });
    expect(planManagedWarehouse(lib, enrolment.defaults).subscription).toStrictEqual({
      repoURL: 'ghcr.io/acme/lib',
      allowTags: '^v1\\.',
      imageSelectionStrategy: 'SemVer',
      constraint: '^1',
      strictSemvers: true,
      discoveryLimit: 20,
      platform: 'linux/arm64',
    });
  });
});

describe('which bases get a Warehouse', () => {
  test('a base pinned by digest gets none, and no warning, whether or not a managed image publishes it', () => {
    const enrolment = enrol(managed('node-base'), managed('app'), managed('web'));
    const state = stateFor(enrolment, {
      app: `FROM ghcr.io/acme/node-base@${DIGEST}\n`,
      web: `FROM ghcr.io/acme/node-base:22@${DIGEST}\nCOPY --from=alpine@${DIGEST} / /\n`,
    });
    expect(planWarehouses(enrolment, state)).toStrictEqual({ warehouses: [], warnings: [] });
  });

  test('a base the state records as a managed image that images.yaml no longer enrols waits for sync', () => {
    const before = enrol(managed('node-base'), managed('app'));
    const state = stateFor(before, { app: 'FROM ghcr.io/acme/node-base:22\n' });
    expect(planWarehouses(enrol(managed('app')), state)).toStrictEqual({
      warehouses: [],
      warnings: ['state lists image node-base, which is not in images.yaml: run image-factory sync'],
    });
  });

  test('a base missing both fields: the warning names both', () => {
    const enrolment = enrol(managed('app'));
    const state = editBase(stateFor(enrolment, { app: 'FROM node:22\n' }), 'node-22', (b) => {
      const { repoURL: _r, allowTags: _a, ...rest } = b;
      return rest;
    });
    expect(planWarehouses(enrolment, state)).toStrictEqual({
      warehouses: [],
      warnings: ['base image node-22 has no repoURL or allowTags: no Warehouse'],
    });
  });

  test('warnings are listed sorted', () => {
    const before = enrol(managed('app'), managed('zed'), managed('old'));
    const state = stateFor(before, { app: 'FROM node:22\n', old: 'FROM python:3\n' });
    expect(planWarehouses(enrol(managed('app'), managed('zed')), state).warnings).toEqual([
      'base image python-3 has no dependent enrolled as managed in images.yaml: no Warehouse (run image-factory sync)',
      'state lists image old, which is not in images.yaml: run image-factory sync',
    ]);
  });
});

describe('one Warehouse per thing tracked', () => {
  test('a base and an external image share one Warehouse only under the same tags, constraint and strategy', () => {
    const node = (extra: string) =>
      `  - name: node\n    registry: docker.io\n    repository: library/node\n    allowTags: '^22$'\n${extra}`;
    const plan = (extra: string) => {
      const enrolment = enrol(managed('app'), node(extra));
      return planWarehouses(enrolment, stateFor(enrolment, { app: 'FROM node:22\n' }));
    };
    expect(plan('    imageSelectionStrategy: Digest\n    constraint: "22"\n')).toMatchObject({
      warehouses: [{ name: 'node', kind: 'external', dependents: [] }],
      warnings: ['base image node-22 tracks the same as external image node: one Warehouse (node)'],
    });
    for (const extra of [
      '    imageSelectionStrategy: Digest\n    constraint: "21"\n',
      '    imageSelectionStrategy: SemVer\n    constraint: "22"\n',
      '    constraint: "22"\n',
    ]) {
      expect(plan(extra)).toMatchObject({ warehouses: [{ name: 'node' }, { name: 'node-22' }], warnings: [] });
    }
  });

  test('a Warehouse name wanted twice is an invalid-manifest error', () => {
    const state = stateFor(enrol(managed('app')), { app: 'FROM node:22\n' });
    // A base named like a managed image enrolled since (its pipeline Warehouse has that name).
    expect(codeOf(() => planWarehouses(enrol(managed('app'), managed('node-22')), state))).toBe('invalid-manifest');
    // An external image named like a base.
    const clash = enrol(managed('app'), external('node-22', '', 'acme/node'));
    expect(codeOf(() => planWarehouses(clash, state))).toBe('invalid-manifest');
  });
});
