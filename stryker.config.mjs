// @ts-check
/**
 * `npm run mutate`: Stryker over the pure core (docs/mutation.md). A surviving mutant is a behaviour no test pins:
 * kill it with a test written from the rule (test/mutants-*.test.ts) or name it as equivalent in docs/mutation.md.
 *
 * Only the fast pure-rule suites run: the registry, git, forge and process suites need services, take minutes, and
 * run the compiled CLI (dist/), which Stryker does not mutate anyway.
 */

const SRC = 'apps/image-factory/src';
const TEST = 'apps/image-factory/test';

/** The pure core: rules that take values and return values (no files, network, clocks or processes). */
const PURE_CORE = [
  `${SRC}/rebuild/wave.ts`,
  `${SRC}/rebuild/record.ts`,
  `${SRC}/rebuild/pins.ts`,
  `${SRC}/rebuild/plan-run.ts`,
  `${SRC}/rebuild/trigger-request.ts`,
  `${SRC}/rebuild/vulnerabilities.ts`,
  `${SRC}/rebuild/urgency.ts`,
  `${SRC}/rebuild/gate.ts`,
  `${SRC}/state/plan.ts`,
  `${SRC}/state/freshness.ts`,
  `${SRC}/state/vulnerabilities.ts`,
  `${SRC}/warehouses/plan.ts`,
  `${SRC}/report/model.ts`,
  `${SRC}/compliance/check.ts`,
  `${SRC}/registry/platform.ts`,
  `${SRC}/registry/challenge.ts`,
  `${SRC}/registry/realm.ts`,
  `${SRC}/registry/tag-selection.ts`,
  `${SRC}/dockerfile/variables.ts`,
  `${SRC}/util/time.ts`,
];

/** The suites that exercise those rules in-process, each in well under a second. */
const FAST_SUITES = [
  'rebuild-claims',
  'rebuild-pinning',
  'rebuild-pins',
  'rebuild-record',
  'rebuild-rules',
  'rebuild-stored-urgency',
  'rebuild-later-wave',
  'rebuild-gate',
  'rebuild-given-reports',
  'views-vulnerabilities',
  'pinned-rules',
  'plan',
  'store',
  'warehouses',
  'views-rules',
  'kargo-runtime-rules',
  'example-catalogue',
  'registry-rules',
  'variables',
  'parse-dockerfile',
  'limits',
].map((name) => `${TEST}/${name}.test.ts`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { related: false },
  mutate: PURE_CORE,
  testFiles: [...FAST_SUITES, `${TEST}/mutants-*.test.ts`],
  coverageAnalysis: 'perTest',
  // A mutant reached only while modules load (a constant table, a regex) would need a fresh module graph and all the
  // suites per mutant: on this 2-core machine 54 % of src/rebuild/'s mutants, most of the run, and many of them time
  // out from the load alone. Mutants also reached inside a test still run (against those tests); the ones reached only
  // at load are reported as Ignored and counted in docs/mutation.md. `npm run mutate -- --ignoreStatic false` tests
  // them too.
  ignoreStatic: true,
  // A busy machine (the suites of others running beside) slows a normal run past the default 5 s margin.
  timeoutMS: 8000,
  concurrency: 2,
  // A rerun tests only the mutants whose code or covering tests changed. The file is a cache of this machine's
  // last run (it changes with every edit of src or test), so it stays out of git with the reports.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // '.stryker-tmp': another run's sandboxes (two runs side by side would copy each other's, mid-deletion).
  ignorePatterns: ['kustomize', 'bench', 'reports', '.demo', '.bench', 'coverage', '.stryker-tmp'],
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
};
