import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { SLOW_SUITES } from './slow-suites.js';

/**
 * The end-to-end scenarios (`npm run test:e2e`): each simulates days of a cluster and runs every Job as a process,
 * so they take minutes, not seconds, and stay out of `npm test`; so do the slow end-to-end suites of slow-suites.ts. One file at a time: the scenarios measure the
 * product, not the machine, and the Jobs already keep both cores busy.
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
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/e2e/**/*.e2e.ts', ...SLOW_SUITES],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
    env: scratch(),
    setupFiles: ['test/setup.ts'],
  },
});
