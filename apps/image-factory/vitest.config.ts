import { accessSync, constants } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';
import { SLOW_SUITES } from './test/e2e/slow-suites.js';

/**
 * The git tests create and delete thousands of small files (clones, packs) in the temporary folder. On a tmpfs
 * they cost a third of what they cost on this machine's disk, so the suite uses /dev/shm when it can write there;
 * the CLI's own default stays the system temp folder. Set TMPDIR yourself to choose another.
 */
function scratch(): Record<string, string> {
  if (process.env.TMPDIR) return {};
  try {
    accessSync('/dev/shm', constants.W_OK);
    return { TMPDIR: '/dev/shm' };
  } catch {
    return {};
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The slow end-to-end suites run in `npm run test:e2e` (test/e2e/slow-suites.ts says why).
    exclude: [...configDefaults.exclude, ...SLOW_SUITES],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: scratch(),
    setupFiles: ['test/setup.ts'],
    // Vitest defaults to one worker on a 2-core machine (cores − 1); most suites here wait on git, registries and
    // child processes, so three files at a time finish sooner (measured: 30 s against 36 s with two).
    maxWorkers: 3,
    // Test files share a worker's module graph: every file imports most of src, and re-evaluating it per file cost
    // about as much as the tests themselves. No test relies on a fresh module state.
    isolate: false,
  },
});
