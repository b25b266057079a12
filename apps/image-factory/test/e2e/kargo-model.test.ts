/**
 * The e2e harness's model of Kargo and Argo Rollouts, checked against the rules it cites (fast: part of `npm test`).
 * The scenarios that use it (`*.e2e.ts`, `npm run test:e2e`) are only as good as these rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, pushImage, startRegistry, type TestRegistry, USER } from '../support/registry.js';
import { type ExpressionEnv, evaluateArg, evaluateTemplate } from './kargo-expressions.js';
import { discover, type Freight, freightFromNewest, readWarehouse } from './kargo-warehouse.js';
import { createAnalysisRun, nextMeasurementAt, recordMeasurement } from './rollouts-analysis.js';

const freight: Freight = {
  name: 'f1',
  origin: 'Warehouse/postgres',
  repoURL: 'docker.io/library/postgres',
  tag: '16.4',
  digest: 'sha256:abc',
  discoveredAt: 0,
};
const env: ExpressionEnv = {
  requestedWarehouses: ['postgres'],
  subscriptions: new Map([['postgres', ['docker.io/library/postgres']]]),
  freight: [freight],
};

describe('expressions (json_templates.go)', () => {
  it('reads a whole-expression value JSON-first: a tag 16.4 becomes a number, and the arg is refused', () => {
    const bare = '${{ imageFrom("docker.io/library/postgres", warehouse("postgres")).Tag }}';
    expect(evaluateTemplate(bare, env)).toBe(16.4);
    expect(() => evaluateArg('tag', bare, env)).toThrow(/not a string but number/);
  });

  it('keeps a quoted one a string', () => {
    expect(
      evaluateArg('tag', '${{ quote(imageFrom("docker.io/library/postgres", warehouse("postgres")).Tag) }}', env),
    ).toBe('16.4');
  });

  it('matches imageFrom’s repoURL exactly as written (another spelling finds nothing: a nil member fetch fails)', () => {
    expect(() => evaluateArg('tag', '${{ quote(imageFrom("postgres", warehouse("postgres")).Tag) }}', env)).toThrow(
      /cannot fetch Tag/,
    );
  });

  it('leaves a value without an expression as it is ("42" stays a string)', () => {
    expect(evaluateTemplate('42', env)).toBe('42');
  });
});

describe('the Rollouts metric (analysis.go)', () => {
  const template = {
    spec: {
      args: [{ name: 'tag' }, { name: 'repo', value: 'default' }],
      metrics: [
        {
          name: 'm',
          count: 5,
          interval: '10m',
          failureLimit: 4,
          consecutiveSuccessLimit: 1,
          provider: { job: { spec: { template: { spec: { containers: [{ args: ['--tag={{args.tag}}'] }] } } } } },
        },
      ],
    },
  };

  it('substitutes the merged args, retries every interval after a failure and stops at the first success', () => {
    const run = createAnalysisRun(
      template,
      { tag: '22', ignored: 'x' },
      { name: 'r', stage: 's', collectionId: 'c', createdAt: 0 },
    );
    expect(run.args).toEqual({ tag: '22', repo: 'default' });
    expect(JSON.stringify(run.metric.jobSpec)).toContain('--tag=22');
    expect(nextMeasurementAt(run)).toBe(0);
    recordMeasurement(run, 'Failed', 60_000);
    expect(run.phase).toBe('Running');
    expect(nextMeasurementAt(run)).toBe(660_000);
    recordMeasurement(run, 'Complete', 720_000);
    expect(run.phase).toBe('Successful');
    expect(nextMeasurementAt(run)).toBeUndefined();
  });

  it('fails at the fifth failure (failed 5 > failureLimit 4)', () => {
    const run = createAnalysisRun(template, { tag: '1' }, { name: 'r', stage: 's', collectionId: 'c', createdAt: 0 });
    for (let i = 0; i < 5; i++) recordMeasurement(run, 'Failed', i);
    expect(run.phase).toBe('Failed');
  });

  it('refuses an arg without a value', () => {
    expect(() => createAnalysisRun(template, {}, { name: 'r', stage: 's', collectionId: 'c', createdAt: 0 })).toThrow(
      /unresolved argument "tag"/,
    );
  });
});

describe('Warehouse discovery against the real registry (pkg/image)', () => {
  let registry: TestRegistry;
  let access: { baseUrl: string; authorization: string };
  beforeAll(async () => {
    registry = await startRegistry('htpasswd');
    access = {
      baseUrl: `http://${registry.host}`,
      authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
    };
  });
  afterAll(async () => registry?.stop());

  const warehouse = (image: Record<string, unknown>) =>
    readWarehouse({ metadata: { name: 'w' }, spec: { interval: '1h0m0s', subscriptions: [{ image }] } });

  it('SemVer with the default strictSemvers skips a tag like 22 and sorts the rest greatest first', async () => {
    for (const tag of ['22', '22.1.0', '22.10.0', '22.2.0'])
      await pushImage(registry, 'acme/semver', tag, { created: '2026-01-01T00:00:00Z', layer: tag });
    const w = warehouse({ repoURL: `${registry.host}/acme/semver` });
    expect((await discover(access, w.subscription)).map((i) => i.tag)).toEqual(['22.10.0', '22.2.0', '22.1.0']);
    const loose = warehouse({ repoURL: `${registry.host}/acme/semver`, strictSemvers: false });
    expect((await discover(access, loose.subscription)).map((i) => i.tag)).toEqual([
      '22.10.0',
      '22.2.0',
      '22.1.0',
      '22',
    ]);
  });

  it('Digest follows exactly the constraint tag; Freight is made from the newest image and named by its content', async () => {
    const first = await pushImage(registry, 'acme/digest', '22', { created: '2026-01-01T00:00:00Z', layer: 'a' });
    const w = warehouse({
      repoURL: `${registry.host}/acme/digest`,
      imageSelectionStrategy: 'Digest',
      constraint: '22',
    });
    const a = freightFromNewest(w, await discover(access, w.subscription), 1);
    expect(a?.digest).toBe(first.digest);
    expect(freightFromNewest(w, await discover(access, w.subscription), 2)?.name).toBe(a?.name);
    const second = await pushImage(registry, 'acme/digest', '22', { created: '2026-01-02T00:00:00Z', layer: 'b' });
    const b = freightFromNewest(w, await discover(access, w.subscription), 3);
    expect([b?.digest, b?.name === a?.name]).toEqual([second.digest, false]);
    const missing = warehouse({
      repoURL: `${registry.host}/acme/digest`,
      imageSelectionStrategy: 'Digest',
      constraint: '23',
    });
    expect(await discover(access, missing.subscription)).toEqual([]);
  });
});
