/**
 * The manifests exactly as a user renders them, for one GitOps checkout (its images.yaml and state):
 * - the kustomize folder: kustomize/image-factory copied, `image-factory kustomize` run on it for that images.yaml
 *   (as docs/enrol.md says after editing images.yaml), and built with `kubectl kustomize` through an overlay whose
 *   patches say where this machine's git remote, registry and GitHub are (what a user's overlay patches:
 *   kustomize/image-factory/*-analysis-template.yaml "patch these defaults in an overlay");
 * - the chart: its entry point (`node cdk8s/image-factory/lib/main.js --root … --out …`, what `npm run synth` and
 *   `image-factory synth` run).
 * Nothing here interprets the objects: see kargo-*.ts and rollouts-analysis.ts.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllYamlFast } from '../../src/yaml/fast-parse.js';
import { REPO_ROOT } from '../helpers.js';
import { tempDir } from '../support/git-repos.js';
import { type K8sObject, toObject } from './objects.js';

/**
 * The bundled tool as the Jobs run it: the committed loader beside the compressed module, both shipped by the
 * kustomization's configMapGenerator (`npm run bundle` makes the module).
 */
export const BUNDLE = join(REPO_ROOT, 'kustomize/image-factory/bundle/run.mjs');
const CHART_MAIN = join(REPO_ROOT, 'cdk8s/image-factory/lib/main.js');

/** Where the overlay points the Jobs: what a user's overlay would patch in for their cluster. */
export interface OverlayTargets {
  /** The GitOps repository (here a local bare repository) for `--git-repo` and the templates' `gitRepo` arg. */
  readonly gitRepo: string;
  /** The registry, spoken to over plain HTTP (`--insecure-registry`): the test registry has no TLS. */
  readonly insecureRegistry: string;
  /** GitHub's API (the stub), as `GITHUB_API_URL` in the Jobs' env. */
  readonly githubApiUrl: string;
  /** The Dockerfiles' repository for `analyze --source-repo` (the monorepo: here the GitOps remote itself). */
  readonly sourceRepo: string;
}

const TEMPLATE_CONTAINER = '/spec/metrics/0/provider/job/spec/template/spec/containers/0';
const CRON_CONTAINER = '/spec/jobTemplate/spec/template/spec/containers/0';
const RESCAN_TARGETS = '/spec/jobTemplate/spec/template/spec/initContainers/0';
const RESCAN_RECORD = '/spec/jobTemplate/spec/template/spec/containers/0';
/** The rebuild template's `scan-record` init container (after `trivy`): it asks the registry too. */
const TEMPLATE_SCAN_RECORD = '/spec/metrics/0/provider/job/spec/template/spec/initContainers/1';

/** A JSON 6902 patch of the overlay, as YAML. */
function patch(kind: string, name: string, group: string, version: string, ops: readonly object[]): object {
  return { target: { group, version, kind, name }, patch: JSON.stringify(ops) };
}

/** The overlay's patches: the gitRepo default, the plain-HTTP registry, the GitHub API URL, the Dockerfiles' repo. */
function overlayPatches(t: OverlayTargets): object[] {
  const env = (container: string) => ({
    op: 'add',
    path: `${container}/env/-`,
    value: { name: 'GITHUB_API_URL', value: t.githubApiUrl },
  });
  const arg = (container: string, value: string) => ({ op: 'add', path: `${container}/args/-`, value });
  return [
    patch('AnalysisTemplate', 'image-factory-rebuild', 'argoproj.io', 'v1alpha1', [
      { op: 'replace', path: '/spec/args/3/value', value: t.gitRepo },
      arg(TEMPLATE_CONTAINER, `--insecure-registry=${t.insecureRegistry}`),
      env(TEMPLATE_CONTAINER),
      { op: 'test', path: `${TEMPLATE_SCAN_RECORD}/name`, value: 'scan-record' },
      arg(TEMPLATE_SCAN_RECORD, `--insecure-registry=${t.insecureRegistry}`),
    ]),
    // The -scan Stages' Job runs the rebuild template's first two steps: the same gitRepo default, and the plain-HTTP
    // registry for its `scan-record` container (scan record asks the registry to map platform digests).
    patch('AnalysisTemplate', 'image-factory-scan', 'argoproj.io', 'v1alpha1', [
      { op: 'test', path: '/spec/args/2/name', value: 'gitRepo' },
      { op: 'replace', path: '/spec/args/2/value', value: t.gitRepo },
      { op: 'test', path: `${TEMPLATE_CONTAINER}/name`, value: 'scan-record' },
      arg(TEMPLATE_CONTAINER, `--insecure-registry=${t.insecureRegistry}`),
    ]),
    patch('AnalysisTemplate', 'image-factory-analyze', 'argoproj.io', 'v1alpha1', [
      { op: 'replace', path: '/spec/args/3/value', value: t.gitRepo },
      arg(TEMPLATE_CONTAINER, `--source-repo=${t.sourceRepo}`),
    ]),
    // The rescan's steps are shell scripts with their flags after the script: docs/install.md step 7 patches index 2.
    patch('CronJob', 'image-factory-rescan', 'batch', 'v1', [
      { op: 'replace', path: `${RESCAN_TARGETS}/args/2`, value: `--git-repo=${t.gitRepo}` },
      { op: 'replace', path: `${RESCAN_RECORD}/args/2`, value: `--git-repo=${t.gitRepo}` },
      arg(RESCAN_RECORD, `--insecure-registry=${t.insecureRegistry}`),
    ]),
    patch('CronJob', 'image-factory-rebuild-due', 'batch', 'v1', [
      { op: 'replace', path: `${CRON_CONTAINER}/args/1`, value: `--git-repo=${t.gitRepo}` },
      arg(CRON_CONTAINER, `--insecure-registry=${t.insecureRegistry}`),
      env(CRON_CONTAINER),
    ]),
  ];
}

/**
 * `kubectl kustomize` of an overlay over a copy of kustomize/image-factory whose managed/ pipelines were rewritten by
 * the bundled tool for `imagesYaml` (`image-factory kustomize`).
 */
export function renderKustomize(imagesYaml: string, targets: OverlayTargets): K8sObject[] {
  const root = tempDir('if-e2e-kustomize-');
  const base = join(root, 'base');
  cpSync(join(REPO_ROOT, 'kustomize/image-factory'), base, { recursive: true });
  const images = join(root, 'images.yaml');
  writeFileSync(images, imagesYaml);
  execFileSync(process.execPath, [BUNDLE, 'kustomize', '--images', images, '--kustomize-dir', base], {
    env: { ...process.env, KUBERNETES_SERVICE_HOST: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const overlay = join(root, 'overlay');
  mkdirSync(overlay);
  writeFileSync(
    join(overlay, 'kustomization.yaml'),
    JSON.stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['../base'],
      patches: overlayPatches(targets),
    }),
  );
  const built = execFileSync('kubectl', ['kustomize', overlay], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return parseAllYamlFast(built).map(toObject);
}

/** The chart's output for a GitOps checkout at `root` (its images.yaml and image-factory/state). */
export function renderChart(root: string): K8sObject[] {
  const out = tempDir('if-e2e-chart-');
  execFileSync(process.execPath, [CHART_MAIN, '--root', root, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllYamlFast(readFileSync(join(out, 'image-factory.k8s.yaml'), 'utf8')).map(toObject);
}
