/**
 * Issue 22, "Done when": in the cluster, a base update whose new digest is unsigned (or signed by a key the policy
 * does not trust) is blocked and recorded, no dependent is triggered, and the next properly signed digest goes
 * through. images.yaml covers node with a keyed policy (`baseImagePolicies`, the key a file in the GitOps
 * repository, as a team's own key is kept); the signatures are cosign's legacy `.sig` layout, made by the test.
 * node:22-bookworm-slim is re-pushed unsigned on day 1, signed by a stranger's key on day 3 and by the team's key on
 * day 5; app (rebuildDelay 1d) is built FROM it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DAY_MS, formatInstant } from '../../src/util/time.js';
import { cosignSign, keyPair } from '../support/cosign.js';
import type { GithubStub } from '../support/forge-stubs.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { type CatalogueImage, startWorld } from './scenario.js';
import type { World } from './world.js';

const START = Date.parse('2026-11-01T00:00:00Z');
const UNSIGNED = START + DAY_MS;
const WRONG_KEY = START + 3 * DAY_MS;
const SIGNED = START + 5 * DAY_MS;
const END = START + 8 * DAY_MS;
const NODE = 'library/node';
const IMAGES: CatalogueImage[] = [
  {
    name: 'app',
    repository: 'acme/app',
    movingTag: '1',
    major: 1,
    rebuildDelay: '1d',
    bases: [{ repository: NODE, tag: '22-bookworm-slim' }],
  },
];

const team = keyPair();
const stranger = keyPair();
let registry: TestRegistry;
let github: GithubStub;
let world: World;
const digests: Record<string, string> = {};

beforeAll(async () => {
  registry = await startRegistry('htpasswd');
  ({ world, github } = await startWorld(registry, IMAGES, START, {
    enrolment: {
      yaml: `baseImagePolicies:\n  - match: ${registry.host}/${NODE}\n    verify:\n      keys:\n        - file: keys/cosign.pub\n      requireTransparencyLog: false\n`,
      files: { 'keys/cosign.pub': team.publicPem },
    },
  }));
  // The digest app is built on at install was signed by the team.
  digests.installed = await world.digestOf(NODE, '22-bookworm-slim');
  await cosignSign(registry, NODE, digests.installed, team.privateKey);
  world.at(UNSIGNED, async () => {
    digests.unsigned = (await world.push(NODE, ['22-bookworm-slim'])).digest;
  });
  world.at(WRONG_KEY, async () => {
    digests.wrongKey = (await world.push(NODE, ['22-bookworm-slim'])).digest;
    await cosignSign(registry, NODE, digests.wrongKey, stranger.privateKey);
  });
  world.at(SIGNED, async () => {
    digests.signed = (await world.push(NODE, ['22-bookworm-slim'])).digest;
    await cosignSign(registry, NODE, digests.signed, team.privateKey);
  });
  await world.runUntil(END);
}, 600_000);

afterAll(async () => {
  await github?.close();
  await registry?.stop();
});

/** node's state file at the remote's tip. */
function nodeRecord(): { seen: { digest: string; blocked?: string }[]; current?: { digest: string } } {
  const path = world.baseImageFilesAtTip().find((f) => f.includes('library-node'));
  return parse(world.file(path ?? '') ?? '').rebuild;
}

describe('the signature gate in the cluster', () => {
  test('every Job completed and every verification succeeded (a blocked digest is a decision, not a failure)', () => {
    const failed = world.jobs.filter((j) => j.run.condition !== 'Complete');
    expect(failed.map((j) => `${formatInstant(j.at)} ${j.kind}: ${j.run.pods.at(-1)?.stderr.slice(-400)}`)).toEqual([]);
    expect(world.analysisRuns.filter((r) => r.phase !== 'Successful').map((r) => r.name)).toEqual([]);
  });

  test('the unsigned digest and the one signed by a stranger are recorded blocked, saying why', () => {
    const seen = nodeRecord().seen;
    const unsigned = seen.find((d) => d.digest === digests.unsigned);
    expect(unsigned?.blocked, world.story()).toContain('signed by nobody');
    expect(unsigned?.blocked).toContain('the policy wants a signature by the key in keys/cosign.pub');
    const wrong = seen.find((d) => d.digest === digests.wrongKey);
    expect(wrong?.blocked).toContain('not signed by any key the policy trusts');
    expect(seen.find((d) => d.digest === digests.signed)?.blocked).toBeUndefined();
  });

  test('no dependent is triggered on a blocked digest: app is built once, after the signed push, pinned to it', () => {
    const builds = world.builds.filter((b) => b.image === 'app');
    expect(
      builds.map((b) => `${formatInstant(b.dispatchedAt)} ${b.bases.map((x) => x.digest.slice(0, 19)).join(',')}`),
      world.story(),
    ).toHaveLength(1);
    const [build] = builds;
    expect(build?.dispatchedAt).toBeGreaterThan(SIGNED);
    expect(build?.bases).toEqual([expect.objectContaining({ digest: digests.signed, pinned: true })]);
    expect(nodeRecord().current?.digest).toBe(digests.signed);
  });
});
