#!/usr/bin/env node
/**
 * `npm run example-state`: write image-factory/state/ for the example catalogue from images.yaml and the
 * Dockerfiles in this working tree (what `image-factory analyze --all` + `sync` would commit). The chart's
 * example output is synthesised from it; a test fails when it is stale.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseDockerfile, loadEnrolment, planStateUpdate, readState, writeState } from 'image-factory/internal';

const root = fileURLToPath(new URL('..', import.meta.url));
const stateDir = join(root, 'image-factory/state');
const enrolment = loadEnrolment(await readFile(join(root, 'images.yaml'), 'utf8'));
const analyses = [];
for (const image of enrolment.images) {
  if (image.kind !== 'managed') continue;
  const text = await readFile(join(root, image.source.dockerfile), 'utf8');
  analyses.push({
    image: image.name,
    dockerfile: image.source.dockerfile,
    uses: analyseDockerfile(text, image.source.dockerfile, image.source.buildArgs),
  });
}
const next = planStateUpdate(await readState(stateDir), enrolment, analyses);
const write = await writeState(stateDir, next);
console.log(
  `image-factory/state: ${write.added.length} added, ${write.modified.length} modified, ${write.deleted.length} deleted`,
);
