#!/usr/bin/env node
/**
 * `npm start`: the factory's main job on the example catalogue, end to end and local.
 * Creates a bare GitOps repository under .demo/ seeded with images.yaml and the example Dockerfiles, runs
 * `analyze --all` and `sync` against it, shows the state files and the commit they made, and synthesises
 * the Kargo Warehouses from the result.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'apps/image-factory/bin/image-factory.mjs');
const demo = join(root, '.demo');
const remote = join(demo, 'gitops.git');
const seed = join(demo, 'seed');
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'demo',
  GIT_AUTHOR_EMAIL: 'demo@example.com',
  GIT_COMMITTER_NAME: 'demo',
  GIT_COMMITTER_EMAIL: 'demo@example.com',
};

function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}

function step(title) {
  console.log(`\n── ${title} ${'─'.repeat(Math.max(0, 74 - title.length))}`);
}

function factory(...args) {
  console.log(`$ image-factory ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, GIT_AUTHOR_NAME: 'image-factory', GIT_AUTHOR_EMAIL: 'image-factory@example.com' },
  });
  if (result.status !== 0) {
    console.error(`image-factory ${args[0]} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

step('1. a GitOps repository with the example catalogue');
rmSync(demo, { recursive: true, force: true });
mkdirSync(seed, { recursive: true });
git(demo, 'init', '--quiet', '--bare', '--initial-branch', 'main', remote);
for (const path of ['images.yaml', 'image-factory/schema', 'examples', 'apps/image-factory/Dockerfile']) {
  cpSync(join(root, path), join(seed, path), { recursive: true });
}
git(seed, 'init', '--quiet', '--initial-branch', 'main');
git(seed, 'add', '--all');
git(seed, 'commit', '--quiet', '-m', 'seed: example catalogue');
git(seed, 'push', '--quiet', remote, 'HEAD:refs/heads/main');
console.log(`created ${remote}`);

step('2. validate images.yaml (what the pull-request check runs)');
factory('validate', '--images', 'images.yaml', '--root', '.');

step('3. analyse every managed image and commit the state');
factory('analyze', '--all', '--git-repo', remote, '--source-repo', remote);

step('4. sync: external images, transitions, garbage collection');
factory('sync', '--git-repo', remote);

step('5. what is in git now');
console.log(git(remote, 'log', '--format=%h %s', 'main'));
console.log();
console.log(git(remote, 'show', '--stat', '--format=commit %H%n%n    %s%n%n%b', 'main~0'));
console.log('\nimage-factory/state/base-images/node-22-bookworm-slim.yaml:');
console.log(git(remote, 'show', 'main:image-factory/state/base-images/node-22-bookworm-slim.yaml'));

step('6. synthesise the Kargo Warehouses (cdk8s chart)');
const checkout = join(demo, 'gitops');
git(demo, 'clone', '--quiet', remote, checkout);
const manifests = join(demo, 'manifests');
factory('synth', '--root', checkout, '--out', manifests);

step('7. the static Kargo resources (kustomize/image-factory)');
const kustomized = join(manifests, 'kustomize.yaml');
const kustomize = spawnSync('kubectl', ['kustomize', join(root, 'kustomize/image-factory')], {
  encoding: 'utf8',
  maxBuffer: 1 << 26,
});
if (kustomize.status === 0) {
  writeFileSync(kustomized, kustomize.stdout);
  console.log(`kubectl kustomize kustomize/image-factory → ${kustomized}`);
} else {
  console.log('kubectl is not installed: skipped (see README prerequisites)');
}

step('8. a base image moves: the rebuild decisions and the requests they would send (dry run, no network)');
// node:22-bookworm-slim was rebuilt upstream, released three days ago. Kargo would run this from the base image's
// <warehouse>-rebuild Stage (with the release time read from the registry; --released stands in for it here).
factory(
  'rebuild',
  '--base',
  'node-22-bookworm-slim',
  '--digest',
  `sha256:${'5'.repeat(64)}`,
  '--released',
  '2026-11-20T00:00:00Z',
  '--now',
  '2026-11-23T00:00:00Z',
  '--dry-run',
  '--git-repo',
  remote,
);

step('9. summary');
factory('status', '--root', checkout);

console.log(`
Manifests:
  ${join(manifests, 'image-factory.k8s.yaml')}   Warehouses for base and external images (cdk8s)
  ${kustomize.status === 0 ? kustomized : 'kustomize/image-factory'}   Project, RBAC, AnalysisTemplate, managed pipelines, tool ConfigMap
Install into a cluster with Kargo: see docs/install.md.

The summary above is what git knows. To ask the registries what the tags point to now, when each digest was
released and which managed builds are stale (network access to docker.io, ghcr.io and gcr.io; the example's
acme images are fictional, so they report "not found" or 401 in their rows):
  npx image-factory status --live --root ${checkout}
  npx image-factory inspect node:22-bookworm-slim
See docs/registries.md.`);
step('10. the report: one self-contained page (open it in a browser)');
const reportPage = join(demo, 'report.html');
factory('report', '--root', checkout, '--out', reportPage);
console.log(`wrote ${reportPage}`);
