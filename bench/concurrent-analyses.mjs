/**
 * Benchmark: 24 analysis Jobs at once against a GitOps repository of 5,000 managed images whose state is already
 * recorded (a base-image update finishing a wave of builds). Each job runs the bundled tool, as the Kargo
 * verification Job does, with the production pacing (--retry-backoff 500ms, --retry-deadline 8m). Reports whether
 * every job landed, the wall time, the slowest job and how many times jobs had to recompute on a moved branch.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.mjs';
import { env, git, monorepoEntry, pushMonorepo } from './git-env.mjs';

const IMAGES = 5000;
const BASES = 1000;
const JOBS = 24;
const root = fileURLToPath(new URL('../.bench/concurrent-analyses', import.meta.url));
const remote = join(root, 'gitops.git');
const tool = join(root, 'image-factory.mjs');

function run(args) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [tool, ...args], {
      env: { ...env, KUBERNETES_SERVICE_HOST: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    child.on('close', (status) => resolve({ status, stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
  });
}

async function generate() {
  rmSync(root, { recursive: true, force: true });
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });
  const entries = [];
  for (let i = 0; i < IMAGES; i++) {
    const name = `svc-${String(i).padStart(4, '0')}`;
    const base = i % 7 === 0 ? `ghcr.io/acme/base-${i % BASES}:1` : `library-${i % 100}/img-${i % BASES}:${i % 9}`;
    mkdirSync(join(work, 'services', name), { recursive: true });
    writeFileSync(join(work, 'services', name, 'Dockerfile'), `FROM node:22 AS build\nFROM ${base}\n`);
    entries.push(monorepoEntry(name));
  }
  pushMonorepo(root, work, remote, entries);
  writeFileSync(tool, await bundle());
  // Record every image's state once: the repository the jobs race on already holds 5,000 + ~1,000 state files.
  const all = await run(['analyze', '--all', '--git-repo', remote, '--source-repo', remote]);
  if (all.status !== 0) throw new Error(`analyze --all failed: ${all.stderr.slice(-2000)}`);
  git(root, 'clone', '--quiet', '--bare', remote, join(root, 'pristine.git'));
}

if (!existsSync(join(root, 'pristine.git'))) await generate();
writeFileSync(tool, await bundle());
rmSync(remote, { recursive: true, force: true });
git(root, 'clone', '--quiet', '--bare', join(root, 'pristine.git'), remote);

const started = process.hrtime.bigint();
const results = await Promise.all(
  Array.from({ length: JOBS }, (_, j) => {
    const name = `svc-${String(j * 199).padStart(4, '0')}`;
    const digest = `sha256:${(j % 16).toString(16).repeat(64)}`;
    return run([
      'analyze',
      '--image',
      name,
      '--tag',
      `2.${j}`,
      '--digest',
      digest,
      '--git-repo',
      remote,
      '--source-repo',
      remote,
    ]);
  }),
);
const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
const landed = results.filter((r) => r.status === 0).length;
const recomputed = results.reduce((n, r) => n + (r.stderr.match(/recomputing on the new head/g) ?? []).length, 0);
const commits = git(remote, 'rev-list', '--count', 'main');
console.log(
  JSON.stringify({
    benchmark: `${JOBS} concurrent analyze jobs, ${IMAGES}-image GitOps repository`,
    jobs: JOBS,
    landed,
    recomputed,
    commitsOnMain: Number(commits),
    wallMs: +wallMs.toFixed(0),
    slowestJobMs: +Math.max(...results.map((r) => r.ms)).toFixed(0),
    goal: { landed: JOBS },
  }),
);
if (landed !== JOBS) {
  for (const r of results.filter((x) => x.status !== 0)) console.error(r.stderr.split('\n').slice(-3).join('\n'));
  process.exitCode = 1;
}
