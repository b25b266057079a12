/** Benchmark: extract the images of 2,500 generated Dockerfiles in one process. */
import { parseDockerfile } from 'image-factory';
import { generateDockerfiles } from './generate-dockerfiles.mjs';

const COUNT = 2500;
const files = generateDockerfiles(COUNT);
const bytes = files.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
const instructions = files.reduce((sum, text) => sum + (text.match(/^[A-Z]+ /gm)?.length ?? 0), 0);

function run(fastPath) {
  const start = process.hrtime.bigint();
  let images = 0;
  for (const text of files) images += parseDockerfile(text, { fastPath }).images.length;
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, images };
}

const mode = process.argv[2] ?? 'fast';
const coldStart = process.hrtime.bigint();
run(mode === 'fast'); // the first run includes JIT warm-up; it is reported separately as coldWallMs
const coldMs = Number(process.hrtime.bigint() - coldStart) / 1e6;
const runs = [];
for (let i = 0; i < (mode === 'fast' ? 5 : 1); i++) runs.push(run(mode === 'fast'));
runs.sort((a, b) => a.ms - b.ms);
const result = runs[Math.floor(runs.length / 2)]; // the median run
const rssMb = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify({
    benchmark: `parse (${mode} path)`,
    files: COUNT,
    megabytes: +(bytes / 1e6).toFixed(2),
    instructions,
    images: result.images,
    wallMs: +result.ms.toFixed(1),
    coldWallMs: +coldMs.toFixed(1),
    runs: runs.length,
    filesPerSecond: Math.round(COUNT / (result.ms / 1000)),
    peakRssMb: +rssMb.toFixed(1),
    goal: mode === 'fast' ? { wallMs: 500, peakRssMb: 200 } : undefined,
  }),
);
