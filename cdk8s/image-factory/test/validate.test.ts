/** Validation against the vendored CRDs and Kargo's subscription schema, with Kargo's extra rules. */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Testing } from 'cdk8s';
import { formatManifestProblem, type WarehousePlan } from 'image-factory/internal';
import { describe, expect, it } from 'vitest';
import { WarehouseChart } from '../src/chart.js';
import { CRD_FOLDERS, SUBSCRIPTION_SCHEMAS } from '../src/paths.js';
import { OUTPUT_FILE, renderWarehouses, synthesise } from '../src/synth.js';
import { applyDefaults } from '../src/validate/defaults.js';
import { ManifestValidator } from '../src/validate/validate.js';

const validator = new ManifestValidator({ crdFolders: CRD_FOLDERS, subscriptionSchemas: SUBSCRIPTION_SCHEMAS });
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

function warehouse(image: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Warehouse',
    metadata: {
      name: 'node-22',
      namespace: 'image-factory-kargo',
      annotations: { 'image-factory.io/reference': 'docker.io/library/node:22' },
    },
    spec: { interval: '1h0m0s', subscriptions: [{ image }], ...spec },
  };
}
const good = {
  repoURL: 'docker.io/library/node',
  allowTagsRegexes: ['^22$'],
  imageSelectionStrategy: 'Digest',
  constraint: '22',
};
const problems = (object: unknown) => validator.validate(object).map(formatManifestProblem);

