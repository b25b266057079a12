#!/usr/bin/env node
/** Write image-factory/schema/images.schema.json from the tool's one definition (`npm run schema`). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { IMAGES_SCHEMA } from 'image-factory';

const target = new URL('../image-factory/schema/images.schema.json', import.meta.url);
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, `${JSON.stringify(IMAGES_SCHEMA, null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
