/**
 * Rebuild rules the mutation run found unpinned (docs/mutation.md), written from docs/rebuilds.md: the urgency rule
 * read from Trivy reports ("Urgency", "Urgency for the first update too") and what a trigger sends ("Triggers").
 */
import { describe, expect, test } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { triggerRequest } from '../src/rebuild/trigger-request.js';
import {
  criticalFixed,
  summariseTrivyReport,
  urgencyOf,
  type VulnerabilitySummary,
} from '../src/rebuild/vulnerabilities.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

/** A Trivy JSON report (SchemaVersion 2) of `repoDigests` with `vulns` as [id, severity]. */
const trivy = (repoDigests: string[] | undefined, vulns: [string, string][] | null = []) => ({
  SchemaVersion: 2,
  ArtifactName: 'node:22',
  ...(repoDigests === undefined ? {} : { Metadata: { RepoDigests: repoDigests } }),
  Results: [
    {
      Target: 'debian',
      Vulnerabilities: vulns?.map(([id, severity]) => ({ VulnerabilityID: id, Severity: severity })) ?? null,
    },
  ],
});

const summary = (data: unknown): VulnerabilitySummary => {
  const result = summariseTrivyReport(data);
  if (!result.ok) throw new Error(result.error);
  return result.value;
};

describe('a Trivy report is matched by Metadata.RepoDigests', () => {
  test('the digests are read from repo@sha256:… in any order, each once, sorted', () => {
    const s = summary(
      trivy([`ghcr.io/acme/node@${D('b')}`, `docker.io/library/node@${D('a')}`, `node@${D('a')}`], [['CVE-1', 'LOW']]),
    );
    expect(s.digests).toEqual([D('a'), D('b')]);
    expect(s.repoDigests).toEqual([
      `docker.io/library/node@${D('a')}`,
      `ghcr.io/acme/node@${D('b')}`,
      `node@${D('a')}`,
    ]);
  });

  test('the digests are sorted by digest, not by the repository that names them', () => {
    expect(summary(trivy([`a.example/node@${D('b')}`, `b.example/node@${D('a')}`])).digests).toEqual([D('a'), D('b')]);
  });

  test('a report naming several digests is the current one when any of them is current', () => {
    const both = summary(trivy([`node@${D('0')}`, `node@${D('5')}`], [['CVE-1', 'CRITICAL']]));
    const next = summary(trivy([`node@${D('1')}`]));
    expect(urgencyOf([next, both], [D('0')], D('1'), () => false).fixed).toEqual(['CVE-1']);
  });

  test('a RepoDigest that does not end in a digest is not matched', () => {
    expect(summariseTrivyReport(trivy([`node@${D('a')}-suffix`, 'node:22']))).toEqual({
      ok: false,
      error: 'the report has no Metadata.RepoDigests: it cannot be matched to a digest',
    });
    expect(summary(trivy([`node@${D('a')}`, `node@${D('b')}-suffix`])).digests).toEqual([D('a')]);
  });

  test('a report without RepoDigests cannot be matched, and says so', () => {
    expect(summariseTrivyReport(trivy(undefined))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/RepoDigests/),
    });
  });

  test('counts by severity, one per finding; the CRITICAL ids each once, sorted; no findings (null) is zero', () => {
    const s = summary(
      trivy(
        [`node@${D('a')}`],
        [
          ['CVE-9', 'CRITICAL'],
          ['CVE-2', 'CRITICAL'],
          ['CVE-9', 'CRITICAL'],
          ['CVE-5', 'HIGH'],
        ],
      ),
    );
    expect(s.counts).toEqual({ CRITICAL: 3, HIGH: 1 });
    expect(s.critical).toEqual(['CVE-2', 'CVE-9']);
    expect(summary(trivy([`node@${D('a')}`], null))).toMatchObject({ counts: {}, critical: [] });
  });

  test('what is not a SchemaVersion 2 report is refused, naming where it differs', () => {
    const refused = summariseTrivyReport({ SchemaVersion: 1, Metadata: { RepoDigests: [`node@${D('a')}`] } });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error).toMatch(/^not a Trivy JSON report \(SchemaVersion 2\): \/SchemaVersion \S/);
    const notAnObject = summariseTrivyReport([]);
    expect(notAnObject.ok).toBe(false);
    if (!notAnObject.ok) expect(notAnObject.error).toMatch(/^not a Trivy JSON report \(SchemaVersion 2\): \/ \S/);
  });
});

