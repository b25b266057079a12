/**
 * Benchmark: `image-factory rebuild --due` over a GitOps repository of 2,500 managed images and 1,000 base images
 * whose state holds a pending rebuild for every dependent (2,500 decisions), 250 of them due: the sweep claims them
 * in one commit, calls a local GitHub stub (the tests' own, bundled from test/support/forge-stubs.ts) once each,
 * and records the 250 answers in a second commit. Wall time without the clone; registry requests: none can be
 * made (no registry is running: a lookup would fail the run).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { analyseDockerfile, EMPTY_STATE, loadEnrolment, planStateUpdate } from 'image-factory';
import { renderState } from 'image-factory/internal';
import { env, git, runNode } from './git-env.mjs';

const IMAGES = 2500;
const BASES = 1000;
const DUE = 250;
const TOKEN = 'bench-token';
const root = fileURLToPath(new URL('../.bench/rebuild-due', import.meta.url));
const remote = join(root, 'gitops.git');
const cli = fileURLToPath(new URL('../apps/image-factory/bin/image-factory.mjs', import.meta.url));
const iso = (day) => `${new Date(Date.UTC(2026, 10, 1 + day)).toISOString().slice(0, 19)}Z`;

function generate() {
  rmSync(root, { recursive: true, force: true });
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });
  const entry = (name) =>
    `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n`;
  const names = Array.from({ length: IMAGES }, (_, i) => `svc-${String(i).padStart(4, '0')}`);
  const imagesYaml = `images:\n${names.map(entry).join('')}`;
  const enrolment = loadEnrolment(imagesYaml, 'images.yaml');
  const analyses = names.map((image, i) => ({
    image,
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile(`FROM library-${i % BASES}/base:${(i % BASES) % 7}.0\n`, 'Dockerfile', {}),
  }));
  const state = planStateUpdate(EMPTY_STATE, enrolment, analyses);
  // Every dependent has a pending rebuild; the first DUE images (by name) are due on day 8, the rest on day 30.
  const digest = (n) => `sha256:${n.toString(16).padStart(64, '0')}`;
  const baseImages = new Map();
  let n = 0;
  for (const [name, base] of state.baseImages) {
    n += 1;
    const pending = base.dependents.map((image) => ({
      image,
      since: iso(1),
      due: Number(image.slice(4)) < DUE ? iso(8) : iso(30),
      urgent: false,
      causes: [{ base: name, digest: digest(n) }],
      waitFor: [],
      waitUntil: null,
    }));
    baseImages.set(name, {
      ...base,
      rebuild: { current: { digest: digest(n), released: iso(1), seen: iso(1) }, pending, history: [] },
    });
  }
  for (const [path, content] of renderState({ images: state.images, baseImages })) {
    const file = join(work, 'image-factory', 'state', path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  writeFileSync(join(work, 'images.yaml'), imagesYaml);
  git(root, 'init', '--quiet', '--bare', '--initial-branch', 'main', join(root, 'pristine.git'));
  git(work, 'init', '--quiet', '--initial-branch', 'main');
  git(work, 'add', '--all');
  git(work, 'commit', '--quiet', '-m', 'generated state with pending rebuilds');
  git(work, 'push', '--quiet', join(root, 'pristine.git'), 'HEAD:refs/heads/main');
  return state.baseImages.size;
}

const bases = existsSync(join(root, 'pristine.git')) ? BASES : generate();
rmSync(remote, { recursive: true, force: true });
git(root, 'clone', '--quiet', '--bare', join(root, 'pristine.git'), remote);

const stubModule = join(root, 'forge-stubs.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('../apps/image-factory/test/support/forge-stubs.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: stubModule,
  logLevel: 'error',
});
const { startGithubStub } = await import(stubModule);
const github = await startGithubStub(TOKEN);
try {
  const start = process.hrtime.bigint();
  // Not spawnSync: the stub answers from this process's event loop.
  const run = await runNode(
    [
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : []),
      cli,
      'rebuild',
      '--due',
      '--now',
      iso(9),
      '--git-repo',
      remote,
      '--github-api-url',
      github.url,
      '--json',
      '--log-format',
      'json',
    ],
    { env: { ...env, KUBERNETES_SERVICE_HOST: '', GITHUB_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`rebuild --due exited ${run.status}: ${run.stderr.slice(-2000)}`);
  const cloneMs =
    run.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((l) => l.step === 'clone')?.durationMs ?? 0;
  const result = JSON.parse(run.stdout);
  console.log(
    JSON.stringify({
      benchmark: 'rebuild --due (2,500 images, 1,000 bases)',
      images: IMAGES,
      baseImages: bases,
      pending: IMAGES,
      triggered: result.triggers.filter((t) => t.outcome?.status === 'triggered').length,
      githubRequests: github.requests.length,
      commits: result.commits.length,
      registryRequests: 0,
      wallMs: Math.round(wallMs),
      cloneMs,
      wallMsWithoutClone: Math.round(wallMs - cloneMs),
      goal: { wallMsWithoutClone: 3000 },
    }),
  );
} finally {
  await github.close();
}
