/**
 * The signature gate in the views (issue 22 item 3): "the report and the metrics show blocked and unsigned images;
 * `compliance` flags running containers whose digest fails its image's policy". Given a GitOps checkout whose state
 * records a base digest blocked (unsigned) and one used with a warning (warn policy, signed by a stranger's key):
 * `status` (text and --json), `report --json` and `--format openmetrics` list them, and `compliance` flags a
 * container running the blocked digest (`--fail-on signature` exits 1), not one running the current digest.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { planRun, type RequestFor, recordTriggerOutcome, verdictKey, verdictOf } from '../src/rebuild/index.js';
import { triggerRequest } from '../src/rebuild/trigger-request.js';
import type { VerifyPolicy } from '../src/signatures/index.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { renderState } from '../src/state/store.js';
import { EMPTY_STATE } from '../src/state/types.js';
import { cli } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const CURRENT = D('a');
const UNSIGNED = D('b');
const IMAGES = `images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    rebuildDelay: "0"\n    source:\n      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n      workflow: build.yaml\nbaseImagePolicies:\n  - match: docker.io/library/node\n    verify:\n      keys:\n        - file: keys/cosign.pub\n      requireTransparencyLog: false\n  - match: docker.io/library/nginx\n    verify:\n      mode: warn\n      keys:\n        - file: keys/cosign.pub\n      requireTransparencyLog: false\n`;
let root: string;

/** A pod running `image` at `digest` (the shape kubectl get pods -A -o json gives). */
function pod(name: string, image: string, digest: string) {
  const repository = image.replace(/:[^/]*$/, '');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-0`,
      namespace: 'shop',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name, controller: true }],
    },
    spec: { containers: [{ name, image }] },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name,
          image,
          imageID: `${repository}@${digest}`,
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: '2026-11-09T00:00:00Z' } },
        },
      ],
    },
  };
}

beforeAll(() => {
  const enrolment = loadEnrolment(IMAGES, 'images.yaml');
  const initial = planStateUpdate(EMPTY_STATE, enrolment, [
    {
      image: 'api',
      dockerfile: 'Dockerfile',
      uses: analyseDockerfile('FROM node:22\nFROM nginx:1.27\n', 'Dockerfile', {}),
      build: { tag: '1', digest: D('f') },
    },
  ]);
  const endpoints = {
    githubApiUrl: 'https://api.github.com',
    gitlabUrl: 'https://gitlab.com',
    githubToken: true,
    gitlabToken: true,
  };
  const requestFor: RequestFor = (image, key, contexts) => triggerRequest(image, endpoints, key, contexts);
  const policy = (i: number): VerifyPolicy => {
    const verify = enrolment.baseImagePolicies?.[i]?.verify;
    if (verify === undefined) throw new Error('the test enrolment has two policies');
    return verify;
  };
  const run = (
    state: typeof initial,
    base: string,
    digest: string,
    day: string,
    verdict: ReturnType<typeof verdictOf>,
  ) =>
    planRun({
      state,
      enrolment,
      updates: [{ update: { base, digest, released: day, seen: day, urgent: false }, builds: new Map() }],
      now: day,
      claimTimeoutSeconds: 7200,
      requestFor,
      verdicts: new Map([[verdictKey(base, digest), verdict]]),
    });
  const first = run(initial, 'node-22', CURRENT, '2026-11-01T00:00:00Z', { status: 'passed' });
  let state = recordTriggerOutcome(
    first.state,
    first.sends[0]?.key ?? '',
    { status: 'triggered', answer: 'HTTP 204' },
    '2026-11-01T00:00:00Z',
  );
  state = run(
    state,
    'node-22',
    UNSIGNED,
    '2026-11-02T00:00:00Z',
    verdictOf(
      { verified: false, reason: `${UNSIGNED} is not signed (no cosign signature found)`, signatures: [] },
      policy(0),
    ),
  ).state;
  const warned = run(
    state,
    'nginx-1-27',
    D('c'),
    '2026-11-03T00:00:00Z',
    verdictOf(
      {
        verified: false,
        reason: `no signature of ${D('c')} satisfies the policy (1 found: not signed by any key the policy trusts (or the signature is corrupt))`,
        signatures: [
          { format: 'legacy', kind: 'key', issuer: null, subject: null, tlog: false, valid: false, problem: 'x' },
        ],
      },
      policy(1),
    ),
  );
  state = warned.state;
  root = tempDir('if-gate-views-');
  writeFileSync(join(root, 'images.yaml'), IMAGES);
  for (const [path, content] of renderState(state)) {
    mkdirSync(join(root, 'image-factory', 'state', path, '..'), { recursive: true });
    writeFileSync(join(root, 'image-factory', 'state', path), content);
  }
  writeFileSync(
    join(root, 'pods.json'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [pod('old-node', 'node:22', CURRENT), pod('bad-node', 'node:22', UNSIGNED)],
    }),
  );
});

describe('status', () => {
  test('--json lists the blocked digest (unsigned, with why) and the one used with a warning', async () => {
    const result = await cli(['status', '--root', root, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const { signatures } = JSON.parse(result.stdout);
    expect(signatures.blocked).toEqual([
      {
        base: 'node-22',
        reference: 'docker.io/library/node:22',
        digest: UNSIGNED,
        reason: expect.stringContaining('signed by nobody'),
        unsigned: true,
        seen: '2026-11-02T00:00:00Z',
      },
    ]);
    expect(signatures.warnings).toEqual([
      expect.objectContaining({ base: 'nginx-1-27', digest: D('c'), unsigned: false }),
    ]);
    expect(signatures.warnings[0].reason).toContain('signed by an unknown key');
  });

  test('the text lists them under signatures', async () => {
    const result = await cli(['status', '--root', root]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`node-22 ${UNSIGNED.slice(0, 19)}: blocked (unsigned), seen 2026-11-02T00:00:00Z:`);
    expect(result.stdout).toContain(`nginx-1-27 ${D('c').slice(0, 19)}: used with a warning`);
  });
});

describe('report', () => {
  test('--json: the blocked and warned digests, and the summary counts blocked and unsigned', async () => {
    const result = await cli(['report', '--root', root, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.signatures.blocked.map((b: { digest: string }) => b.digest)).toEqual([UNSIGNED]);
    expect(report.signatures.warnings.map((b: { digest: string }) => b.digest)).toEqual([D('c')]);
    expect(report.summary).toMatchObject({ blockedDigests: 1, unsignedDigests: 1 });
  });

  test('the HTML page has a Signatures section with each digest, its verdict and why', async () => {
    const out = join(root, 'report.html');
    const result = await cli(['report', '--root', root, '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<h2>Signatures</h2>');
    expect(html).toContain(`<td><code>${UNSIGNED}</code></td><td class="stale">blocked (unsigned)</td>`);
    expect(html).toContain(`<td><code>${D('c')}</code></td><td>warning</td>`);
    expect(html).toMatch(/<div class="card"><b>blocked digests<\/b>1 \(1 unsigned\)<\/div>/);
  });

  test('openmetrics: blocked digests per base, unsigned or not', async () => {
    const result = await cli(['report', '--root', root, '--format', 'openmetrics']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('image_factory_blocked_digests{image="node-22",kind="base",unsigned="true"} 1\n');
    expect(result.stdout).toContain('image_factory_blocked_digests{image="node-22",kind="base",unsigned="false"} 0\n');
    expect(result.stdout).not.toContain('image_factory_blocked_digests{image="nginx-1-27"');
  });
});

describe('compliance', () => {
  test('a container running the blocked digest is flagged with why; one running the current digest is not', async () => {
    const result = await cli(['compliance', '--root', root, '--workloads', join(root, 'pods.json'), '--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const containers = report.workloads.flatMap((w: { containers: unknown[] }) => w.containers);
    const byPod = new Map(containers.map((c: { pod: string }) => [c.pod, c]));
    expect(byPod.get('bad-node-0')).toMatchObject({
      signature: { verdict: 'blocked', reason: expect.stringContaining('signed by nobody') },
    });
    expect(byPod.get('old-node-0')).not.toHaveProperty('signature');
    expect(report.signatures).toEqual({ blocked: 1, warning: 0, unverifiable: 0 });
  });

  test('--fail-on signature exits 1 and the text says which container and why', async () => {
    const result = await cli([
      'compliance',
      '--root',
      root,
      '--workloads',
      join(root, 'pods.json'),
      '--fail-on',
      'signature',
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('shop/bad-node-0/bad-node: signature blocked:');
    expect(result.stdout).toContain('1 run a digest blocked by its signature policy');
  });
});