describe('ManifestValidator', () => {
  it('accepts every generated Warehouse of a varied plan', () => {
    const plans: WarehousePlan[] = ['Digest', 'SemVer', 'Lexical', 'NewestBuild'].map((strategy, i) => ({
      name: `w-${i}`,
      kind: 'external',
      reference: `ghcr.io/acme/w-${i}`,
      interval: '30m',
      subscription: {
        repoURL: `ghcr.io/acme/w-${i}`,
        allowTags: '^v\\d+\\.\\d+\\.\\d+$',
        imageSelectionStrategy: strategy as 'Digest',
        ...(strategy === 'Digest' ? { constraint: 'v1.0.0' } : {}),
        strictSemvers: true,
        discoveryLimit: 100,
        platform: 'linux/arm64',
      },
      dependents: [],
    }));
    for (const object of Testing.synth(new WarehouseChart(Testing.app(), 't', { warehouses: plans }))) {
      expect(problems(object)).toEqual([]);
    }
  });

  it('applies the API server defaults before validating', () => {
    const { validate } = validator;
    expect(validate.call(validator, warehouse(good, { interval: undefined }))).toEqual([]);
    const schema = {
      properties: { spec: { properties: { interval: { default: '5m0s' }, x: { properties: { y: { default: 1 } } } } } },
    };
    expect(applyDefaults({ spec: { x: {} } }, schema)).toEqual({ spec: { interval: '5m0s', x: { y: 1 } } });
  });

  it.each([
    [
      'Digest without constraint',
      warehouse({ ...good, constraint: undefined }),
      'spec.subscriptions[0].image.constraint is required with imageSelectionStrategy Digest',
    ],
    [
      'the legacy allowTags',
      warehouse({ ...good, allowTags: '^22$' }),
      'spec.subscriptions[0].image.allowTags is deprecated: Kargo >= 1.11 fails artifact discovery',
    ],
    [
      'semverConstraint beside constraint',
      warehouse({ ...good, semverConstraint: '^1' }),
      'spec.subscriptions[0].image.semverConstraint and constraint are mutually exclusive',
    ],
    [
      'a repoURL with a tag',
      warehouse({ ...good, repoURL: 'docker.io/library/node:22' }),
      'spec.subscriptions[0].image.repoURL must match pattern',
    ],
    [
      'a repoURL with a scheme',
      warehouse({ ...good, repoURL: 'https://ghcr.io/acme/x' }),
      'spec.subscriptions[0].image.repoURL must match pattern',
    ],
    [
      'an unknown subscription field',
      warehouse({ ...good, allowTagz: ['x'] }),
      'spec.subscriptions[0].image.allowTagz is not a field of this schema',
    ],
    [
      'a discoveryLimit over 100',
      warehouse({ ...good, discoveryLimit: 500 }),
      'spec.subscriptions[0].image.discoveryLimit must be <= 100',
    ],
    [
      'a bad strategy',
      warehouse({ ...good, imageSelectionStrategy: 'Newest' }),
      'spec.subscriptions[0].image.imageSelectionStrategy must be one of Digest, Lexical, NewestBuild, SemVer',
    ],
    [
      'a platform that is not os/arch',
      warehouse({ ...good, platform: 'linux' }),
      'spec.subscriptions[0].image.platform must match pattern',
    ],
    ['a bad interval', warehouse(good, { interval: '1 hour' }), 'spec.interval must match pattern'],
    ['no subscriptions', warehouse(good, { subscriptions: [] }), 'spec.subscriptions must NOT have fewer than 1 items'],
    [
      'two kinds in one subscription',
      warehouse(good, { subscriptions: [{ image: good, git: {} }] }),
      'spec.subscriptions[0] must hold exactly one of image, git or chart',
    ],
    ['an unknown spec field', warehouse(good, { intervall: '1h' }), 'spec.intervall is not a field of this schema'],
  ])('rejects %s, naming the object, the image and the field', (_label, object, message) => {
    const found = problems(object);
    expect(
      found.some((p) =>
        p.startsWith(`Warehouse image-factory-kargo/node-22 (image docker.io/library/node:22): ${message}`),
      ),
      found.join('\n'),
    ).toBe(true);
  });

  it('rejects a bad name and an object of an unknown kind', () => {
    expect(problems({ ...warehouse(good), metadata: { name: 'Node_22' } })).toContain(
      'Warehouse Node_22: metadata.name must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")',
    );
    expect(problems({ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Nope', metadata: { name: 'x' } })).toEqual([
      'Nope x: kind no vendored CRD defines kargo.akuity.io/v1alpha1 Nope',
    ]);
  });

  it('accepts the legacy field when the chart option asks for it', () => {
    const legacy = new ManifestValidator({
      crdFolders: CRD_FOLDERS,
      subscriptionSchemas: SUBSCRIPTION_SCHEMAS,
      legacyAllowTags: true,
    });
    expect(legacy.validate(warehouse({ ...good, allowTagsRegexes: undefined, allowTags: '^22$' }))).toEqual([]);
  });

  it('fails synthesis on an invalid object, naming the image, and writes nothing', async () => {
    const bad: WarehousePlan = {
      name: 'broken',
      kind: 'base',
      reference: 'docker.io/library/broken:1',
      interval: '1h',
      subscription: {
        repoURL: 'docker.io/library/broken',
        allowTags: '^1$',
        imageSelectionStrategy: 'Digest',
        discoveryLimit: 20,
      },
      dependents: ['app'],
    };
    expect(() => renderWarehouses([bad], 'image-factory-kargo', false)).toThrow(
      /invalid Kargo objects, nothing written:\nWarehouse image-factory-kargo\/broken \(image docker.io\/library\/broken:1\): spec.subscriptions\[0\].image.constraint is required/,
    );

    // The same through synthesise(): a hand-edited state file without constraint.
    const root = mkdtempSync(join(tmpdir(), 'if-synth-'));
    mkdirSync(join(root, 'image-factory/state/base-images'), { recursive: true });
    mkdirSync(join(root, 'image-factory/state/images'), { recursive: true });
    writeFileSync(
      join(root, 'images.yaml'),
      'images:\n  - {name: app, registry: ghcr.io, repository: acme/app, source: {provider: github, repo: a/b, dockerfile: Dockerfile}}\n',
    );
    writeFileSync(
      join(root, 'image-factory/state/base-images/broken-1.yaml'),
      'name: broken-1\nreference: docker.io/library/broken:1\nregistry: docker.io\nrepository: library/broken\ntag: "1"\ndigest: null\nrepoURL: docker.io/library/broken\nallowTags: ^1$\nimageSelectionStrategy: Digest\ndependents: [app]\n',
    );
    const out = join(root, 'out');
    await expect(synthesise({ root, out })).rejects.toThrow(
      /broken-1 \(image docker.io\/library\/broken:1\): spec.subscriptions\[0\].image.constraint is required/,
    );
    expect(existsSync(join(out, OUTPUT_FILE))).toBe(false);
  });

  it('refuses a vendored CRD that is not in apiextensions/v1 shape, naming the file and the field', () => {
    // A CustomResourceDefinition without spec.group would otherwise define nothing, and every Warehouse would then
    // fail as an "unknown kind" far from the cause.
    const crds = mkdtempSync(join(tmpdir(), 'if-crds-'));
    const file = join(crds, 'broken.yaml');
    writeFileSync(
      file,
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  scope: Namespaced\n  names: {kind: Warehouse}\n  versions: [{name: v1alpha1}]\n',
    );
    const load = () => new ManifestValidator({ crdFolders: [crds], subscriptionSchemas: SUBSCRIPTION_SCHEMAS });
    expect(load).toThrow(`${file}: not a CustomResourceDefinition: /spec/group`);
    expect(load).toThrow(expect.objectContaining({ code: 'invalid-config' }));
  });

  it('refuses a subscription schema file that is not JSON, naming the file', () => {
    const schemas = mkdtempSync(join(tmpdir(), 'if-subscriptions-'));
    writeFileSync(join(schemas, 'image.json'), '{"type": "object",');
    const broken = new ManifestValidator({ crdFolders: CRD_FOLDERS, subscriptionSchemas: schemas });
    expect(() => broken.validate(warehouse(good))).toThrow(`${join(schemas, 'image.json')}: not JSON`);
  });

  it('validates the example catalogue output', async () => {
    const out = mkdtempSync(join(tmpdir(), 'if-synth-'));
    const result = await synthesise({ root: REPO, out });
    expect(result.warehouses.length).toBeGreaterThan(0);
  });
});
