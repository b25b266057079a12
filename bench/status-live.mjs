/**
 * Benchmark: `image-factory status --live` over a state of 1,000 distinct base references (100 repositories × 10
 * tags) in a local docker-registry with token auth (the tests' own registry and token server, bundled from
 * apps/image-factory/test/support/registry.ts so there is one of each). Wall time of the whole CLI process and the
 * requests it made, as the registry and the token server logged them.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { runNode } from './git-env.mjs';

const REPOSITORIES = 100;
const TAGS = 10;
const root = fileURLToPath(new URL('../.bench/status-live', import.meta.url));
const cli = fileURLToPath(new URL('../apps/image-factory/bin/image-factory.mjs', import.meta.url));

rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });
const envModule = join(root, 'registry-env.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('../apps/image-factory/test/support/registry.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: envModule,
  logLevel: 'error',
});
// The registry's storage and config go under .bench/status-live/tmp (tempDir uses the system temp folder).
process.env.TMPDIR = join(root, 'tmp');
mkdirSync(process.env.TMPDIR);
const { startRegistry, pushImage, dockerConfig, basicAuthEntry } = await import(envModule);

const registry = await startRegistry('token');
try {
  const host = registry.host;
  const refs = [];
  for (let r = 0; r < REPOSITORIES; r++) {
    const repository = `base/img-${String(r).padStart(3, '0')}`;
    await Promise.all(
      Array.from({ length: TAGS }, async (_, t) => {
        const tag = `${t + 1}.0-slim`;
        await pushImage(registry, repository, tag, {
          created: new Date(Date.UTC(2026, 9, 1 + t, r % 24)).toISOString(),
          layer: `${r}-${t}`,
        });
        refs.push({ repository, tag });
      }),
    );
  }
  refs.sort((a, b) => (`${a.repository}:${a.tag}` < `${b.repository}:${b.tag}` ? -1 : 1));
  const gitops = join(root, 'gitops');
  const bases = join(gitops, 'image-factory', 'state', 'base-images');
  mkdirSync(bases, { recursive: true });
  writeFileSync(join(gitops, 'images.yaml'), 'images: []\n');
  refs.forEach(({ repository, tag }, i) => {
    const name = `base-${String(i).padStart(4, '0')}`;
    writeFileSync(
      join(bases, `${name}.yaml`),
      `name: ${name}\nreference: ${host}/${repository}:${tag}\nregistry: '${host}'\nrepository: ${repository}\ntag: '${tag}'\ndigest: null\ndependents: []\nrepoURL: ${host}/${repository}\nallowTags: ^${tag.replaceAll('.', '\\.')}$\nimageSelectionStrategy: Digest\nconstraint: '${tag}'\n`,
    );
  });
  const config = dockerConfig({ [host]: basicAuthEntry() });
  const cache = join(root, 'releases.json');
  const measure = async () => {
    const before = registry.requests().length;
    const tokensBefore = registry.tokenRequests.length;
    const started = performance.now();
    // Not spawnSync: the token server answers from this process's event loop.
    const run = await runNode(
      [
        cli,
        'status',
        '--live',
        '--json',
        '--root',
        gitops,
        '--registry-config',
        config,
        '--insecure-registry',
        host,
        '--insecure-registry',
        registry.tokenHost,
        '--release-cache',
        cache,
        ...(process.env.BENCH_CONCURRENCY ? ['--concurrency', process.env.BENCH_CONCURRENCY] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const wallMs = Math.round(performance.now() - started);
    if (run.status !== 0) throw new Error(`status --live exited ${run.status}: ${run.stderr}`);
    await new Promise((r) => setTimeout(r, 500)); // the registry logs after answering
    const served = registry.requests().slice(before);
    const counted = (method, pattern) => served.filter((q) => q.method === method && pattern.test(q.uri)).length;
    const reported = JSON.parse(run.stdout);
    return {
      wallMs,
      heads: counted('HEAD', /\/manifests\//),
      tokens: registry.tokenRequests.length - tokensBefore,
      manifestGets: counted('GET', /\/manifests\//),
      blobGets: counted('GET', /\/blobs\//),
      pings: counted('GET', /^\/v2\/$/),
      withReleaseTime: reported.baseImages.filter((b) => b.released !== null).length,
    };
  };
  // First run: every release time read from the registry (HEAD, GET manifest, GET config) and cached by digest.
  const cold = await measure();
  // Second run, as a CronJob with the cache on a volume: each reference costs its HEAD, known digests no GET.
  const warm = await measure();
  console.log(
    JSON.stringify({
      benchmark: 'status-live',
      references: refs.length,
      repositories: REPOSITORIES,
      coldWallMs: cold.wallMs,
      cold,
      ...warm,
      goal: { wallMs: 5000, heads: refs.length, tokens: REPOSITORIES, manifestGets: 0 },
    }),
  );
} finally {
  await registry.stop();
  rmSync(join(root, 'tmp'), { recursive: true, force: true });
}
