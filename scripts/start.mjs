#!/usr/bin/env node
/** `npm start`: run the factory's main job on the example catalogue shipped in this repository. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../apps/image-factory/dist/cli/main.js', import.meta.url));

function run(args) {
  console.log(`\n$ image-factory ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run([
  'parse',
  'examples/acme-platform/base/node-base/Dockerfile',
  'examples/acme-platform/apps/backstage/Dockerfile',
  'examples/acme-platform/apps/api/Dockerfile',
  'examples/acme-platform/apps/docs/Dockerfile',
  'apps/image-factory/Dockerfile',
]);
