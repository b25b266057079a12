/**
 * Kargo's runtime rules (DESIGN §9): a managed pipeline as generated passes, and each rule rejects the object
 * Kargo would install and then never run, with a message saying what to change.
 */
import { describe, expect, it } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import type { ManagedImage } from '../src/enrolment/types.js';
import { managedPipelineObjects } from '../src/kargo/managed-pipeline.js';
import { warehouseManifest } from '../src/kargo/manifests.js';
import { rebuildStageManifest } from '../src/kargo/rebuild-stage.js';
import { checkKargoRuntimeRules, checkWarehouse, formatManifestProblem } from '../src/kargo/runtime-rules.js';
import type { WarehousePlan } from '../src/warehouses/types.js';

const enrolment = loadEnrolment(
  'images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n' +
    '    source: {provider: github, repo: acme/mono, dockerfile: api/Dockerfile}\n',
);
const api = enrolment.images[0] as ManagedImage;
const NS = 'image-factory-kargo';
const namespace = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: NS, labels: { 'kargo.akuity.io/project': 'true' } },
};
const project = { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Project', metadata: { name: NS } };
const serviceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: NS } };

// biome-ignore lint/suspicious/noExplicitAny: breaking generated objects field by field, as a hand edit would
type Any = any;
/** The generated pipeline as YAML would give it back: plain, mutable data. */
function pipeline(): { warehouse: Any; analyze: Any; analyzed: Any } {
  const [warehouse, analyze, analyzed] = structuredClone(managedPipelineObjects(api, enrolment.defaults));
  return { warehouse, analyze, analyzed };
}
const check = (objects: unknown[], ordered = true) =>
  checkKargoRuntimeRules(objects, { ordered }).map(formatManifestProblem);

