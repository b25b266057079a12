/**
 * Suites that run in `npm run test:e2e` beside the cluster scenarios instead of in `npm test`: each drives many whole
 * jobs end to end (real git remotes, forge stubs, the registry) and costs tens of seconds of both cores, which the
 * 90-second budget of `npm test` on a 2-core machine cannot hold beside everything else. `.ci/run` runs both.
 * - concurrency: 32 `analyze` runs racing to push to one remote (a stress test of the push race);
 * - rebuild-crash: a rebuild killed (kill -9, its whole process group) between each two of its steps, then healed by
 *   the next sweep: each scenario runs several whole rebuild processes against a hook that holds a push open;
 * - request-add, request-provision-forge, request-provision-flow: image requests through every tier on GitHub and
 *   GitLab, from `request add` to provisioning and the audit log (issue 23's Done-when, through the CLI).
 * The pure rules and the single-job behaviour of the same code stay in `npm test` (request-policy, request-check-*,
 * request-provision, request-provision-plan, analyze-git, …).
 */
export const SLOW_SUITES = [
  'test/concurrency.test.ts',
  'test/rebuild-crash.test.ts',
  'test/request-add.test.ts',
  'test/request-provision-forge.test.ts',
  'test/request-provision-flow.test.ts',
];
