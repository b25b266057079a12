/**
 * kustomize/image-factory as `kubectl apply -k` would see it: it builds, every Kargo and Argo Rollouts object
 * validates against the vendored CRDs, the Job mounts the generated ConfigMap, and the pod is locked down.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { checkKargoRuntimeRules, formatManifestProblem, loadEnrolment, parseAllYamlFast } from 'image-factory/internal';
import { beforeAll, describe, expect, it } from 'vitest';
import { CRD_FOLDERS, SUBSCRIPTION_SCHEMAS } from '../src/paths.js';
import { ManifestValidator } from '../src/validate/validate.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
/** git and the bundle with a fixed author and text logs, whatever the machine's git configuration says. */
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Factory Bot',
  GIT_AUTHOR_EMAIL: 'bot@example.com',
  GIT_COMMITTER_NAME: 'Factory Bot',
  GIT_COMMITTER_EMAIL: 'bot@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  KUBERNETES_SERVICE_HOST: '',
};
const DIR = join(REPO, 'kustomize/image-factory');

type K8s = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
let objects: K8s[];

beforeAll(() => {
  const yaml = execFileSync('kubectl', ['kustomize', DIR], { encoding: 'utf8', maxBuffer: 1 << 26 });
  objects = parseAllYamlFast(yaml) as K8s[];
});