describe('urgency: the new digest fixes a CRITICAL the current one has', () => {
  const node = (repoDigest: string) => repoDigest.startsWith('node@');
  const report = (digest: string, critical: string[], repo = 'node') =>
    summary(
      trivy(
        [`${repo}@${digest}`],
        critical.map((id) => [id, 'CRITICAL']),
      ),
    );

  test('criticalFixed: the current CRITICALs the next no longer has; unknown on either side is not urgent', () => {
    const current = report(D('0'), ['CVE-1', 'CVE-2']);
    const next = report(D('1'), ['CVE-2', 'CVE-3']);
    expect(criticalFixed(current, next)).toEqual(['CVE-1']);
    expect(criticalFixed(current, undefined)).toEqual([]);
    expect(criticalFixed(undefined, next)).toEqual([]);
  });

  test('the current report is the one of a current digest (any of them); others are named as unmatched', () => {
    const reports = [report(D('1'), []), report(D('0'), ['CVE-1']), report(D('9'), ['CVE-9'])];
    const urgency = urgencyOf(reports, [D('8'), D('0')], D('1'), node);
    expect(urgency.fixed).toEqual(['CVE-1']);
    expect(urgency.unmatched).toEqual([
      `a vulnerability report for node@${D('9')} describes neither the current nor the new digest: not used`,
    ]);
  });

  test('no report of the new digest, or none of the current one: not urgent', () => {
    expect(urgencyOf([report(D('0'), ['CVE-1'])], [D('0')], D('1'), node).fixed).toEqual([]);
    expect(urgencyOf([report(D('1'), [])], [D('0')], D('1'), node)).toEqual({ fixed: [], unmatched: [] });
  });

  test('the fixed ids are each once and sorted, whichever report lists them', () => {
    const reports = [report(D('1'), ['CVE-5']), report(D('0'), ['CVE-9', 'CVE-2', 'CVE-5'])];
    expect(urgencyOf(reports, [D('0')], D('1'), node).fixed).toEqual(['CVE-2', 'CVE-9']);
  });

  test('a known current digest is not stood for by another digest of the same repository', () => {
    const reports = [report(D('1'), []), report(D('7'), ['CVE-7'])];
    const urgency = urgencyOf(reports, [D('0')], D('1'), node);
    expect(urgency.fixed).toEqual([]);
    expect(urgency.unmatched).toHaveLength(1);
  });

  test('first update (current unknown): a report of the same repository stands for it, another repository does not', () => {
    const reports = [report(D('1'), []), report(D('7'), ['CVE-7']), report(D('6'), ['CVE-6'], 'nginx')];
    const urgency = urgencyOf(reports, [], D('1'), node);
    expect(urgency.fixed).toEqual(['CVE-7']);
    expect(urgency.unmatched).toEqual([
      `a vulnerability report for nginx@${D('6')} describes neither the current nor the new digest: not used`,
    ]);
  });

  test('a report stands for the current one when any of its RepoDigests is of the same repository', () => {
    const mirrored = summary(trivy([`mirror.example/node@${D('7')}`, `node@${D('7')}`], [['CVE-7', 'CRITICAL']]));
    expect(urgencyOf([report(D('1'), []), mirrored], [], D('1'), node).fixed).toEqual(['CVE-7']);
  });

  test('CRITICALs fixed over several current reports are sorted', () => {
    const reports = [report(D('1'), []), report(D('0'), ['CVE-9']), report(D('2'), ['CVE-2'])];
    expect(urgencyOf(reports, [D('0'), D('2')], D('1'), node).fixed).toEqual(['CVE-2', 'CVE-9']);
  });

  test('an unmatched report is named by all its RepoDigests', () => {
    const other = summary(trivy([`a.example/x@${D('5')}`, `b.example/x@${D('5')}`]));
    expect(urgencyOf([report(D('1'), []), other], [D('0')], D('1'), node).unmatched).toEqual([
      `a vulnerability report for a.example/x@${D('5')}, b.example/x@${D('5')} describes neither the current nor the new digest: not used`,
    ]);
  });

  test('the report of the new digest never stands for the current one', () => {
    expect(urgencyOf([report(D('1'), ['CVE-1'])], [], D('1'), node)).toEqual({ fixed: [], unmatched: [] });
  });
});

