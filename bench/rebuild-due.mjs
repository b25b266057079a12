/**
 * Benchmark: `image-factory rebuild --due` over a GitOps repository of 2,500 managed images built on 1,000 base
 * images in a local docker-registry with htpasswd auth (the tests' own, bundled from
 * apps/image-factory/test/support/registry.ts). State holds a pending rebuild for every dependent (2,500 decisions),
 * 250 of them due: the sweep first asks each base tag's current digest (1,000 HEADs), then claims the due ones in
 * one commit, calls a local GitHub stub (the tests' own, bundled from test/support/forge-stubs.ts) once each, and
 * records the 250 answers in a second commit. Wall time without the clone, and the requests the registry logged.
 *
 * Two variants on the same generated repository: `steady` (state records the digest each base tag points to: the
 * sweep heals nothing, no GET), and `heal` (50 base tags pushed again since: the sweep records 50 updates no Stage
 * reported, reading each new digest's release time and its dependents' builds, as `rebuild --reference` would).
 * Each prints the CLI process's own CPU time (`cpuMs`) too: the registry runs on the same machine, and its htpasswd
 * auth checks a bcrypt hash on every request. BENCH_AUTH=token uses token auth instead (one token per repository).
 *
 * What runs is what the CronJob runs: the bundle (`npm run bundle`'s module, built here from the current sources, as
 * `kustomize/image-factory/bundle/run.mjs` unpacks and imports it). `cliSteady` is the same steady sweep through the
 * package's own entry (`npx image-factory`, dist/: a module graph of ~400 files to load), for comparison.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { analyseDockerfile, EMPTY_STATE, loadEnrolment, planStateUpdate } from 'image-factory';
import { renderState } from 'image-factory/internal';
import { formatInstant } from '../apps/image-factory/dist/util/time.js';
import { bundle } from '../scripts/bundle.mjs';
import { env, git, runNode } from './git-env.mjs';

const IMAGES = 2500;
const BASES = 1000;
const DUE = 250;
/** Base tags pushed again before the `heal` variant (bases library-0 … library-49). */
const REPUSHED = 50;
/** Pushes in flight at once while filling the registry (setup, not timed). */
const PUSHES = 16;
const TOKEN = 'bench-token';
/** The registry's auth: htpasswd (bcrypt checked on every request), or token (Docker Hub's kind; BENCH_AUTH=token). */
const AUTH = process.env.BENCH_AUTH === 'token' ? 'token' : 'htpasswd';
const root = fileURLToPath(new URL('../.bench/rebuild-due', import.meta.url));
const cli = fileURLToPath(new URL('../apps/image-factory/bin/image-factory.mjs', import.meta.url));
/** The CronJob's module, built from the current sources (written below). */
const job = join(root, 'image-factory.mjs');
const day = (n) => new Date(Date.UTC(2026, 10, 1 + n));
const iso = (n) => formatInstant(day(n));
const baseRepository = (b) => `library-${b}/base`;
const baseTag = (b) => `${b % 7}.0`;
const imageName = (i) => `svc-${String(i).padStart(4, '0')}`;
/** The base image `svc-i` is built on. */
const baseOf = (i) => i % BASES;

