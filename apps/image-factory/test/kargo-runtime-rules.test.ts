/**
 * Kargo's runtime rules (DESIGN §9): a managed pipeline as generated passes, and each rule rejects the object
 * Kargo would install and then never run, with a message saying what to change.
 */
import { describe, expect, it } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import type { ManagedImage } from '../src/enrolment/types.js';
import { managedPipelineObjects } from '../src/kargo/managed-pipeline.js';
import { checkKargoRuntimeRules, formatManifestProblem } from '../src/kargo/runtime-rules.js';

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