describe('what a trigger sends (docs/rebuilds.md "Triggers")', () => {
  const managed = (source: string) => {
    const loaded = loadEnrolment(
      `images:\n  - name: api\n    registry: ghcr.io\n    repository: acme/api\n    source:\n${source}`,
      'images.yaml',
    ).images[0];
    if (loaded?.kind !== 'managed') throw new Error('not managed');
    return loaded;
  };
  const endpoints = {
    githubApiUrl: 'https://github.example.com/api/v3',
    gitlabUrl: 'https://gitlab.example.com',
    githubToken: true,
    gitlabToken: true,
  };
  const github = '      provider: github\n      repo: acme/api\n      dockerfile: Dockerfile\n';
  const gitlab =
    '      provider: gitlab\n      repo: acme/images/api\n      dockerfile: Dockerfile\n      branch: release\n';

  test('GitHub without source.workflow cannot be triggered: the reason names the image', () => {
    expect(triggerRequest(managed(github), endpoints, 'api-k')).toBe('images.yaml names no source.workflow for api');
    expect(triggerRequest(managed(github), endpoints, 'api-k', '', true)).toBe(
      'images.yaml names no source.workflow for api',
    );
  });

  test('GitHub: a workflow dispatch on the configured API', () => {
    const made = triggerRequest(managed(`${github}      workflow: build.yaml\n`), endpoints, 'api-k');
    if (typeof made === 'string') throw new Error(made);
    expect(made.target).toEqual({
      provider: 'github',
      repo: 'acme/api',
      branch: 'main',
      workflow: 'build.yaml',
      inputs: {},
    });
    expect(made.request.url).toBe(
      'https://github.example.com/api/v3/repos/acme/api/actions/workflows/build.yaml/dispatches',
    );
  });

  test('GitLab: a pipeline on the branch, with the declared key and pins as variables; no token, not sent', () => {
    const source = `${gitlab}      triggerKeyInput: factory_key\n      baseImagesInput: factory_bases\n`;
    const made = triggerRequest(managed(source), endpoints, 'api-k', 'node:22=docker-image://x');
    if (typeof made === 'string') throw new Error(made);
    expect(made.target).toEqual({
      provider: 'gitlab',
      repo: 'acme/images/api',
      branch: 'release',
      inputs: { factory_key: 'api-k', factory_bases: 'node:22=docker-image://x' },
    });
    expect(made.request.method).toBe('POST');
    expect(made.request.url).toBe(
      'https://gitlab.example.com/api/v4/projects/acme%2Fimages%2Fapi/pipeline?ref=release',
    );
    expect(JSON.parse(made.request.body ?? 'null')).toEqual({
      variables: [
        { key: 'factory_key', value: 'api-k' },
        { key: 'factory_bases', value: 'node:22=docker-image://x' },
      ],
    });

    const noToken = { ...endpoints, gitlabToken: false };
    expect(triggerRequest(managed(gitlab), noToken, 'api-k')).toBe(
      'no GitLab token: set GITLAB_TOKEN or --gitlab-token-file',
    );
    // A dry run builds the request without a token: nothing is sent.
    const dry = triggerRequest(managed(gitlab), noToken, 'api-k', '', true);
    expect(typeof dry === 'string' ? dry : dry.target.provider).toBe('gitlab');
  });

  test('the pins input is sent empty when there are no pins, never a placeholder', () => {
    const made = triggerRequest(managed(`${gitlab}      baseImagesInput: factory_bases\n`), endpoints, 'api-k');
    if (typeof made === 'string') throw new Error(made);
    expect(made.target.inputs).toEqual({ factory_bases: '' });
  });
});
