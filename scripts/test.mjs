#!/usr/bin/env node
/**
 * `npm test`: lint, build the tool, then type-check the tests and the chart while vitest runs both packages' suites
 * in one worker pool (the root vitest.config.ts). Type-checking is one core's work for ~10 s and most suites wait on
 * git, registries and child processes, so running them side by side keeps both cores busy; run one after the other,
 * the same work took ~80 s on a 2-core machine instead of ~50 s.
 *
 * Arguments go to vitest (`npm test -- test/store.test.ts`). Exits with the first failing step's status.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

/** Run a command in the repository's root with the output shown as it comes; resolves to its exit status. */
function run(name, args) {
  return new Promise((resolve) => {
    const child = spawn(bin(name), args, { cwd: ROOT, stdio: 'inherit' });
    child.on('error', (error) => {
      console.error(`${name}: ${error.message}`);
      resolve(2);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

async function main() {
  const lint = await run('biome', ['check', '.']);
  if (lint !== 0) return lint;
  // The tool's dist/ is what the process-level tests run and what the chart imports: built before anything else.
  const build = await run('tsc', ['-b', 'apps/image-factory/tsconfig.build.json']);
  if (build !== 0) return build;
  const [types, tests] = await Promise.all([
    run('tsc', ['-b', 'apps/image-factory/tsconfig.test.json', 'cdk8s/image-factory']),
    run('vitest', ['run', ...process.argv.slice(2)]),
  ]);
  if (types !== 0) console.error('type errors (above): the tests ran, but npm test fails');
  return types !== 0 ? types : tests;
}

process.exitCode = await main();