const find = (kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

// biome-ignore lint/suspicious/noExplicitAny: walking untyped Kubernetes YAML in assertions
type Any = any;

describe('kubectl kustomize kustomize/image-factory', () => {
  it('builds the Project, its config, the ServiceAccount, the AnalysisTemplate, the ConfigMap and the pipelines', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Project/image-factory-kargo',
        'ProjectConfig/image-factory-kargo',
        'ServiceAccount/image-factory-analysis',
        'AnalysisTemplate/image-factory-analyze',
      ]),
    );
    expect(find('ConfigMap')).toHaveLength(1);
    expect(find('Project')[0]?.metadata.namespace).toBeUndefined();
  });

  it('starts with the Project namespace, labelled for Kargo, so a first server-side apply succeeds', () => {
    expect(objects[0]).toMatchObject({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'image-factory-kargo', labels: { 'kargo.akuity.io/project': 'true' } },
    });
    const namespaced = objects.filter((o) => o.metadata.namespace !== undefined);
    expect(namespaced.every((o) => o.metadata.namespace === 'image-factory-kargo')).toBe(true);
  });

  it("passes Kargo's runtime rules (promotion steps, quoted args, imageFrom origins, namespace label and order)", () => {
    expect(checkKargoRuntimeRules(objects).map(formatManifestProblem)).toEqual([]);
  });

  it('passes them together with the chart output, as both are applied: every -rebuild Stage on a Warehouse that follows the tag built FROM', () => {
    const chart = parseAllYamlFast(readFileSync(join(REPO, 'cdk8s/image-factory/dist/image-factory.k8s.yaml'), 'utf8'));
    const all = [...objects, ...(chart as K8s[])];
    expect(checkKargoRuntimeRules(all).map(formatManifestProblem)).toEqual([]);
    const validator = new ManifestValidator({ crdFolders: CRD_FOLDERS, subscriptionSchemas: SUBSCRIPTION_SCHEMAS });
    expect((chart as K8s[]).flatMap((o) => validator.validate(o)).map(formatManifestProblem)).toEqual([]);
    // node-base's new build under :22 reaches backstage: its own Warehouse (analysis) and the base Warehouse of the
    // tag backstage builds FROM, with the -rebuild Stage, both present once applied.
    const names = all.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Warehouse/node-base',
        'Stage/node-base-analyze-dockerfile',
        'Warehouse/ghcr-io-acme-node-base-22',
        'Stage/ghcr-io-acme-node-base-22-rebuild',
      ]),
    );
    expect(names.filter((n) => n.endsWith('-rebuild') && n.startsWith('Stage/'))).not.toContain(
      'Stage/node-base-rebuild',
    );
    // Issue 21: each external image's -scan Stage, and every Stage verifies with a template the build holds, giving
    // each of its arguments that has no default and none it does not declare (Argo Rollouts fails the AnalysisRun).
    expect(names).toEqual(expect.arrayContaining(['Stage/postgres-scan', 'Stage/redis-scan']));
    const templates = new Map(
      all.filter((o) => o.kind === 'AnalysisTemplate').map((o) => [o.metadata.name, (o as Any).spec.args as Any[]]),
    );
    for (const stage of all.filter((o) => o.kind === 'Stage') as Any[]) {
      for (const { name } of stage.spec.verification?.analysisTemplates ?? []) {
        const args = templates.get(name);
        expect(args, `${stage.metadata.name} verifies with ${name}`).toBeDefined();
        const given = stage.spec.verification.args.map((a: Any) => a.name).sort();
        const required = (args ?? []).filter((a) => a.value === undefined).map((a) => a.name);
        expect(given, stage.metadata.name).toEqual(expect.arrayContaining(required));
        for (const arg of given)
          expect(
            (args ?? []).map((a) => a.name),
            stage.metadata.name,
          ).toContain(arg);
      }
    }
  });

  it('has the runtime check reject the same build with the Namespace moved last (the check is real)', () => {
    const [namespace, ...rest] = objects;
    expect(checkKargoRuntimeRules([...rest, namespace]).map(formatManifestProblem)).toEqual([
      expect.stringMatching(/^Namespace image-factory-kargo: \(order\) comes after ServiceAccount/),
    ]);
  });

  it('validates every Kargo and Argo Rollouts object against the vendored CRDs', () => {
    const validator = new ManifestValidator({ crdFolders: CRD_FOLDERS, subscriptionSchemas: SUBSCRIPTION_SCHEMAS });
    const checked = objects.filter((o) => /^(kargo\.akuity\.io|argoproj\.io)\//.test(o.apiVersion));
    expect(checked.length).toBeGreaterThan(10);
    const problems = checked.flatMap((o) => validator.validate(o)).map(formatManifestProblem);
    expect(problems).toEqual([]);
  });

  it('has the validator reject a broken AnalysisTemplate (the check is real)', () => {
    const validator = new ManifestValidator({ crdFolders: CRD_FOLDERS, subscriptionSchemas: SUBSCRIPTION_SCHEMAS });
    const template = structuredClone(find('AnalysisTemplate')[0]) as Any;
    template.spec.metrics[0].provider.job.spec.backoffLimit = 'often';
    template.spec.metricz = [];
    const problems = validator.validate(template).map(formatManifestProblem);
    expect(problems.join('\n')).toMatch(/spec\.metrics\[0\]\.provider\.job\.spec\.backoffLimit must be integer/);
    expect(problems.join('\n')).toMatch(/spec\.metricz is not a field of this schema/);
  });

  it('mounts the ConfigMap under its generated, hashed name', () => {
    const configMap = find('ConfigMap')[0] as K8s;
    expect(configMap.metadata.name).toMatch(/^image-factory-tool-[a-z0-9]{10}$/);
    const job = (find('AnalysisTemplate')[0] as Any).spec.metrics[0].provider.job.spec;
    const volume = job.template.spec.volumes.find((v: Any) => v.name === 'tool');
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    // The loader as text, the compressed tool (not UTF-8) as binaryData: byte for byte what is committed.
    expect(Object.keys((configMap as Any).data)).toEqual(['run.mjs']);
    expect((configMap as Any).data['run.mjs']).toBe(readFileSync(join(DIR, 'bundle/run.mjs'), 'utf8'));
    expect(Object.keys((configMap as Any).binaryData)).toEqual(['image-factory.mjs.gz']);
    expect(Buffer.from((configMap as Any).binaryData['image-factory.mjs.gz'], 'base64')).toEqual(
      readFileSync(join(DIR, 'bundle/image-factory.mjs.gz')),
    );
  });

  it('runs the Job locked down: non-root, read-only root, no escalation, no capabilities, seccomp, limits, deadlines', () => {
    const job = (find('AnalysisTemplate')[0] as Any).spec.metrics[0].provider.job.spec;
    const pod = job.template.spec;
    const container = pod.containers[0];
    expect(job.backoffLimit).toBeGreaterThanOrEqual(0);
    expect(job.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('image-factory-analysis');
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits).toBeDefined();
    expect(container.image).toBe('ghcr.io/acme/image-factory:0.1.0');
    expect(container.command).toEqual(['node', '/opt/image-factory/run.mjs', 'analyze']);
    for (const arg of [
      '--image={{args.image}}',
      '--tag={{args.tag}}',
      '--digest={{args.digest}}',
      '--git-repo={{args.gitRepo}}',
    ]) {
      expect(container.args).toContain(arg);
    }
    const mounts = Object.fromEntries(container.volumeMounts.map((m: Any) => [m.name, m]));
    expect(mounts.tmp.mountPath).toBe('/tmp');
    expect(pod.volumes.find((v: Any) => v.name === 'git-credentials').secret.secretName).toBe('image-factory-git');
    expect(pod.volumes.find((v: Any) => v.name === 'tmp').emptyDir).toBeDefined();
  });

  it("pulls the Jobs' image with the registry Secret, the one the tool reads as DOCKER_CONFIG", () => {
    const account = find('ServiceAccount', 'image-factory-analysis')[0] as Any;
    expect(account.imagePullSecrets).toEqual([{ name: 'image-factory-registry' }]);
    for (const template of find('AnalysisTemplate') as Any[]) {
      const pod = template.spec.metrics[0].provider.job.spec.template.spec;
      expect(pod.serviceAccountName).toBe('image-factory-analysis');
      expect(pod.imagePullSecrets).toBeUndefined(); // the ServiceAccount's apply
    }
    const registry = (
      find('AnalysisTemplate', 'image-factory-rebuild')[0] as Any
    ).spec.metrics[0].provider.job.spec.template.spec.volumes.find((v: Any) => v.name === 'registry-credentials');
    expect(registry.secret.secretName).toBe('image-factory-registry');
  });

  it('gives the ServiceAccount no Kubernetes API access', () => {
    expect((find('ServiceAccount')[0] as Any).automountServiceAccountToken).toBe(false);
    expect(find('Role')).toEqual([]);
    expect(find('RoleBinding')).toEqual([]);
    expect(find('ClusterRoleBinding')).toEqual([]);
  });

  it('has one pipeline per managed image in images.yaml, promoted by a step and verified with the Freight tag and digest', () => {
    const enrolment = loadEnrolment(readFileSync(join(REPO, 'images.yaml'), 'utf8'));
    const managed = enrolment.images
      .filter((i) => i.kind === 'managed')
      .map((i) => i.name)
      .sort();
    expect(
      find('Warehouse')
        .map((w) => w.metadata.name)
        .sort(),
    ).toEqual(managed);
    // A managed image's own Warehouse serves its analysis only: no -rebuild Stage here (the chart renders one for
    // each base Warehouse with dependents, e.g. ghcr-io-acme-node-base-22-rebuild; DESIGN §10).
    expect(
      find('Stage')
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(managed.flatMap((name) => [`${name}-analyze-dockerfile`, `${name}-analyzed`]).sort());
    for (const name of managed) {
      const analyze = find('Stage', `${name}-analyze-dockerfile`)[0] as Any;
      const analyzed = find('Stage', `${name}-analyzed`)[0] as Any;
      expect(analyze.spec.requestedFreight[0]).toEqual({
        origin: { kind: 'Warehouse', name },
        sources: { direct: true },
      });
      expect(analyze.spec.verification.analysisTemplates).toEqual([{ name: 'image-factory-analyze' }]);
      const args = Object.fromEntries(analyze.spec.verification.args.map((a: Any) => [a.name, a.value]));
      const image = enrolment.images.find((i) => i.name === name);
      const repoURL = `${image?.registry}/${image?.repository}`;
      const from = `imageFrom("${repoURL}", warehouse("${name}"))`;
      expect(args).toEqual({
        image: name,
        tag: `\${{ quote(${from}.Tag) }}`,
        digest: `\${{ quote(${from}.Digest) }}`,
      });
      expect(analyze.spec.promotionTemplate.spec.steps.map((s: Any) => s.uses)).toEqual(['compose-output']);
      const warehouse = find('Warehouse', name)[0] as Any;
      expect(warehouse.spec.subscriptions[0].image.repoURL).toBe(repoURL);
      expect(analyzed.spec.requestedFreight[0].sources).toEqual({ stages: [`${name}-analyze-dockerfile`] });
    }
  });
});

