/**
 * Issue 19, item 5, delivery: nothing is lost and nothing sent twice, on Kargo's semantics. node-base (rebuildDelay
 * 1d) is built FROM node:22-bookworm-slim, which is re-pushed at 00:20 (after the 00:17 sweep), so the
 * node-22-bookworm-slim Warehouse (interval 1h) finds it at 01:00 and its -rebuild Stage's verification runs then.
 * - a git outage during that Job, shorter than the metric's retries (count 5, interval 10m, failureLimit 4): the
 *   AnalysisRun's retry records the update;
 * - an outage longer than the retries: the verification fails for good (Kargo never restarts it), and the hourly
 *   sweep (`rebuild --due`, which HEADs every base tag) records the update no Stage reported;
 * - a crash between the claim (committed) and the CI call: the claim is sent once more after the claim timeout,
 *   with the same key.
 * In each, node-base is dispatched exactly once, pinned to the new node digest.
 */
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { DAY_MS } from '../../src/util/time.js';
import type { GithubStub } from '../support/forge-stubs.js';
import { git, tempDir } from '../support/git-repos.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { installHook } from './pods.js';
import { type CatalogueImage, startWorld } from './scenario.js';

const MINUTE = 60_000;
const START = Date.parse('2026-11-01T00:00:00Z');
const PUSH = START + 20 * MINUTE;
const NODE_BASE: CatalogueImage = {
  name: 'node-base',
  repository: 'acme/node-base',
  movingTag: '22',
  major: 22,
  rebuildDelay: '1d',
  bases: [{ repository: 'library/node', tag: '22-bookworm-slim' }],
};

const open: { registry: TestRegistry; github: GithubStub }[] = [];
afterEach(async () => {
  for (const { registry, github } of open.splice(0)) {
    await github.close();
    await registry.stop();
  }
});

async function nodeBaseWorld() {
  const registry = await startRegistry('htpasswd');
  const started = await startWorld(registry, [NODE_BASE], START);
  open.push({ registry, github: started.github });
  let digest = '';
  started.world.at(PUSH, async () => {
    digest = (await started.world.push('library/node', ['22-bookworm-slim'])).digest;
  });
  return { ...started, newNode: () => digest };
}

const REBUILD_STAGE = /library-node-22-bookworm-slim-rebuild$/;

test('a git outage during the rebuild Job, shorter than the retries: the AnalysisRun’s retry records the update', async () => {
  const { world, newNode } = await nodeBaseWorld();
  world.gitOutage(PUSH + 39 * MINUTE, PUSH + 65 * MINUTE);
  await world.runUntil(START + 2 * DAY_MS);
  const run = world.analysisRuns.filter((r) => REBUILD_STAGE.test(r.stage)).at(-1);
  expect(run?.measurements, world.story()).toEqual(['Failed', 'Failed', 'Failed', 'Complete']);
  expect(run?.phase).toBe('Successful');
  expect(
    world.builds.map((b) => [b.image, b.bases.map((x) => [x.digest, x.pinned])]),
    world.story(),
  ).toEqual([['node-base', [[newNode(), true]]]]);
  expect(world.builds[0]?.dispatchedAt).toBeGreaterThanOrEqual(PUSH + DAY_MS);
}, 300_000);

test('an outage longer than the retries: the verification fails for good, the hourly sweep records the update', async () => {
  const { world, newNode } = await nodeBaseWorld();
  world.gitOutage(PUSH + 39 * MINUTE, PUSH + 160 * MINUTE);
  await world.runUntil(START + 2 * DAY_MS);
  const run = world.analysisRuns.filter((r) => REBUILD_STAGE.test(r.stage)).at(-1);
  expect(run?.measurements, world.story()).toEqual(['Failed', 'Failed', 'Failed', 'Failed', 'Failed']);
  expect(run?.phase).toBe('Failed');
  expect(
    world.builds.map((b) => [b.image, b.bases.map((x) => [x.digest, x.pinned])]),
    world.story(),
  ).toEqual([['node-base', [[newNode(), true]]]]);
}, 300_000);

test('a crash between the claim and the CI call: sent once more, after the claim timeout, with the same key', async () => {
  const { world, remote } = await nodeBaseWorld();
  // The pod dies right after its claim reached git (post-receive: the branch has moved): its whole process group,
  // as when a node is lost. Once only.
  const marker = join(tempDir('if-e2e-crash-'), 'crashed');
  installHook(
    remote,
    'post-receive',
    `#!/bin/sh\nwhile read old new ref; do\n  if [ ! -e "${marker}" ] && git log -1 --format=%B "$new" | grep -q ': claimed (key'; then\n    touch "${marker}"\n    /bin/kill -9 -- "-$(cut -d ' ' -f5 /proc/$$/stat)"\n  fi\ndone\nexit 0\n`,
  );
  await world.runUntil(START + 2 * DAY_MS);
  const claim = git(remote, 'log', '--format=%ct %B', '--grep', ': claimed (key', 'main');
  const key = /node-base: claimed \(key ([^)]+)\)/.exec(claim)?.[1];
  const claimedAt = Number(claim.split(' ')[0]) * 1000;
  const crashed = world.jobs.filter((j) => j.run.pods.some((p) => p.exitCode === 137));
  expect(crashed.length, world.story()).toBe(1);
  expect(
    world.builds.map((b) => b.key),
    world.story(),
  ).toEqual([key]);
  // Not before the claim timeout (2 h). `dispatchedAt` is the simulated tick the sweep's Job started at, while the claim
  // commit's time is the crashed Job's own clock, seconds into its run: allow that minute.
  expect(world.builds[0]?.dispatchedAt ?? 0).toBeGreaterThanOrEqual(claimedAt + 2 * 60 * MINUTE - MINUTE);
}, 300_000);
