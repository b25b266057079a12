import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest defaults to one worker on a 2-core machine (cores − 1); most suites here wait on git and child
    // processes, so two files at a time finish sooner.
    maxWorkers: 2,
  },
});