describe('the managed pipeline of node-base, written out by hand from docs/install.md', () => {
  // "managed/<image>.yaml: a Warehouse on its published repository, planned by the same rule and defaults as every
  // other Warehouse; Stage <image>-analyze-dockerfile with a compose-output promotion step and verification by the
  // AnalysisTemplate, args image, tag and digest; and Stage <image>-analyzed. No -rebuild Stage."
  // The pipeline's own labels, and the one kustomization.yaml puts on everything it builds.
  const labels = {
    'app.kubernetes.io/managed-by': 'image-factory',
    'app.kubernetes.io/part-of': 'image-factory',
    'image-factory.io/image': 'node-base',
    'image-factory.io/kind': 'managed',
  };
  const metadata = (name: string) => ({
    name,
    namespace: 'image-factory-kargo',
    labels,
    annotations: { 'image-factory.io/reference': 'ghcr.io/acme/node-base' },
  });
  const from = 'imageFrom("ghcr.io/acme/node-base", warehouse("node-base"))';

  it('a SemVer Warehouse on ghcr.io/acme/node-base, polled at defaults.interval (images.yaml sets no allowTags)', () => {
    expect(find('Warehouse', 'node-base')).toEqual([
      {
        apiVersion: 'kargo.akuity.io/v1alpha1',
        kind: 'Warehouse',
        metadata: metadata('node-base'),
        spec: {
          interval: '5m0s',
          subscriptions: [
            { image: { repoURL: 'ghcr.io/acme/node-base', imageSelectionStrategy: 'SemVer', discoveryLimit: 20 } },
          ],
        },
      },
    ]);
  });

  it('node-base-analyze-dockerfile: Freight straight from the Warehouse, a compose-output step, the analysis verified', () => {
    expect(find('Stage', 'node-base-analyze-dockerfile')).toEqual([
      {
        apiVersion: 'kargo.akuity.io/v1alpha1',
        kind: 'Stage',
        metadata: metadata('node-base-analyze-dockerfile'),
        spec: {
          requestedFreight: [{ origin: { kind: 'Warehouse', name: 'node-base' }, sources: { direct: true } }],
          promotionTemplate: {
            spec: {
              steps: [
                {
                  uses: 'compose-output',
                  as: 'analysed',
                  config: { tag: `\${{ quote(${from}.Tag) }}`, digest: `\${{ quote(${from}.Digest) }}` },
                },
              ],
            },
          },
          verification: {
            analysisTemplates: [{ name: 'image-factory-analyze' }],
            args: [
              { name: 'image', value: 'node-base' },
              { name: 'tag', value: `\${{ quote(${from}.Tag) }}` },
              { name: 'digest', value: `\${{ quote(${from}.Digest) }}` },
            ],
          },
        },
      },
    ]);
  });

  it('node-base-analyzed: Freight once it passed node-base-analyze-dockerfile; no node-base-rebuild', () => {
    expect(find('Stage', 'node-base-analyzed')).toEqual([
      {
        apiVersion: 'kargo.akuity.io/v1alpha1',
        kind: 'Stage',
        metadata: metadata('node-base-analyzed'),
        spec: {
          requestedFreight: [
            { origin: { kind: 'Warehouse', name: 'node-base' }, sources: { stages: ['node-base-analyze-dockerfile'] } },
          ],
        },
      },
    ]);
    expect(find('Stage', 'node-base-rebuild')).toEqual([]);
  });
});

