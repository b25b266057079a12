#!/usr/bin/env node
/**
 * Write image-factory/schema/images.schema.json from the tool's one definition (`npm run schema`), formatted by
 * the project's formatter so that the generated file passes `npm run lint` as written.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IMAGES_SCHEMA } from 'image-factory/internal';

const target = fileURLToPath(new URL('../image-factory/schema/images.schema.json', import.meta.url));
mkdirSync(new URL('../image-factory/schema/', import.meta.url), { recursive: true });
writeFileSync(target, `${JSON.stringify(IMAGES_SCHEMA, null, 2)}\n`);
execFileSync(
  process.execPath,
  [fileURLToPath(import.meta.resolve('@biomejs/biome/bin/biome')), 'format', '--write', target],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
console.log(`wrote ${target}`);