describe('checkKargoRuntimeRules', () => {
  it('passes the generated managed pipeline with its namespace and Project in apply order', () => {
    const { warehouse, analyze, analyzed } = pipeline();
    expect(check([namespace, serviceAccount, project, warehouse, analyze, analyzed])).toEqual([]);
  });

  it('rejects a verifying Stage without promotion steps (a control-flow Stage never verifies)', () => {
    const { warehouse, analyze } = pipeline();
    delete analyze.spec.promotionTemplate;
    expect(check([warehouse, analyze])).toEqual([
      expect.stringMatching(
        /^Stage image-factory-kargo\/api-analyze-dockerfile \(image ghcr.io\/acme\/api\): spec.promotionTemplate.spec.steps is empty, so Kargo treats this Stage as a control-flow Stage.*Add a promotion step/,
      ),
    ]);
  });

  it('rejects a compose-output step without outputs', () => {
    const { warehouse, analyze } = pipeline();
    analyze.spec.promotionTemplate.spec.steps[0].config = {};
    expect(check([warehouse, analyze])).toEqual([
      expect.stringContaining('spec.promotionTemplate.spec.steps[0].config needs at least one output'),
    ]);
  });

  it('rejects an expression arg that is not quote()d (a tag like 16.4 would become a number)', () => {
    const { warehouse, analyze } = pipeline();
    analyze.spec.verification.args[1].value = '${{ imageFrom("ghcr.io/acme/api", warehouse("api")).Tag }}';
    analyze.spec.verification.args[2].value = 'v${{ quote(imageFrom("ghcr.io/acme/api", warehouse("api")).Digest) }}';
    const problems = check([warehouse, analyze]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('spec.verification.args[1].value is read as JSON after evaluation');
    expect(problems[0]).toContain('wrapped in quote()');
    expect(problems[1]).toContain('spec.verification.args[2].value');
  });

  it('leaves literal args alone: Kargo does not parse a value without an expression', () => {
    const { warehouse, analyze } = pipeline();
    analyze.spec.verification.args[0].value = '16.4';
    expect(check([warehouse, analyze])).toEqual([]);
  });

  it('rejects imageFrom() without an origin, with a repoURL the Warehouse does not write, or from a Warehouse not requested', () => {
    const { warehouse, analyze } = pipeline();
    analyze.spec.verification.args[1].value = '${{ quote(imageFrom("ghcr.io/acme/api").Tag) }}';
    analyze.spec.verification.args[2].value = '${{ quote(imageFrom("ghcr.io/acme/API", warehouse("api")).Digest) }}';
    analyze.spec.promotionTemplate.spec.steps[0].config.tag =
      '${{ quote(imageFrom("ghcr.io/acme/api", warehouse("web")).Tag) }}';
    const problems = check([warehouse, analyze]);
    expect(problems).toEqual([
      expect.stringContaining('spec.verification.args[1].value calls imageFrom("ghcr.io/acme/api") without an origin'),
      expect.stringContaining(
        'spec.verification.args[2].value calls imageFrom("ghcr.io/acme/API"), but Warehouse api subscribes to ghcr.io/acme/api',
      ),
      expect.stringContaining(
        'spec.promotionTemplate.spec.steps[0].config.tag names warehouse("web"), but the Stage does not request Freight from it',
      ),
    ]);
  });

  it('rejects a Stage whose Warehouse is not among the objects, and an origin requested twice', () => {
    const { analyze } = pipeline();
    analyze.spec.requestedFreight.push(analyze.spec.requestedFreight[0]);
    const problems = check([analyze]);
    expect(problems).toContain(
      "Stage image-factory-kargo/api-analyze-dockerfile (image ghcr.io/acme/api): spec.requestedFreight[1].origin requests Freight from Warehouse api twice (Kargo's webhook refuses it)",
    );
    expect(problems.join('\n')).toContain('names Warehouse api, which is not among the objects checked');
  });

  it('requires the Project namespace among the objects, labelled for Kargo and first', () => {
    expect(check([serviceAccount, project])).toEqual([
      expect.stringMatching(
        /^Project image-factory-kargo: metadata.name is also the namespace of 1 object\(s\), but no Namespace .* "namespace not found"/,
      ),
    ]);
    const unlabelled = { ...namespace, metadata: { name: NS } };
    expect(check([unlabelled, serviceAccount, project])).toEqual([
      'Namespace image-factory-kargo: metadata.labels["kargo.akuity.io/project"] must be "true": Kargo\'s Project webhook answers 409 Conflict for an existing namespace without it',
    ]);
    expect(check([serviceAccount, project, namespace])).toEqual([
      'Namespace image-factory-kargo: (order) comes after ServiceAccount image-factory-kargo/sa, Project image-factory-kargo: the Namespace must be applied first',
    ]);
    expect(check([serviceAccount, project, namespace], false)).toEqual([]);
  });
});

describe('managedPipelineObjects', () => {
  it('plans the Warehouse with the same defaults as every other Warehouse', () => {
    const withDefaults = loadEnrolment(
      'defaults: {discoveryLimit: 7, interval: 10m}\nimages:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n' +
        '    source: {provider: github, repo: acme/mono, dockerfile: api/Dockerfile}\n',
    );
    const [warehouse] = managedPipelineObjects(withDefaults.images[0] as ManagedImage, withDefaults.defaults);
    expect(warehouse.spec).toEqual({
      interval: '10m',
      subscriptions: [{ image: { repoURL: 'ghcr.io/acme/api', imageSelectionStrategy: 'SemVer', discoveryLimit: 7 } }],
    });
  });

  it("takes the managed image's subscription from images.yaml: commit-SHA tags with NewestBuild", () => {
    const sha = loadEnrolment(
      'images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n' +
        '    source: {provider: github, repo: acme/mono, dockerfile: api/Dockerfile}\n' +
        "    allowTags: '^[0-9a-f]{40}$'\n    imageSelectionStrategy: NewestBuild\n    discoveryLimit: 3\n    platform: linux/amd64\n",
    );
    const [warehouse] = managedPipelineObjects(sha.images[0] as ManagedImage, sha.defaults);
    expect(warehouse.spec.subscriptions[0]?.image).toEqual({
      repoURL: 'ghcr.io/acme/api',
      allowTagsRegexes: ['^[0-9a-f]{40}$'],
      imageSelectionStrategy: 'NewestBuild',
      discoveryLimit: 3,
      platform: 'linux/amd64',
    });
  });

  it('verifies with quoted args naming their origin, and has a compose-output step so the verification runs', () => {
    const { analyze, analyzed } = pipeline();
    const from = 'imageFrom("ghcr.io/acme/api", warehouse("api"))';
    expect(analyze.spec.verification.args).toEqual([
      { name: 'image', value: 'api' },
      { name: 'tag', value: `\${{ quote(${from}.Tag) }}` },
      { name: 'digest', value: `\${{ quote(${from}.Digest) }}` },
    ]);
    expect(analyze.spec.promotionTemplate.spec.steps).toEqual([
      {
        uses: 'compose-output',
        as: 'analysed',
        config: { tag: `\${{ quote(${from}.Tag) }}`, digest: `\${{ quote(${from}.Digest) }}` },
      },
    ]);
    expect(analyzed.spec.requestedFreight).toEqual([
      { origin: { kind: 'Warehouse', name: 'api' }, sources: { stages: ['api-analyze-dockerfile'] } },
    ]);
  });
});

describe('checkKargoRuntimeRules: the rebuild Stages (DESIGN §10)', () => {
  // A base Warehouse as the chart renders it for backstage's FROM ghcr.io/acme/node-base:22, and its -rebuild Stage.
  const basePlan: WarehousePlan = {
    name: 'ghcr-io-acme-node-base-22',
    kind: 'base',
    reference: 'ghcr.io/acme/node-base:22',
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
  };
  const rebuild = (plan: WarehousePlan): [Any, Any] => [
    structuredClone(warehouseManifest(plan, { namespace: NS })),
    structuredClone(rebuildStageManifest({ name: plan.name, repoURL: plan.subscription.repoURL })),
  ];

  it('passes a base Warehouse following the tag built FROM, with dependents, and its -rebuild Stage', () => {
    expect(check([namespace, project, ...rebuild(basePlan)])).toEqual([]);
  });

  it("rejects a -rebuild Stage on a managed image's own Warehouse: its Freight never names the tag built FROM", () => {
    // node-base's own Warehouse (SemVer, strictSemvers by default): Freight tags like 22.3.0, so the Stage would run
    // `rebuild --reference ghcr.io/acme/node-base:22.3.0`, on which nothing is built.
    const own = managedPipelineObjects(
      loadEnrolment(
        'images:\n  - name: node-base\n    registry: ghcr.io\n    repository: acme/node-base\n' +
          '    source: {provider: github, repo: acme/mono, dockerfile: Dockerfile}\n',
      ).images[0] as ManagedImage,
      enrolment.defaults,
    )[0];
    const warehouse: Any = structuredClone(own);
    warehouse.metadata.annotations['image-factory.io/dependents'] = 'backstage';
    const stage = structuredClone(rebuildStageManifest({ name: 'node-base', repoURL: 'ghcr.io/acme/node-base' }));
    expect(check([warehouse, stage])).toEqual([
      expect.stringMatching(
        /^Stage image-factory-kargo\/node-base-rebuild \(image ghcr.io\/acme\/node-base\): spec.requestedFreight\[0\].origin takes Freight from Warehouse node-base, which selects images by SemVer: .*newest tag .*imageSelectionStrategy: Digest/,
      ),
    ]);
  });

  it('rejects a base Warehouse of a -rebuild Stage whose constraint is not the tag of its reference', () => {
    const [warehouse, stage] = rebuild(basePlan);
    warehouse.spec.subscriptions[0].image.constraint = '22.3';
    expect(check([warehouse, stage])).toEqual([
      expect.stringContaining(
        'takes Freight from Warehouse ghcr-io-acme-node-base-22, which follows the tag 22.3, but its reference ghcr.io/acme/node-base:22 is built FROM the tag 22',
      ),
    ]);
  });

  it('rejects a -rebuild Stage on a Warehouse nothing is built on (a Job per new Freight that decides nothing)', () => {
    const [warehouse, stage] = rebuild({ ...basePlan, dependents: [] });
    expect(check([warehouse, stage])).toEqual([
      expect.stringMatching(
        /^Stage image-factory-kargo\/ghcr-io-acme-node-base-22-rebuild .*: spec.requestedFreight\[0\].origin takes Freight from Warehouse ghcr-io-acme-node-base-22, which has no dependents .*remove the Stage/,
      ),
    ]);
  });
});

describe('checkKargoRuntimeRules: a Stage whose Job scans passes the repository of its digest (issue 21)', () => {
  // Trivy scans <repo>@<digest> and scan record finds the image by that repository: a digest taken from one
  // repository's Freight names no manifest in another.
  const externalPlan: WarehousePlan = {
    name: 'redis',
    kind: 'external',
    reference: 'docker.io/library/redis',
    interval: '5m0s',
    subscription: {
      repoURL: 'docker.io/library/redis',
      allowTags: '^7$',
      imageSelectionStrategy: 'SemVer',
      discoveryLimit: 20,
    },
    dependents: [],
  };
  const from = 'imageFrom("docker.io/library/redis", warehouse("redis"))';
  /** A -scan Stage as the chart renders it (cdk8s/image-factory/src/scan-stage.ts), as YAML gives it back. */
  const scanStage = (repo: string): Any => ({
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Stage',
    metadata: { name: 'redis-scan', namespace: NS, annotations: { 'image-factory.io/reference': repo } },
    spec: {
      requestedFreight: [{ origin: { kind: 'Warehouse', name: 'redis' }, sources: { direct: true } }],
      promotionTemplate: {
        spec: { steps: [{ uses: 'compose-output', as: 'seen', config: { digest: `\${{ quote(${from}.Digest) }}` } }] },
      },
      verification: {
        analysisTemplates: [{ name: 'image-factory-scan' }],
        args: [
          { name: 'repo', value: repo },
          { name: 'digest', value: `\${{ quote(${from}.Digest) }}` },
        ],
      },
    },
  });
  const warehouse = () => structuredClone(warehouseManifest(externalPlan, { namespace: NS }));

  it('passes a -scan Stage that passes the repository its Warehouse watches', () => {
    expect(check([warehouse(), scanStage('docker.io/library/redis')])).toEqual([]);
  });

  it('rejects a repo that is not the one imageFrom() takes the digest from, on a -scan and a -rebuild Stage', () => {
    expect(check([warehouse(), scanStage('docker.io/library/valkey')])).toEqual([
      'Stage image-factory-kargo/redis-scan (image docker.io/library/valkey): spec.verification.args[0].value is ' +
        '"docker.io/library/valkey", but the digest comes from imageFrom("docker.io/library/redis"): Trivy would scan ' +
        'docker.io/library/valkey@<a digest of docker.io/library/redis>, which that repository does not hold. Pass ' +
        'the repository the Warehouse watches: docker.io/library/redis',
    ]);
    const plan: WarehousePlan = {
      ...externalPlan,
      name: 'node-22',
      kind: 'base',
      reference: 'docker.io/library/node:22',
      subscription: {
        repoURL: 'docker.io/library/node',
        allowTags: '^22$',
        imageSelectionStrategy: 'Digest',
        constraint: '22',
        discoveryLimit: 20,
      },
      dependents: ['api'],
    };
    const stage: Any = structuredClone(rebuildStageManifest({ name: 'node-22', repoURL: 'docker.io/library/node' }));
    stage.spec.verification.args[0].value = 'mirror.internal/library/node';
    expect(check([structuredClone(warehouseManifest(plan, { namespace: NS })), stage])).toEqual([
      expect.stringContaining(
        'spec.verification.args[0].value is "mirror.internal/library/node", but the digest comes from imageFrom("docker.io/library/node")',
      ),
    ]);
  });
});

describe('checkKargoRuntimeRules: no API access for an identity in the Project namespace', () => {
  // Kargo v1.11.2 pkg/controller/management/projects/projects.go:885-925: the project-admin Role may create
  // AnalysisTemplates (and so Jobs under any ServiceAccount of the namespace).
  const reader = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'pod-reader' } };
  const binding = (saNamespace: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'pod-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-reader' },
    subjects: [
      { kind: 'User', name: 'someone' },
      { kind: 'ServiceAccount', name: 'compliance', namespace: saNamespace },
    ],
  });

  it('rejects a binding that grants a ServiceAccount of the Project namespace any role', () => {
    expect(check([namespace, project, reader, binding(NS)])).toEqual([
      expect.stringMatching(
        /^ClusterRoleBinding pod-reader: subjects\[1\] grants ClusterRole pod-reader to ServiceAccount image-factory-kargo\/compliance, in the Kargo Project namespace image-factory-kargo, where every project admin may create AnalysisTemplates .*a namespace of its own/,
      ),
    ]);
    const roleBinding = { ...binding(NS), kind: 'RoleBinding', metadata: { name: 'x', namespace: 'apps' } };
    expect(check([namespace, project, roleBinding])).toHaveLength(1);
  });

  it('passes the same binding for a ServiceAccount in a namespace of its own', () => {
    expect(check([namespace, project, reader, binding('image-factory-compliance')])).toEqual([]);
  });
});

