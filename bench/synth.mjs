/**
 * Benchmark: `image-factory synth` (the chart's entry point, whole process) for 2,500 enrolled images whose
 * state holds 1,000 distinct base images; CRD and subscription-schema validation included.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseDockerfile, EMPTY_STATE, loadEnrolment, planStateUpdate, writeState } from 'image-factory/internal';
import { prng } from './generate-dockerfiles.mjs';

const IMAGES = 2500;
const EXTERNAL = 250;
const BASES = 1000;
const root = fileURLToPath(new URL('../.bench/synth', import.meta.url));
const chart = fileURLToPath(new URL('../cdk8s/image-factory/lib/main.js', import.meta.url));

async function generate() {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const rand = prng(3);
  const bases = Array.from({ length: BASES }, (_, i) =>
    i % 4 === 0 ? `ghcr.io/acme/base-${i}:${i % 9}` : `team-${i % 50}/img-${i}:${i % 13}.${i % 7}`,
  );
  const entries = [];
  const analyses = [];
  for (let i = 0; i < IMAGES; i++) {
    const name = `img-${String(i).padStart(4, '0')}`;
    if (i < EXTERNAL) {
      entries.push(
        `  - name: ${name}\n    registry: quay.io\n    repository: vendor/${name}\n    allowTags: '^v\\d+\\.\\d+\\.\\d+$'\n    imageSelectionStrategy: SemVer\n`,
      );
      continue;
    }
    entries.push(
      `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source: {provider: github, repo: acme/mono, dockerfile: ${name}/Dockerfile}\n`,
    );
    const dockerfile = `FROM ${bases[i % BASES]} AS build\nFROM ${bases[Math.floor(rand() * BASES)]}\nCOPY --from=build / /\n`;
    analyses.push({
      image: name,
      dockerfile: `${name}/Dockerfile`,
      uses: analyseDockerfile(dockerfile, 'Dockerfile', {}),
    });
  }
  const text = `images:\n${entries.join('')}`;
  writeFileSync(join(root, 'images.yaml'), text);
  await writeState(join(root, 'image-factory/state'), planStateUpdate(EMPTY_STATE, loadEnrolment(text), analyses));
}

if (!existsSync(join(root, 'images.yaml'))) await generate();
const out = join(root, 'out');
rmSync(out, { recursive: true, force: true });
const start = process.hrtime.bigint();
const run = spawnSync(process.execPath, [chart, '--root', root, '--out', out], { encoding: 'utf8' });
const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
if (run.status !== 0) {
  console.error(run.stderr.slice(-2000));
  process.exit(1);
}
const warehouses = Number(run.stdout.match(/: (\d+) Warehouse/)?.[1] ?? 0);
console.log(
  JSON.stringify({
    benchmark: 'synth (2,500 images, 1,000 bases)',
    images: IMAGES,
    warehouses,
    wallMs: +wallMs.toFixed(0),
    goal: { wallMs: 2000 },
  }),
);