/** Run `work` over `items`, `limit` at a time. */
async function eachLimit(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Bundle one of the tests' support modules and import it. */
async function support(name) {
  const outfile = join(root, `${name}.mjs`);
  await build({
    entryPoints: [fileURLToPath(new URL(`../apps/image-factory/test/support/${name}.ts`, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
  });
  return import(outfile);
}

rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });
writeFileSync(job, await bundle());
const { startGithubStub } = await support('forge-stubs');
// The registry's storage and config go under .bench/rebuild-due/tmp (tempDir uses the system temp folder).
process.env.TMPDIR = join(root, 'tmp');
mkdirSync(process.env.TMPDIR);
const { startRegistry, pushImage, dockerConfig, basicAuthEntry } = await support('registry');

/**
 * The GitOps repository (pushed to pristine.git): images.yaml, and the state `image-factory analyze` would have
 * recorded for 2,500 Dockerfiles `FROM <host>/library-N/base:X`, each base's current digest the one pushed, every
 * dependent pending on it. The dependents of the bases pushed again have a recorded build (in the registry too).
 */
function generate(host, baseDigests, builds) {
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });
  const entry = (name) =>
    `  - name: ${name}\n    registry: '${host}'\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/${name}\n      dockerfile: Dockerfile\n      workflow: build.yaml\n`;
  const names = Array.from({ length: IMAGES }, (_, i) => imageName(i));
  const imagesYaml = `images:\n${names.map(entry).join('')}`;
  const enrolment = loadEnrolment(imagesYaml, 'images.yaml');
  const analyses = names.map((image, i) => ({
    image,
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile(`FROM ${host}/${baseRepository(baseOf(i))}:${baseTag(baseOf(i))}\n`, 'Dockerfile', {}),
  }));
  const analysed = planStateUpdate(EMPTY_STATE, enrolment, analyses);
  const images = new Map(
    [...analysed.images].map(([name, image]) => {
      const built = builds.get(name);
      return [name, built === undefined ? image : { ...image, build: { ...built, dockerfile: 'Dockerfile' } }];
    }),
  );
  // Every dependent has a pending rebuild; the first DUE images (by name) are due on day 8, the rest on day 30.
  const baseImages = new Map();
  for (const [name, base] of analysed.baseImages) {
    const digest = baseDigests.get(`${base.repository}:${base.tag}`);
    if (digest === undefined) throw new Error(`no digest pushed for ${base.reference}`);
    const pending = base.dependents.map((image) => ({
      image,
      since: iso(1),
      due: Number(image.slice(4)) < DUE ? iso(8) : iso(30),
      urgent: false,
      causes: [{ base: name, digest }],
      waitFor: [],
      waitUntil: null,
    }));
    baseImages.set(name, {
      ...base,
      rebuild: { current: { digest, released: iso(1), seen: iso(1) }, pending, history: [] },
    });
  }
  for (const [path, content] of renderState({ images, baseImages })) {
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
  return analysed.baseImages.size;
}

const registry = await startRegistry(AUTH);
const github = await startGithubStub(TOKEN);
try {
  const host = registry.host;
  // Setup (not timed): 1,000 small one-platform base images, released on day 1.
  const baseDigests = new Map();
  const setupStarted = performance.now();
  await eachLimit(
    Array.from({ length: BASES }, (_, b) => b),
    PUSHES,
    async (b) => {
      const pushed = await pushImage(registry, baseRepository(b), baseTag(b), {
        created: day(1).toISOString(),
        layer: `base ${b}`,
      });
      baseDigests.set(`${baseRepository(b)}:${baseTag(b)}`, pushed.digest);
    },
  );
  // The builds of the dependents of the bases pushed again, made on the digest state records.
  const builds = new Map();
  const rebuilt = Array.from({ length: IMAGES }, (_, i) => i).filter((i) => baseOf(i) < REPUSHED);
  await eachLimit(rebuilt, PUSHES, async (i) => {
    const b = baseOf(i);
    const pushed = await pushImage(registry, `acme/${imageName(i)}`, 'build-1', {
      created: day(2).toISOString(),
      layer: `build ${i}`,
      annotations: { 'org.opencontainers.image.base.digest': baseDigests.get(`${baseRepository(b)}:${baseTag(b)}`) },
    });
    builds.set(imageName(i), { tag: 'build-1', digest: pushed.digest });
  });
  const bases = generate(host, baseDigests, builds);
  const setupMs = Math.round(performance.now() - setupStarted);
  const config = dockerConfig({ [host]: basicAuthEntry() });

  /** Prints the CLI process's own CPU time on exit (the machine may be shared: wall time alone can mislead). */
  const cpuProbe = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write(JSON.stringify({benchCpuMs:Math.round((u.user+u.system)/1000)})+'\\n')})`;
  const measure = async (variant, entry = job) => {
    const remote = join(root, 'gitops.git');
    rmSync(remote, { recursive: true, force: true });
    git(root, 'clone', '--quiet', '--bare', join(root, 'pristine.git'), remote);
    const before = registry.requests().length;
    const githubBefore = github.requests.length;
    const tokensBefore = registry.tokenRequests.length;
    const start = process.hrtime.bigint();
    // Not spawnSync: the stub answers from this process's event loop.
    const run = await runNode(
      [
        '--import',
        cpuProbe,
        ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : []),
        entry,
        'rebuild',
        '--due',
        '--now',
        iso(9),
        '--git-repo',
        remote,
        '--github-api-url',
        github.url,
        '--registry-config',
        config,
        '--insecure-registry',
        host,
        ...(registry.tokenHost === undefined ? [] : ['--insecure-registry', registry.tokenHost]),
        '--json',
        '--log-format',
        'json',
      ],
      { env: { ...env, KUBERNETES_SERVICE_HOST: '', GITHUB_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.status !== 0 && run.status !== 3) throw new Error(`rebuild --due exited ${run.status}: ${run.stderr}`);
    const logged = run.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    writeFileSync(join(root, `${variant}.log`), run.stderr);
    const cloneMs = logged.find((l) => l.step === 'clone')?.durationMs ?? 0;
    const result = JSON.parse(run.stdout);
    // The registry logs after answering: wait until it has logged every request the client counted it sent.
    const deadline = Date.now() + 5000;
    let served = registry.requests().slice(before);
    while (served.some((q) => q.status === undefined) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      served = registry.requests().slice(before);
    }
    const counted = (method, pattern) => served.filter((q) => q.method === method && pattern.test(q.uri)).length;
    return {
      exitCode: run.status,
      triggered: result.triggers.filter((t) => t.outcome?.status === 'triggered').length,
      githubRequests: github.requests.length - githubBefore,
      commits: result.commits.length,
      healed: result.healed.length,
      unreachable: result.unreachable.length,
      registryRequests: served.length,
      heads: counted('HEAD', /\/manifests\//),
      manifestGets: counted('GET', /\/manifests\//),
      blobGets: counted('GET', /\/blobs\//),
      pings: counted('GET', /^\/v2\/$/),
      tokens: registry.tokenRequests.length - tokensBefore,
      unauthorized: served.filter((q) => q.status === 401).length,
      wallMs: Math.round(wallMs),
      cloneMs,
      wallMsWithoutClone: Math.round(wallMs - cloneMs),
      cpuMs: logged.find((l) => l.benchCpuMs !== undefined)?.benchCpuMs,
    };
  };

  const steady = await measure('steady');
  const cliSteady = await measure('cli-steady', cli);
  // The 50 base tags pushed again (released on day 8): the next sweep finds digests no Stage reported.
  await eachLimit(
    Array.from({ length: REPUSHED }, (_, b) => b),
    PUSHES,
    (b) => pushImage(registry, baseRepository(b), baseTag(b), { created: day(8).toISOString(), layer: `base ${b} v2` }),
  );
  const heal = await measure('heal');
  const summary = { auth: AUTH, images: IMAGES, baseImages: bases, pending: IMAGES, due: DUE, setupMs };
  console.log(
    JSON.stringify({
      benchmark: 'rebuild --due (2,500 images, 1,000 bases)',
      ...summary,
      ...steady,
      cliSteady: { wallMsWithoutClone: cliSteady.wallMsWithoutClone, cpuMs: cliSteady.cpuMs },
      goal: { wallMsWithoutClone: 5000, exitCode: 0, manifestGets: 0, unreachable: 0 },
    }),
  );
  console.log(
    JSON.stringify({
      benchmark: `rebuild --due, ${REPUSHED} bases healed`,
      ...summary,
      repushed: REPUSHED,
      ...heal,
      goal: { wallMsWithoutClone: 5000, exitCode: 0, unreachable: 0 },
    }),
  );
} finally {
  await github.close();
  await registry.stop();
  rmSync(join(root, 'tmp'), { recursive: true, force: true });
}