describe("a Warehouse's subscriptions (Kargo v1.11: what its CRD schema does not show)", () => {
  const image = { repoURL: 'docker.io/library/node', imageSelectionStrategy: 'Digest', constraint: '22' };
  const warehouseOf = (...subscriptions: unknown[]) => ({
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Warehouse',
    metadata: { name: 'node-22', namespace: NS },
    spec: { subscriptions },
  });

  it('the tool renders a Warehouse that keeps every rule', () => {
    const plan: WarehousePlan = {
      name: 'docker-io-library-node-22',
      kind: 'base',
      reference: 'docker.io/library/node:22',
      interval: '5m0s',
      subscription: {
        repoURL: 'docker.io/library/node',
        allowTags: '^22$',
        imageSelectionStrategy: 'Digest',
        constraint: '22',
        discoveryLimit: 20,
      },
      dependents: ['api'],
    };
    expect(checkWarehouse(warehouseManifest(plan, { namespace: NS }))).toEqual([]);
    expect(checkWarehouse(warehouseOf({ image }, { git: { repoURL: 'https://github.com/acme/x' } }))).toEqual([]);
  });

  it('each rule names the field and what to change', () => {
    const { constraint: _, ...noConstraint } = image;
    expect(
      checkWarehouse(
        warehouseOf(
          { image, git: {} },
          { image: noConstraint },
          { image: { ...image, semverConstraint: '^22' } },
          { image: { ...image, allowTags: '^22$', ignoreTags: ['x'] } },
          { image: { ...image, allowTagsRegexes: ['(?i)^v(?P<major>\\d+)$', '^(22$'] } },
        ),
      ),
    ).toEqual([
      { field: 'spec.subscriptions[0]', message: 'must hold exactly one of image, git or chart' },
      {
        field: 'spec.subscriptions[1].image.constraint',
        message: 'is required with imageSelectionStrategy Digest (the tag whose digest to follow)',
      },
      {
        field: 'spec.subscriptions[2].image.semverConstraint',
        message: 'and constraint are mutually exclusive (semverConstraint is replaced by constraint)',
      },
      {
        field: 'spec.subscriptions[3].image.allowTags',
        message: 'is deprecated: Kargo >= 1.11 fails artifact discovery when it is set; use allowTagsRegexes',
      },
      {
        field: 'spec.subscriptions[3].image.ignoreTags',
        message: 'is deprecated: Kargo >= 1.11 fails artifact discovery when it is set; use ignoreTagsRegexes',
      },
      { field: 'spec.subscriptions[4].image.allowTagsRegexes[1]', message: 'is not a valid regular expression' },
    ]);
  });

  it('the legacy strings are accepted when asked (Kargo < 1.11); a schema given is applied first', () => {
    const legacy = warehouseOf({ image: { ...image, allowTags: '^22$' } });
    expect(checkWarehouse(legacy, { legacyAllowTags: true })).toEqual([]);
    const seen: string[] = [];
    const problems = checkWarehouse(warehouseOf({ image: { repoURL: 'x', imageSelectionStrategy: 'Digest' } }), {
      subscriptionSchema: (kind, body, at) => {
        seen.push(`${kind} ${at} ${JSON.stringify(body)}`);
        return [{ field: `${at}.repoURL`, message: 'must match pattern' }];
      },
    });
    expect(seen).toEqual(['image spec.subscriptions[0].image {"repoURL":"x","imageSelectionStrategy":"Digest"}']);
    expect(problems.map((p) => p.field)).toEqual([
      'spec.subscriptions[0].image.repoURL',
      'spec.subscriptions[0].image.constraint',
    ]);
  });
});