describe('the bundled tool', () => {
  /** The tool's ConfigMap as the kubelet mounts it: data as text, binaryData decoded, the folder read-only. */
  function mountTool(): { readonly dir: string; readonly tmp: string; readonly done: () => void } {
    const root = mkdtempSync(join(tmpdir(), 'if-tool-mount-'));
    const dir = join(root, 'opt-image-factory');
    const tmp = join(root, 'tmp');
    mkdirSync(dir);
    mkdirSync(tmp);
    const configMap = find('ConfigMap')[0] as Any;
    for (const [key, text] of Object.entries(configMap.data ?? {})) writeFileSync(join(dir, key), String(text));
    for (const [key, b64] of Object.entries(configMap.binaryData ?? {}))
      writeFileSync(join(dir, key), Buffer.from(String(b64), 'base64'));
    chmodSync(dir, 0o555);
    const done = () => {
      chmodSync(dir, 0o755);
      rmSync(root, { recursive: true, force: true });
    };
    return { dir, tmp, done };
  }
  const toolEnv = (tmp: string) => ({ ...GIT_ENV, TMPDIR: tmp });

  it('is current (npm run bundle) and the ConfigMap holds under 900 KiB', () => {
    const check = execFileSync(process.execPath, [join(REPO, 'scripts/bundle.mjs'), '--check'], { encoding: 'utf8' });
    expect(check).toMatch(/image-factory\.mjs\.gz: \d+ KiB/);
    const files = ['bundle/image-factory.mjs.gz', 'bundle/run.mjs'].map((f) => readFileSync(join(DIR, f)).length);
    expect(files[0] + files[1]).toBeLessThan(900 * 1024);
  });

  it('is gzip with nothing machine-dependent in its header: no name, no time, best compression, OS Unix', () => {
    const gz = readFileSync(join(DIR, 'bundle/image-factory.mjs.gz'));
    // RFC 1952: ID1 ID2 CM FLG MTIME(4) XFL OS.
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
  });

  it('runs as the Jobs run it (node /opt/image-factory/run.mjs, the ConfigMap read-only): --version and parse', () => {
    const { dir, tmp, done } = mountTool();
    try {
      const run = (args: string[], input?: string) =>
        execFileSync(process.execPath, [join(dir, 'run.mjs'), ...args], { encoding: 'utf8', env: toolEnv(tmp), input });
      expect(run(['--version'])).toMatch(/^\d+\.\d+\.\d+\n$/);
      expect(JSON.parse(run(['parse', '-', '--json'], 'FROM node:22\n')).images[0].reference).toBe(
        'docker.io/library/node:22',
      );
      // Unpacked once, named by its content, in a folder only this user may write, with no temp file left.
      const code = gunzipSync(readFileSync(join(dir, 'image-factory.mjs.gz')));
      const hash = createHash('sha256').update(code).digest('hex');
      const own = join(tmp, `image-factory-${process.getuid?.() ?? 'user'}`);
      expect(readdirSync(own)).toEqual([`image-factory-${hash}.mjs`]);
      expect(statSync(own).mode & 0o077).toBe(0);
    } finally {
      done();
    }
  });

  it('runs twice at once in one pod: both finish (the unpacked file is written atomically)', async () => {
    const { dir, tmp, done } = mountTool();
    try {
      const once = () =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, [join(dir, 'run.mjs'), '--version'], { env: toolEnv(tmp) });
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
          });
          child.on('close', (code) => resolve({ code, out }));
        });
      const runs = await Promise.all([once(), once(), once(), once()]);
      for (const run of runs) expect(run).toEqual({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    } finally {
      done();
    }
  });

  it('says what is wrong and exits 2 when the archive is damaged or nothing can be unpacked', () => {
    const { dir, tmp, done } = mountTool();
    try {
      const run = (mountDir: string, temp: string) =>
        spawnSync(process.execPath, [join(mountDir, 'run.mjs'), '--version'], {
          encoding: 'utf8',
          env: toolEnv(temp),
        });
      // A temp dir that cannot hold a folder (even for root): a file where the folder should be.
      const notADir = join(tmp, 'a-file');
      writeFileSync(notADir, '');
      const noWrite = run(dir, notADir);
      expect(noWrite.status).toBe(2);
      expect(noWrite.stderr).toMatch(/cannot write the unpacked tool to .*mount a writable emptyDir at \/tmp/);
      // A folder others may write (planted in a shared /tmp): never run from.
      const shared = join(tmp, 'shared');
      const planted = join(shared, `image-factory-${process.getuid?.() ?? 'user'}`);
      mkdirSync(planted, { recursive: true });
      chmodSync(planted, 0o777);
      const refused = run(dir, shared);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/is not a directory private to this user: refusing to run code from it/);
      expect(readdirSync(planted)).toEqual([]);
      const damaged = join(tmp, 'damaged');
      mkdirSync(damaged);
      copyFileSync(join(dir, 'run.mjs'), join(damaged, 'run.mjs'));
      writeFileSync(
        join(damaged, 'image-factory.mjs.gz'),
        readFileSync(join(dir, 'image-factory.mjs.gz')).subarray(0, 4096),
      );
      const cut = run(damaged, tmp);
      expect(cut.status).toBe(2);
      expect(cut.stderr).toMatch(/^image-factory \(run\.mjs\): cannot unpack .*image-factory\.mjs\.gz: /);
    } finally {
      done();
    }
  });

  it("runs the analysis Job's command: analyze clones, commits the state and pushes it", () => {
    const work = mkdtempSync(join(tmpdir(), 'if-bundle-analyze-'));
    const tool = mountTool();
    try {
      const git = (cwd: string, ...args: string[]) =>
        execFileSync('git', args, { cwd, encoding: 'utf8', env: GIT_ENV });
      const source = join(work, 'source');
      git(work, 'init', '--quiet', '--initial-branch', 'main', source);
      writeFileSync(
        join(source, 'images.yaml'),
        'images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n',
      );
      writeFileSync(join(source, 'Dockerfile'), 'FROM node:22-bookworm-slim\n');
      git(source, 'add', '.');
      git(source, 'commit', '--quiet', '-m', 'enrol api');
      const remote = join(work, 'gitops.git');
      git(work, 'clone', '--quiet', '--bare', source, remote);
      const digest = `sha256:${'a'.repeat(64)}`;
      const args = ['analyze', '--image=api', '--tag=1.0.0', `--digest=${digest}`, `--git-repo=${remote}`];
      execFileSync(process.execPath, [join(tool.dir, 'run.mjs'), ...args, `--source-repo=${remote}`], {
        encoding: 'utf8',
        env: toolEnv(tool.tmp),
      });
      expect(git(remote, 'log', '-1', '--format=%s', 'main')).toBe('image-factory: analyse api 1.0.0\n');
      const base = git(remote, 'show', 'main:image-factory/state/base-images/node-22-bookworm-slim.yaml');
      expect(base).toContain('reference: docker.io/library/node:22-bookworm-slim');
      expect(base).toContain('dependents:\n  - api\n');
    } finally {
      tool.done();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('the optional trust-root component', () => {
  it('gives every rebuild (the -rebuild verification and the sweep) --trust-root from the Secret image-factory-trust-root, read-only, and changes nothing else', () => {
    const overlay = mkdtempSync(join(tmpdir(), 'if-overlay-'));
    try {
      writeFileSync(
        join(overlay, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${relative(overlay, DIR)}\ncomponents:\n  - ${relative(overlay, join(DIR, 'components/trust-root'))}\n`,
      );
      const built = parseAllYamlFast(
        execFileSync('kubectl', ['kustomize', overlay], { encoding: 'utf8', maxBuffer: 1 << 26 }),
      ) as K8s[];
      const key = (o: K8s) => `${o.kind}/${o.metadata.name}`;
      const podOf = (o: K8s): Any =>
        o.kind === 'CronJob'
          ? (o as Any).spec.jobTemplate.spec.template.spec
          : (o as Any).spec.metrics[0].provider.job.spec.template.spec;
      expect(built.map(key)).toEqual(objects.map(key));
      const changed = built.filter((o, i) => JSON.stringify(o) !== JSON.stringify(objects[i]));
      expect(changed.map(key).sort()).toEqual([
        'AnalysisTemplate/image-factory-rebuild',
        'CronJob/image-factory-rebuild-due',
      ]);
      for (const o of changed) {
        const pod = podOf(o);
        // Every container that runs `image-factory rebuild`, and only those, reads the root.
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          const runsRebuild = (c.command ?? []).join(' ').endsWith('run.mjs rebuild');
          expect(
            c.args.includes('--trust-root=/etc/image-factory/trust/trusted_root.json'),
            `${key(o)} ${c.name}`,
          ).toBe(runsRebuild);
          const mount = c.volumeMounts.find((m: Any) => m.name === 'trust-root');
          expect(mount, `${key(o)} ${c.name}`).toEqual(
            runsRebuild ? { name: 'trust-root', mountPath: '/etc/image-factory/trust', readOnly: true } : undefined,
          );
        }
        // Not optional: a rebuild never falls back to the public-good root when the Secret is missing.
        expect(pod.volumes.find((v: Any) => v.name === 'trust-root')).toEqual({
          name: 'trust-root',
          secret: {
            secretName: 'image-factory-trust-root',
            items: [{ key: 'trusted_root.json', path: 'trusted_root.json' }],
          },
        });
      }
    } finally {
      rmSync(overlay, { recursive: true, force: true });
    }
  });
});

describe('the optional compliance component', () => {
  it('adds only a ServiceAccount that may get and list pods cluster-wide, in a namespace no Kargo Project owns', () => {
    const overlay = mkdtempSync(join(tmpdir(), 'if-overlay-'));
    try {
      writeFileSync(
        join(overlay, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${relative(overlay, DIR)}\ncomponents:\n  - ${relative(overlay, join(DIR, 'components/compliance'))}\n`,
      );
      const built = parseAllYamlFast(
        execFileSync('kubectl', ['kustomize', overlay], { encoding: 'utf8', maxBuffer: 1 << 26 }),
      ) as K8s[];
      const added = built.filter((o) => !objects.some((b) => b.kind === o.kind && b.metadata.name === o.metadata.name));
      expect(added.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'ClusterRole/image-factory-compliance-pod-reader',
        'ClusterRoleBinding/image-factory-compliance-pod-reader',
        'Namespace/image-factory-compliance',
        'ServiceAccount/image-factory-compliance',
      ]);
      const role: Any = added.find((o) => o.kind === 'ClusterRole');
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
      // Kargo's project-admin Role may create AnalysisTemplates in the Project namespace (Kargo v1.11.2
      // pkg/controller/management/projects/projects.go:885-925): an identity there is every project admin's.
      const account = added.find((o) => o.kind === 'ServiceAccount') as K8s;
      expect(account.metadata.namespace).toBe('image-factory-compliance');
      const namespace: Any = added.find((o) => o.kind === 'Namespace');
      expect(namespace.metadata.labels?.['kargo.akuity.io/project']).toBeUndefined();
      expect(checkKargoRuntimeRules(built).map(formatManifestProblem)).toEqual([]);
    } finally {
      rmSync(overlay, { recursive: true, force: true });
    }
  });
});

/**
 * Issue 21, item 1: the rebuild verification Job also scans the new digest with Trivy's own image and CLI, a daily
 * CronJob rescans, and the optional trivy-server component keeps Trivy's database. What the docs promise
 * (docs/reports.md "Scanning in the cluster"), checked on the build: each container's shell step is run under sh
 * with `trivy` and `node` stand-ins on PATH that record the argv they get, so the command Trivy would run is asserted
 * as the shell makes it, not as the YAML spells it.
 */
describe('Trivy in the cluster', () => {
  const TRIVY_IMAGE = /^aquasec\/trivy:\d+\.\d+\.\d+$/;
  const podOf = (o: K8s): Any =>
    o.kind === 'AnalysisTemplate'
      ? (o as Any).spec.metrics[0].provider.job.spec.template.spec
      : o.kind === 'CronJob'
        ? (o as Any).spec.jobTemplate.spec.template.spec
        : (o as Any).spec.template.spec;
  const rebuildPod = () => podOf(find('AnalysisTemplate', 'image-factory-rebuild')[0] as K8s);
  const rescanPod = () => podOf(find('CronJob', 'image-factory-rescan')[0] as K8s);
  const scanPod = () => podOf(find('AnalysisTemplate', 'image-factory-scan')[0] as K8s);

  /** Run a container's `sh -c SCRIPT $0 ARGS…` with recording stand-ins; `/scan/` moved to a temp folder. */
  function runStep(
    container: Any,
    options: { exits?: Record<string, number>; files?: Record<string, string> } = {},
  ): { status: number; stderr: string; calls: string[][]; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), 'if-trivy-step-'));
    const bin = join(dir, 'bin');
    execFileSync('mkdir', ['-p', bin, join(dir, 'scan')]);
    for (const [path, content] of Object.entries(options.files ?? {})) {
      execFileSync('mkdir', ['-p', join(dir, 'scan', path, '..')]);
      writeFileSync(join(dir, 'scan', path), content);
    }
    for (const tool of ['trivy', 'node']) {
      const exit = options.exits?.[tool] ?? 0;
      writeFileSync(
        join(bin, tool),
        `#!/bin/sh\n{ printf '%s' "${tool}"; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> "${dir}/calls"\nexit ${exit}\n`,
        { mode: 0o755 },
      );
    }
    expect(container.command).toEqual(['sh', '-c']);
    const [script, ...rest] = container.args as string[];
    const moved = (s: string) => s.replaceAll('/scan/', `${join(dir, 'scan')}/`);
    const run = spawnSync('sh', ['-c', moved(String(script)), ...rest.map(moved)], {
      env: { PATH: `${bin}:/usr/bin:/bin` },
      encoding: 'utf8',
    });
    const status = run.status ?? -1;
    const stderr = run.stderr;
    let calls: string[][] = [];
    try {
      calls = readFileSync(join(dir, 'calls'), 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => line.split('\t').map((a) => a.replaceAll(`${join(dir, 'scan')}/`, '/scan/')));
    } catch {
      calls = [];
    }
    return { status, stderr, calls, dir };
  }

  it('the rebuild Job: trivy, then scan record, then rebuild, in one pod sharing the emptyDir /scan', () => {
    const pod = rebuildPod();
    expect(pod.initContainers.map((c: Any) => c.name)).toEqual(['trivy', 'scan-record']);
    expect(pod.containers.map((c: Any) => c.command.slice(2))).toEqual([['rebuild']]);
    const [trivy, record] = pod.initContainers;
    expect(trivy.image).toMatch(TRIVY_IMAGE);
    expect(record.image).toBe('ghcr.io/acme/image-factory:0.1.0');
    const scan = pod.volumes.find((v: Any) => v.name === 'scan');
    expect(scan.emptyDir).toBeDefined();
    expect(trivy.volumeMounts.find((m: Any) => m.name === 'scan').mountPath).toBe('/scan');
    expect(record.volumeMounts.find((m: Any) => m.name === 'scan')).toMatchObject({
      mountPath: '/scan',
      readOnly: true,
    });
  });

  it('runs `trivy image --format json --output /scan/report.json <repo>@<digest>` from the verification args', () => {
    const trivy = rebuildPod().initContainers[0];
    const run = runStep(trivy);
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      [
        'trivy',
        'image',
        '--format',
        'json',
        '--output',
        '/scan/report.json',
        '--scanners=vuln',
        '--cache-dir=/var/cache/trivy',
        '--no-progress',
        '{{args.repo}}@{{args.digest}}',
      ],
    ]);
  });

  it('a failed Trivy costs no rebuild: the step exits 0, removes a partial report and says why', () => {
    const run = runStep(rebuildPod().initContainers[0], { exits: { trivy: 1 }, files: { 'report.json': '{"part' } });
    expect(run.status).toBe(0);
    expect(readFileSync(join(run.dir, 'calls'), 'utf8')).toMatch(/^trivy\timage/);
    expect(run.stderr).toMatch(
      /^trivy image \{\{args\.repo\}\}@\{\{args\.digest\}\} failed \(exit 1\): no scan recorded now/,
    );
    expect(() => readFileSync(join(run.dir, 'scan/report.json'))).toThrow();
  });

  it('scan record gets the report and the git flags; a failed record or no report still lets the rebuild run', () => {
    const record = rebuildPod().initContainers[1];
    const ok = runStep(record, { files: { 'report.json': '{}' } });
    expect(ok.status).toBe(0);
    expect(ok.calls).toEqual([
      [
        'node',
        '/opt/image-factory/run.mjs',
        'scan',
        'record',
        '--report',
        '/scan/report.json',
        '--git-repo={{args.gitRepo}}',
        '--git-branch={{args.gitBranch}}',
        '--git-credentials-file=/var/run/secrets/image-factory/git',
        '--work-dir=/tmp',
        '--log-format=json',
      ],
    ]);
    const failed = runStep(record, { exits: { node: 3 }, files: { 'report.json': '{}' } });
    expect(failed.status).toBe(0);
    expect(failed.stderr).toMatch(/^scan record failed \(exit 3\): the rebuild goes on without this scan/);
    const none = runStep(record);
    expect(none.status).toBe(0);
    expect(none.calls).toEqual([]);
  });

  it("an external image's scan Job (the -scan Stages'): trivy, then scan record, sharing the emptyDir /scan", () => {
    // Issue 21: the same two steps as the rebuild Job's, and nothing else (no decision, no forge token).
    const pod = scanPod();
    expect(pod.initContainers.map((c: Any) => c.name)).toEqual(['trivy']);
    expect(pod.containers.map((c: Any) => c.name)).toEqual(['scan-record']);
    const [trivy] = pod.initContainers;
    const [record] = pod.containers;
    expect(trivy.image).toMatch(TRIVY_IMAGE);
    expect(record.image).toBe('ghcr.io/acme/image-factory:0.1.0');
    expect(pod.volumes.find((v: Any) => v.name === 'scan').emptyDir).toBeDefined();
    expect(record.volumeMounts.find((m: Any) => m.name === 'scan')).toMatchObject({
      mountPath: '/scan',
      readOnly: true,
    });
    expect(JSON.stringify(pod)).not.toMatch(/forge|TOKEN/);
    // The Stage passes repo and digest; gitRepo and gitBranch have defaults an overlay patches.
    const template = find('AnalysisTemplate', 'image-factory-scan')[0] as Any;
    expect(template.spec.args).toEqual([
      { name: 'repo' },
      { name: 'digest' },
      { name: 'gitRepo', value: 'https://github.com/acme/gitops.git' },
      { name: 'gitBranch', value: 'main' },
    ]);
    // A pod that never ran is retried as the rebuild's metric is (Argo Rollouts: count >= failureLimit + 1).
    const metric = template.spec.metrics[0];
    expect(metric.count).toBeGreaterThanOrEqual(metric.failureLimit + metric.consecutiveSuccessLimit);
    expect(metric.provider.job.spec.backoffLimit).toBe(0);
  });

  it('the scan Job runs `trivy image --format json --output /scan/report.json <repo>@<digest>`; a failure fails the Job', () => {
    const trivy = scanPod().initContainers[0];
    const ok = runStep(trivy);
    expect(ok.status).toBe(0);
    expect(ok.calls).toEqual([
      [
        'trivy',
        'image',
        '--format',
        'json',
        '--output',
        '/scan/report.json',
        '--scanners=vuln',
        '--cache-dir=/var/cache/trivy',
        '--no-progress',
        '{{args.repo}}@{{args.digest}}',
      ],
    ]);
    // A failed scan says so and fails the Job, so the metric tries again: nothing else would scan this digest (the
    // daily rescan knows an external image's digests only from its recorded scans). A failed verification does not
    // hold the Stage's next Promotion (Kargo v1.11.2 regular_stages.go:820-845).
    const failed = runStep(trivy, { exits: { trivy: 1 } });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(
      /^trivy image \{\{args\.repo\}\}@\{\{args\.digest\}\} failed \(exit 1\): this Job fails and the verification tries again/,
    );
  });

  it('the scan Job records the report with the git flags; a failed record fails the Job, to be tried again', () => {
    const record = scanPod().containers[0];
    const ok = runStep(record, { files: { 'report.json': '{}' } });
    expect(ok.status).toBe(0);
    expect(ok.calls).toEqual([
      [
        'node',
        '/opt/image-factory/run.mjs',
        'scan',
        'record',
        '--report',
        '/scan/report.json',
        '--git-repo={{args.gitRepo}}',
        '--git-branch={{args.gitBranch}}',
        '--git-credentials-file=/var/run/secrets/image-factory/git',
        '--work-dir=/tmp',
        '--log-format=json',
      ],
    ]);
    // e.g. a report that matches nothing yet: on a fresh install the external image's state file may not exist.
    const failed = runStep(record, { exits: { node: 3 }, files: { 'report.json': '{}' } });
    expect(failed.status).toBe(3);
    expect(failed.stderr).toMatch(/^scan record failed \(exit 3\): this Job fails and the verification tries again/);
    // Five attempts, each a new Job with one pod, 10 minutes apart.
    const metric = (find('AnalysisTemplate', 'image-factory-scan')[0] as Any).spec.metrics[0];
    expect(metric).toMatchObject({ count: 5, failureLimit: 4, consecutiveSuccessLimit: 1, interval: '10m' });
  });

  it('Trivy reads the registry credentials from the same dockerconfigjson Secret, and writes only its emptyDirs', () => {
    for (const pod of [rebuildPod(), rescanPod(), scanPod()]) {
      const trivy = [...pod.initContainers].find((c: Any) => c.name === 'trivy');
      const env = Object.fromEntries(trivy.env.map((e: Any) => [e.name, e.value]));
      const mounts = Object.fromEntries(trivy.volumeMounts.map((m: Any) => [m.mountPath, m]));
      const credentials = mounts[env.DOCKER_CONFIG];
      expect(credentials.readOnly).toBe(true);
      const volume = pod.volumes.find((v: Any) => v.name === credentials.name);
      expect(volume.secret).toMatchObject({
        secretName: 'image-factory-registry',
        items: [{ key: '.dockerconfigjson', path: 'config.json' }],
      });
      for (const path of [env.HOME, env.TMPDIR, '/var/cache/trivy', '/scan']) {
        const mount = mounts[path];
        expect(mount.readOnly).toBeUndefined();
        expect(pod.volumes.find((v: Any) => v.name === mount.name).emptyDir).toBeDefined();
      }
    }
  });

  it('every pod of the build, init containers included, is locked down: non-root, read-only root, limits, no token', () => {
    const overlay = mkdtempSync(join(tmpdir(), 'if-overlay-'));
    try {
      writeFileSync(
        join(overlay, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${relative(overlay, DIR)}\ncomponents:\n  - ${relative(overlay, join(DIR, 'components/trivy-server'))}\n`,
      );
      const built = parseAllYamlFast(
        execFileSync('kubectl', ['kustomize', overlay], { encoding: 'utf8', maxBuffer: 1 << 26 }),
      ) as K8s[];
      const pods = built.filter((o) => ['AnalysisTemplate', 'CronJob', 'Deployment'].includes(o.kind));
      expect(pods.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'AnalysisTemplate/image-factory-analyze',
        'AnalysisTemplate/image-factory-rebuild',
        'AnalysisTemplate/image-factory-scan',
        'CronJob/image-factory-rebuild-due',
        'CronJob/image-factory-rescan',
        'Deployment/image-factory-trivy',
      ]);
      for (const o of pods) {
        const pod = podOf(o);
        expect(pod.automountServiceAccountToken, o.metadata.name).toBe(false);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          expect(c.securityContext, `${o.metadata.name} ${c.name}`).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          });
          expect(Object.keys(c.resources.limits).sort(), `${o.metadata.name} ${c.name}`).toEqual([
            'cpu',
            'ephemeral-storage',
            'memory',
          ]);
          if (c.name === 'trivy') expect(c.image).toMatch(TRIVY_IMAGE);
        }
      }
      // One pinned Trivy everywhere, and the Jobs point at the server the component adds.
      const images = new Set(
        pods.flatMap((o) =>
          [...(podOf(o).initContainers ?? []), ...podOf(o).containers].map((c: Any) => c.image as string),
        ),
      );
      expect([...images].filter((i) => i.startsWith('aquasec/')).length).toBe(1);
      const server = built.find((o) => o.kind === 'Deployment') as K8s;
      expect(podOf(server).containers[0].args).toEqual([
        'server',
        '--listen=0.0.0.0:4954',
        '--cache-dir=/var/cache/trivy',
      ]);
      const service: Any = built.find((o) => o.kind === 'Service' && o.metadata.name === 'image-factory-trivy');
      expect(service.spec.ports).toEqual([{ name: 'trivy', port: 4954, targetPort: 'trivy' }]);
      for (const o of pods.filter((p) => p.kind !== 'Deployment')) {
        const trivy = (podOf(o).initContainers ?? []).find((c: Any) => c.name === 'trivy');
        if (trivy !== undefined) expect(trivy.args.at(-1)).toBe('--server=http://image-factory-trivy:4954');
      }
      const validator = new ManifestValidator({ crdFolders: CRD_FOLDERS, subscriptionSchemas: SUBSCRIPTION_SCHEMAS });
      const checked = built.filter((o) => /^(kargo\.akuity\.io|argoproj\.io)\//.test(o.apiVersion));
      expect(checked.flatMap((o) => validator.validate(o)).map(formatManifestProblem)).toEqual([]);
      expect(checkKargoRuntimeRules(built).map(formatManifestProblem)).toEqual([]);
    } finally {
      rmSync(overlay, { recursive: true, force: true });
    }
  });

  it('the daily rescan: scan targets → one trivy image per line → scan record of every report; a failed scan shows', () => {
    const cron = find('CronJob', 'image-factory-rescan')[0] as Any;
    expect(cron.spec.schedule).toMatch(/^\d+ \d+ \* \* \*$/);
    const pod = rescanPod();
    expect(pod.initContainers.map((c: Any) => c.name)).toEqual(['targets', 'trivy']);
    const [targets, trivy] = pod.initContainers;
    const listed = runStep(targets);
    expect(listed.status).toBe(0);
    expect(listed.calls[0]?.slice(0, 4)).toEqual(['node', '/opt/image-factory/run.mjs', 'scan', 'targets']);
    expect(listed.calls[0]).toContain('--git-repo=https://github.com/acme/gitops.git');

    const refs = ['127.0.0.1:5000/library/node@sha256:aa', 'docker.io/library/postgres@sha256:bb'];
    const scanned = runStep(trivy, { files: { targets: `${refs.join('\n')}\n`, 'reports/.keep': '' } });
    expect(scanned.status).toBe(0);
    expect(scanned.calls).toEqual(
      refs.map((ref, i) => [
        'trivy',
        'image',
        '--format',
        'json',
        '--output',
        `/scan/reports/${i + 1}.json`,
        '--scanners=vuln',
        '--cache-dir=/var/cache/trivy',
        '--no-progress',
        ref,
      ]),
    );
    const failed = runStep(trivy, { exits: { trivy: 1 }, files: { targets: `${refs[0]}\n`, 'reports/.keep': '' } });
    expect(failed.status).toBe(0);
    expect(readFileSync(join(failed.dir, 'scan/failed'), 'utf8')).toBe(`${refs[0]}\n`);

    const record = pod.containers[0];
    const recorded = runStep(record, { files: { 'reports/1.json': '{}', 'reports/2.json': '{}' } });
    expect(recorded.status).toBe(0);
    expect(recorded.calls[0]?.slice(0, 4)).toEqual(['node', '/opt/image-factory/run.mjs', 'scan', 'record']);
    expect(recorded.calls[0]?.slice(-2)).toEqual(['--report=/scan/reports/1.json', '--report=/scan/reports/2.json']);
    const partial = runStep(record, { files: { 'reports/1.json': '{}', failed: `${refs[1]}\n` } });
    expect(partial.status).toBe(1);
    expect(partial.calls).toHaveLength(1);
    expect(runStep(record, { exits: { node: 3 }, files: { 'reports/1.json': '{}' } }).status).toBe(3);
  });
});
