/** The chart: example catalogue output, determinism, names and the seed's own check. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Testing } from 'cdk8s';
import { dependentsAnnotation, type WarehousePlan } from 'image-factory/internal';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { WarehouseChart } from '../src/chart.js';
import { OUTPUT_FILE, synthesise } from '../src/synth.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'if-chart-'));
// biome-ignore lint/suspicious/noExplicitAny: walking untyped Kubernetes YAML in assertions
type Any = any;

const plan: WarehousePlan = {
  name: 'node-22-bookworm-slim',
  kind: 'base',
  reference: 'docker.io/library/node:22-bookworm-slim',
  interval: '1h0m0s',
  subscription: {
    repoURL: 'docker.io/library/node',
    allowTags: '^22-bookworm-slim$',
    imageSelectionStrategy: 'Digest',
    constraint: '22-bookworm-slim',
    discoveryLimit: 20,
    platform: 'linux/amd64',
  },
  dependents: ['backstage', 'node-base'],
};

describe('WarehouseChart', () => {
  it('renders one Kargo v1.11 Warehouse per plan, and a base image its rebuild Stage', () => {
    const chart = new WarehouseChart(Testing.app(), 'test', { warehouses: [plan] });
    expect(Testing.synth(chart)).toEqual([
      {
        apiVersion: 'kargo.akuity.io/v1alpha1',
        kind: 'Warehouse',
        metadata: {
          name: 'node-22-bookworm-slim',
          namespace: 'image-factory-kargo',
          labels: { 'app.kubernetes.io/managed-by': 'image-factory', 'image-factory.io/kind': 'base' },
          annotations: {
            'image-factory.io/reference': 'docker.io/library/node:22-bookworm-slim',
            'image-factory.io/dependents': 'backstage,node-base',
          },
        },
        spec: {
          interval: '1h0m0s',
          subscriptions: [
            {
              image: {
                repoURL: 'docker.io/library/node',
                allowTagsRegexes: ['^22-bookworm-slim$'],
                imageSelectionStrategy: 'Digest',
                constraint: '22-bookworm-slim',
                discoveryLimit: 20,
                platform: 'linux/amd64',
              },
            },
          ],
        },
      },
      {
        apiVersion: 'kargo.akuity.io/v1alpha1',
        kind: 'Stage',
        metadata: {
          name: 'node-22-bookworm-slim-rebuild',
          namespace: 'image-factory-kargo',
          labels: { 'app.kubernetes.io/managed-by': 'image-factory', 'image-factory.io/kind': 'rebuild' },
          annotations: { 'image-factory.io/reference': 'docker.io/library/node' },
        },
        spec: {
          requestedFreight: [
            { origin: { kind: 'Warehouse', name: 'node-22-bookworm-slim' }, sources: { direct: true } },
          ],
          promotionTemplate: {
            spec: {
              steps: [
                {
                  uses: 'compose-output',
                  as: 'seen',
                  config: {
                    tag: '${{ quote(imageFrom("docker.io/library/node", warehouse("node-22-bookworm-slim")).Tag) }}',
                    digest:
                      '${{ quote(imageFrom("docker.io/library/node", warehouse("node-22-bookworm-slim")).Digest) }}',
                  },
                },
              ],
            },
          },
          verification: {
            analysisTemplates: [{ name: 'image-factory-rebuild' }],
            args: [
              { name: 'repo', value: 'docker.io/library/node' },
              {
                name: 'tag',
                value: '${{ quote(imageFrom("docker.io/library/node", warehouse("node-22-bookworm-slim")).Tag) }}',
              },
              {
                name: 'digest',
                value: '${{ quote(imageFrom("docker.io/library/node", warehouse("node-22-bookworm-slim")).Digest) }}',
              },
            ],
          },
        },
      },
    ]);
  });

  it('renders an external image its Warehouse and a -scan Stage handing each digest to image-factory-scan', () => {
    // Issue 21: an external image is scanned in the cluster at every digest its Warehouse finds. The Stage takes
    // Freight straight from the Warehouse, is auto-promoted (the ProjectConfig selects managed-by: image-factory), has
    // a promotion step (else Kargo never verifies) and passes the repository as the Warehouse watches it and the
    // Freight's digest, quoted: Trivy scans <repo>@<digest>.
    const redis: WarehousePlan = {
      name: 'redis',
      kind: 'external',
      reference: 'docker.io/library/redis',
      interval: '5m0s',
      subscription: {
        repoURL: 'docker.io/library/redis',
        allowTags: '^7\\.4\\.\\d+-alpine$',
        imageSelectionStrategy: 'SemVer',
        discoveryLimit: 10,
      },
      dependents: [],
    };
    const objects = Testing.synth(new WarehouseChart(Testing.app(), 'test', { warehouses: [redis] }));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Warehouse/redis', 'Stage/redis-scan']);
    const from = 'imageFrom("docker.io/library/redis", warehouse("redis"))';
    expect(objects[1]).toEqual({
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: {
        name: 'redis-scan',
        namespace: 'image-factory-kargo',
        labels: { 'app.kubernetes.io/managed-by': 'image-factory', 'image-factory.io/kind': 'scan' },
        annotations: { 'image-factory.io/reference': 'docker.io/library/redis' },
      },
      spec: {
        requestedFreight: [{ origin: { kind: 'Warehouse', name: 'redis' }, sources: { direct: true } }],
        promotionTemplate: {
          spec: {
            steps: [
              {
                uses: 'compose-output',
                as: 'seen',
                config: { tag: `\${{ quote(${from}.Tag) }}`, digest: `\${{ quote(${from}.Digest) }}` },
              },
            ],
          },
        },
        verification: {
          analysisTemplates: [{ name: 'image-factory-scan' }],
          args: [
            { name: 'repo', value: 'docker.io/library/redis' },
            { name: 'digest', value: `\${{ quote(${from}.Digest) }}` },
          ],
        },
      },
    });
    // A base image is scanned by its -rebuild Stage's Job: no -scan Stage for it.
    const base = Testing.synth(new WarehouseChart(Testing.app(), 'test', { warehouses: [plan] }));
    expect(base.map((o) => o.metadata.name)).not.toContain('node-22-bookworm-slim-scan');
  });

  it('writes the legacy allowTags string only when asked (Kargo < 1.11)', () => {
    const chart = new WarehouseChart(Testing.app(), 'test', {
      warehouses: [plan],
      legacyAllowTags: true,
      namespace: 'kargo-old',
    });
    const [object] = Testing.synth(chart);
    expect(object.metadata.namespace).toBe('kargo-old');
    expect(object.spec.subscriptions[0].image.allowTags).toBe('^22-bookworm-slim$');
    expect(object.spec.subscriptions[0].image.allowTagsRegexes).toBeUndefined();
  });

  it('truncates a long dependents annotation at a name boundary', () => {
    const names = Array.from({ length: 300 }, (_, i) => `service-number-${i}`);
    const value = dependentsAnnotation(names);
    expect(value.length).toBeLessThanOrEqual(1024);
    expect(value).toMatch(/^service-number-0,service-number-1,.*,service-number-\d+ \(\+\d+ more\)$/);
    const [listed, more] = [
      value.split(' (+')[0]?.split(',').length ?? 0,
      Number(value.match(/\(\+(\d+) more\)/)?.[1]),
    ];
    expect(listed + more).toBe(300);
  });
});

describe('synthesis of the example catalogue', () => {
  it('matches the committed dist/image-factory.k8s.yaml (npm run synth refreshes it)', async () => {
    const out = tmp();
    const result = await synthesise({ root: REPO, out });
    expect(readFileSync(join(out, OUTPUT_FILE), 'utf8')).toBe(readFileSync(join(PACKAGE, 'dist', OUTPUT_FILE), 'utf8'));
    expect(result.warnings).toEqual([]);
    expect(result.warehouses.map((w) => `${w.kind}:${w.name}`)).toEqual([
      'base:busybox-1-36-musl',
      'base:gcr-io-distroless-static-debian12-nonroot',
      'base:ghcr-io-acme-node-base-22',
      'base:golang-1-23-bookworm',
      'base:nginx-1-27-alpine',
      'base:node-22-bookworm-slim',
      'external:postgres',
      'external:redis',
    ]);
  });

  it('is byte-identical across runs', async () => {
    const [a, b] = [tmp(), tmp()];
    await synthesise({ root: REPO, out: a });
    await synthesise({ root: REPO, out: b });
    expect(readFileSync(join(a, OUTPUT_FILE))).toEqual(readFileSync(join(b, OUTPUT_FILE)));
  });

  it('has no Warehouse for a managed image (the seed check: grep "name: backstage" finds nothing)', () => {
    const file = join(PACKAGE, 'dist', OUTPUT_FILE);
    expect(readFileSync(file, 'utf8')).not.toMatch(/name: backstage\b/);
    const grep = (() => {
      try {
        return execFileSync('grep', ['name: backstage', file], { encoding: 'utf8' });
      } catch (error) {
        return (error as { status: number }).status === 1 ? '' : 'grep failed';
      }
    })();
    expect(grep).toBe('');
    const names = parseAllDocuments(readFileSync(file, 'utf8')).map(
      (d) => (d.toJS() as { metadata: { name: string } }).metadata.name,
    );
    for (const managed of ['backstage', 'node-base', 'api', 'docs', 'image-factory'])
      expect(names).not.toContain(managed);
  });

  it('image-factory synth --root --out does the same for a GitOps repository elsewhere', () => {
    const out = tmp();
    const cli = join(REPO, 'apps/image-factory/bin/image-factory.mjs');
    const stdout = execFileSync(process.execPath, [cli, 'synth', '--root', REPO, '--out', out], { encoding: 'utf8' });
    expect(stdout).toMatch(
      /wrote .*image-factory\.k8s\.yaml: 8 Warehouse\(s\) \(6 base, 2 external\) and 6 rebuild and 2 scan Stage\(s\)/,
    );
    expect(readFileSync(join(out, OUTPUT_FILE), 'utf8')).toBe(readFileSync(join(PACKAGE, 'dist', OUTPUT_FILE), 'utf8'));
  });

  it('carries a new build of node-base under :22 to backstage: a Digest Warehouse on that tag and its -rebuild Stage', () => {
    // DESIGN §10 / issue 19: backstage builds FROM ghcr.io/acme/node-base:22; node-base's own Warehouse (SemVer,
    // kustomize/image-factory/managed/node-base.yaml) serves its analysis only.
    const objects = parseAllDocuments(readFileSync(join(PACKAGE, 'dist', OUTPUT_FILE), 'utf8')).map(
      (d) => d.toJS() as Any,
    );
    const warehouse = objects.find((o) => o.kind === 'Warehouse' && o.metadata.name === 'ghcr-io-acme-node-base-22');
    expect(warehouse.spec.subscriptions).toEqual([
      {
        image: {
          repoURL: 'ghcr.io/acme/node-base',
          allowTagsRegexes: ['^22$'],
          imageSelectionStrategy: 'Digest',
          constraint: '22',
          discoveryLimit: 20,
        },
      },
    ]);
    expect(warehouse.metadata.annotations).toMatchObject({
      'image-factory.io/dependents': 'backstage',
      'image-factory.io/managed-image': 'node-base',
    });
    const stage = objects.find((o) => o.kind === 'Stage' && o.metadata.name === 'ghcr-io-acme-node-base-22-rebuild');
    expect(stage.spec.requestedFreight).toEqual([
      { origin: { kind: 'Warehouse', name: 'ghcr-io-acme-node-base-22' }, sources: { direct: true } },
    ]);
    // repo + ":" + Freight tag is what the AnalysisTemplate passes as --reference: ghcr.io/acme/node-base:22.
    expect(stage.spec.verification.args[0]).toEqual({ name: 'repo', value: 'ghcr.io/acme/node-base' });
    // A -rebuild Stage exactly for each Warehouse with dependents: every base here, no external image; a -scan
    // Stage exactly for each external image's Warehouse (issue 21: every external digest scanned in the cluster).
    const stagesOf = (kind: string) =>
      objects
        .filter((o) => o.kind === 'Stage' && o.metadata.labels['image-factory.io/kind'] === kind)
        .map((o) => o.spec.requestedFreight[0].origin.name);
    const withDependents = objects
      .filter((o) => o.kind === 'Warehouse' && o.metadata.annotations['image-factory.io/dependents'] !== undefined)
      .map((o) => o.metadata.name);
    expect(stagesOf('rebuild')).toEqual(withDependents);
    expect(stagesOf('rebuild')).not.toContain('postgres');
    expect(stagesOf('scan')).toEqual(['postgres', 'redis']);
    expect(objects.filter((o) => o.kind === 'Stage').map((o) => o.metadata.name)).toEqual([
      ...withDependents.map((w) => `${w}-rebuild`),
      'postgres-scan',
      'redis-scan',
    ]);
  });

  it('renders the Warehouses and the rebuild Stage docs/warehouses.md and docs/install.md show, written out by hand', async () => {
    // Synthesised afresh (not the committed dist, which `npm run synth` regenerates from this very code): the
    // example catalogue's images.yaml and state, as docs/warehouses.md's table derives each field.
    const { yaml } = await synthesise({ root: REPO, out: tmp() });
    const objects: Any[] = parseAllDocuments(yaml).map((d) => d.toJS());
    const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
    const labels = (kind: string) => ({
      'app.kubernetes.io/managed-by': 'image-factory',
      'image-factory.io/kind': kind,
    });

    // "What a Warehouse looks like": node:22-bookworm-slim, FROM in node-base, backstage and image-factory; polled at
    // defaults.baseImageInterval; no platform (backstage's FROM --platform=$BUILDPLATFORM is not a literal one).
    expect(find('Warehouse', 'node-22-bookworm-slim')).toEqual({
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Warehouse',
      metadata: {
        name: 'node-22-bookworm-slim',
        namespace: 'image-factory-kargo',
        labels: labels('base'),
        annotations: {
          'image-factory.io/reference': 'docker.io/library/node:22-bookworm-slim',
          'image-factory.io/dependents': 'backstage,image-factory,node-base',
        },
      },
      spec: {
        interval: '1h0m0s',
        subscriptions: [
          {
            image: {
              repoURL: 'docker.io/library/node',
              allowTagsRegexes: ['^22-bookworm-slim$'],
              imageSelectionStrategy: 'Digest',
              constraint: '22-bookworm-slim',
              discoveryLimit: 20,
            },
          },
        ],
      },
    });

    // A managed image others build on: backstage builds FROM ghcr.io/acme/node-base:22, watched under that tag at
    // node-base's own interval (defaults.interval, 5m0s), annotated with the managed image.
    expect(find('Warehouse', 'ghcr-io-acme-node-base-22')).toEqual({
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Warehouse',
      metadata: {
        name: 'ghcr-io-acme-node-base-22',
        namespace: 'image-factory-kargo',
        labels: labels('base'),
        annotations: {
          'image-factory.io/reference': 'ghcr.io/acme/node-base:22',
          'image-factory.io/dependents': 'backstage',
          'image-factory.io/managed-image': 'node-base',
        },
      },
      spec: {
        interval: '5m0s',
        subscriptions: [
          {
            image: {
              repoURL: 'ghcr.io/acme/node-base',
              allowTagsRegexes: ['^22$'],
              imageSelectionStrategy: 'Digest',
              constraint: '22',
              discoveryLimit: 20,
            },
          },
        ],
      },
    });

    // docs/install.md §7: its -rebuild Stage requests Freight directly from it, has a compose-output step and
    // verifies with image-factory-rebuild, passing the repository, and the Freight's tag and digest quoted.
    const from = 'imageFrom("ghcr.io/acme/node-base", warehouse("ghcr-io-acme-node-base-22"))';
    expect(find('Stage', 'ghcr-io-acme-node-base-22-rebuild')).toEqual({
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: {
        name: 'ghcr-io-acme-node-base-22-rebuild',
        namespace: 'image-factory-kargo',
        labels: labels('rebuild'),
        annotations: { 'image-factory.io/reference': 'ghcr.io/acme/node-base' },
      },
      spec: {
        requestedFreight: [
          { origin: { kind: 'Warehouse', name: 'ghcr-io-acme-node-base-22' }, sources: { direct: true } },
        ],
        promotionTemplate: {
          spec: {
            steps: [
              {
                uses: 'compose-output',
                as: 'seen',
                config: { tag: `\${{ quote(${from}.Tag) }}`, digest: `\${{ quote(${from}.Digest) }}` },
              },
            ],
          },
        },
        verification: {
          analysisTemplates: [{ name: 'image-factory-rebuild' }],
          args: [
            { name: 'repo', value: 'ghcr.io/acme/node-base' },
            { name: 'tag', value: `\${{ quote(${from}.Tag) }}` },
            { name: 'digest', value: `\${{ quote(${from}.Digest) }}` },
          ],
        },
      },
    });

    // An external image, as images.yaml enrols it: postgres, SemVer on ^16\.\d+$ with strictSemvers false, polled
    // at defaults.interval; nothing builds on it, so no -rebuild Stage.
    expect(find('Warehouse', 'postgres')).toEqual({
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Warehouse',
      metadata: {
        name: 'postgres',
        namespace: 'image-factory-kargo',
        labels: labels('external'),
        annotations: { 'image-factory.io/reference': 'docker.io/library/postgres' },
      },
      spec: {
        interval: '5m0s',
        subscriptions: [
          {
            image: {
              repoURL: 'docker.io/library/postgres',
              allowTagsRegexes: ['^16\\.\\d+$'],
              imageSelectionStrategy: 'SemVer',
              strictSemvers: false,
              discoveryLimit: 20,
            },
          },
        ],
      },
    });
    expect(find('Stage', 'postgres-rebuild')).toBeUndefined();

    // Issue 21: its -scan Stage, auto-promoted, verified by image-factory-scan with the repository as the Warehouse
    // watches it and the Freight's digest.
    const postgres = 'imageFrom("docker.io/library/postgres", warehouse("postgres"))';
    expect(find('Stage', 'postgres-scan')).toEqual({
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: {
        name: 'postgres-scan',
        namespace: 'image-factory-kargo',
        labels: labels('scan'),
        annotations: { 'image-factory.io/reference': 'docker.io/library/postgres' },
      },
      spec: {
        requestedFreight: [{ origin: { kind: 'Warehouse', name: 'postgres' }, sources: { direct: true } }],
        promotionTemplate: {
          spec: {
            steps: [
              {
                uses: 'compose-output',
                as: 'seen',
                config: { tag: `\${{ quote(${postgres}.Tag) }}`, digest: `\${{ quote(${postgres}.Digest) }}` },
              },
            ],
          },
        },
        verification: {
          analysisTemplates: [{ name: 'image-factory-scan' }],
          args: [
            { name: 'repo', value: 'docker.io/library/postgres' },
            { name: 'digest', value: `\${{ quote(${postgres}.Digest) }}` },
          ],
        },
      },
    });
  });

  it('the cdk8s App itself synthesises the same objects', () => {
    const app = new App({ outdir: tmp() });
    new WarehouseChart(app, 'image-factory', { warehouses: [plan] });
    expect(app.synthYaml()).toContain('name: node-22-bookworm-slim');
  });
});
