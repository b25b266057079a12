/**
 * Benchmark: `image-factory analyze --all` over a generated monorepo of 2,500 managed images using about
 * 600 distinct base images. Wall time of the whole CLI process, and the same minus the shallow clone
 * (the clone's duration is what the job itself logs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './generate-dockerfiles.mjs';
import { env, git, monorepoEntry, pushMonorepo } from './git-env.mjs';

const IMAGES = 2500;
const BASES = 600;
const root = fileURLToPath(new URL('../.bench/analyze-all', import.meta.url));
const remote = join(root, 'gitops.git');
const cli = fileURLToPath(new URL('../apps/image-factory/bin/image-factory.mjs', import.meta.url));

function generate() {
  rmSync(root, { recursive: true, force: true });
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });
  const rand = prng(7);
  const bases = Array.from({ length: BASES }, (_, i) =>
    i % 3 === 0 ? `ghcr.io/acme/base-${i}:${1 + (i % 7)}` : `library-${i % 200}/img-${i}:${i % 11}.${i % 5}-slim`,
  );
  const entries = [];
  for (let i = 0; i < IMAGES; i++) {
    const name = `svc-${String(i).padStart(4, '0')}`;
    const a = bases[Math.floor(rand() * BASES)];
    const b = bases[Math.floor(rand() * BASES)];
    const c = bases[i % BASES]; // every base is used at least by someone
    const dockerfile = `ARG TAG=1\nFROM ${a} AS build\nRUN make\nFROM ${c}\nCOPY --from=build /out /out\nCOPY --from=${b} /etc/ssl /etc/ssl\nUSER 1000\n`;
    mkdirSync(join(work, 'services', name), { recursive: true });
    writeFileSync(join(work, 'services', name, 'Dockerfile'), dockerfile);
    entries.push(monorepoEntry(name));
  }
  pushMonorepo(root, work, remote, entries);
  git(root, 'clone', '--quiet', '--bare', remote, join(root, 'pristine.git'));
}

if (!existsSync(join(root, 'pristine.git'))) generate();
// Every run starts from the same remote (no state yet).
rmSync(remote, { recursive: true, force: true });
git(root, 'clone', '--quiet', '--bare', join(root, 'pristine.git'), remote);

const start = process.hrtime.bigint();
const run = spawnSync(
  process.execPath,
  [cli, 'analyze', '--all', '--git-repo', remote, '--source-repo', remote, '--log-format', 'json'],
  {
    encoding: 'utf8',
    env: { ...env, KUBERNETES_SERVICE_HOST: '' },
    maxBuffer: 1 << 26,
  },
);
const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
if (run.status !== 0) {
  console.error(run.stderr.slice(-2000));
  process.exit(1);
}
const logs = run.stderr
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const cloneMs = logs.find((l) => l.step === 'clone')?.durationMs ?? 0;
const files = git(remote, 'ls-tree', '-r', '--name-only', 'main', '--', 'image-factory/state/base-images').split(
  '\n',
).length;
console.log(
  JSON.stringify({
    benchmark: 'analyze --all (2,500 images)',
    images: IMAGES,
    baseImagesWritten: files,
    wallMs: +wallMs.toFixed(0),
    cloneMs,
    wallMsWithoutClone: +(wallMs - cloneMs).toFixed(0),
    goal: { wallMsWithoutClone: 5000 },
  }),
);
