/**
 * A Trivy report summarised as issue 21 says, on Trivy's own reports (test/fixtures/trivy-golden, from
 * aquasecurity/trivy integration/testdata; SOURCE.md): one count per `Results[].Vulnerabilities[]` entry by severity
 * (the Trivy Operator's counts), `fixable` = the CRITICAL and HIGH findings with `Status: fixed`, `eosl` =
 * `Metadata.OS.EOSL` (false when absent), the Trivy version, the database time when the report carries it, and
 * `scannedAt` = the report's `CreatedAt`. The expected values are read off the fixtures by hand.
 */
import { createHash } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { parseTrivyReport, summariseScan, type TrivyReport } from '../src/scan/index.js';
import { MAX_FIXABLE_FINDINGS, STATE_FORMATS, VulnerabilityScanSchema } from '../src/state/schema.js';
import { fixture } from './helpers.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const NOW = '2026-12-01T00:00:00Z';
/** Trivy's CreatedAt in every golden report (2021-08-25T12:20:30.000000005Z), to the second. */
const CREATED = '2021-08-25T12:20:30Z';

/** A golden report with its RepoDigests placeholder filled, parsed as the tool parses it. */
function golden(name: string, repoDigest = `127.0.0.1:5000/base/img@${DIGEST}`): TrivyReport {
  const text = fixture(`trivy-golden/${name}.json.golden`).replace('${REPOSITORY}@${DIGEST}', repoDigest);
  const parsed = parseTrivyReport(JSON.parse(text));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

/** The state contract, checked as the store checks what it writes. */
const ajv = new Ajv2020({ strict: false });
for (const [name, validate] of Object.entries(STATE_FORMATS)) ajv.addFormat(name, { type: 'string', validate });
const validScan = ajv.compile(VulnerabilityScanSchema);

function summarise(report: TrivyReport, now = NOW) {
  const result = summariseScan(report, { digest: DIGEST, now });
  if (!result.ok) throw new Error(result.error);
  expect(validScan(result.value), JSON.stringify(validScan.errors)).toBe(true);
  return result.value;
}

const zero = { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 };

describe("Trivy's golden reports", () => {
  test('the fixtures are upstream bytes but for the one RepoDigests entry inserted (SOURCE.md)', () => {
    // Git blob ids of aquasecurity/trivy@dc3c56eed58ab21c7e08d26757c517bc946a86c5 integration/testdata/<name>.json.golden
    const upstream: Record<string, string> = {
      'debian-buster': '44bdd6f90fa554cdc232839df3f852c3c69aebc0',
      'alpine-39': '77306e342be16767fa14b57ba0610bd19a9c448a',
      'mariner-1.0': '5f88dc39d6063fad2c31db9134d60327287345d3',
      'alpine-39-skip': 'c110e4318dd9823dba7dccdf019ef2870ba85254',
      'sl-micro-rancher5.4': '0466d9b316c93714c4666fc407f37fe9c79d44dc',
    };
    const inserted = '    "RepoDigests": [\n      "${REPOSITORY}@${DIGEST}"\n    ],\n';
    for (const [name, blob] of Object.entries(upstream)) {
      const text = fixture(`trivy-golden/${name}.json.golden`);
      expect(text.split(inserted).length, name).toBe(2);
      const original = Buffer.from(text.replace(inserted, ''));
      const id = createHash('sha1')
        .update(Buffer.concat([Buffer.from(`blob ${original.length}\0`), original]))
        .digest('hex');
      expect(id, name).toBe(blob);
    }
  });

  test('a fixed CRITICAL (debian-buster): counted, listed as fixable; the unfixed LOW counted only', () => {
    expect(summarise(golden('debian-buster'))).toEqual({
      digest: DIGEST,
      scannedAt: CREATED,
      trivyVersion: 'dev',
      dbUpdatedAt: null,
      summary: { ...zero, criticalCount: 1, lowCount: 1 },
      fixable: [
        {
          id: 'CVE-2019-18224',
          severity: 'CRITICAL',
          package: 'libidn2-0',
          installed: '2.0.5-1',
          fixed: '2.0.5-1+deb10u1',
        },
      ],
      eosl: false,
    });
  });

  test('an end-of-life OS (alpine 3.9): eosl; one CRITICAL in two packages is two findings, two fixable entries', () => {
    const scan = summarise(golden('alpine-39'));
    expect(scan.eosl).toBe(true);
    expect(scan.summary).toEqual({ ...zero, criticalCount: 2, mediumCount: 4 });
    expect(scan.fixable).toEqual([
      { id: 'CVE-2019-14697', severity: 'CRITICAL', package: 'musl', installed: '1.1.20-r4', fixed: '1.1.20-r5' },
      {
        id: 'CVE-2019-14697',
        severity: 'CRITICAL',
        package: 'musl-utils',
        installed: '1.1.20-r4',
        fixed: '1.1.20-r5',
      },
    ]);
  });

  test('an unfixed finding (mariner 1.0: HIGH, Status affected) is counted and not fixable; a fixed LOW is not listed', () => {
    const scan = summarise(golden('mariner-1.0'));
    expect(scan.summary).toEqual({ ...zero, highCount: 1, lowCount: 1 });
    expect(scan.fixable).toEqual([]);
    expect(scan.eosl).toBe(false);
  });

  test('no vulnerabilities: no Results at all (alpine-39-skip), and Results without Vulnerabilities (SL Micro)', () => {
    for (const name of ['alpine-39-skip', 'sl-micro-rancher5.4']) {
      const scan = summarise(golden(name));
      expect(scan.summary, name).toEqual(zero);
      expect(scan.fixable, name).toEqual([]);
      expect(scan.eosl, name).toBe(false);
      expect(scan.scannedAt, name).toBe(CREATED);
    }
  });
});

describe('the rule beyond the fixtures', () => {
  const report = (extra: object, findings: object[] = []): TrivyReport => {
    const parsed = parseTrivyReport({
      SchemaVersion: 2,
      Metadata: { RepoDigests: [`node@${DIGEST}`] },
      Results: [{ Target: 'x', Vulnerabilities: findings }],
      ...extra,
    });
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  };
  const finding = (id: string, severity: string, status?: string, pkg = 'p') => ({
    VulnerabilityID: id,
    PkgName: pkg,
    InstalledVersion: '1',
    ...(status === 'fixed' ? { FixedVersion: '2' } : {}),
    ...(status === undefined ? {} : { Status: status }),
    Severity: severity,
  });

  test('without CreatedAt the clock is the time; without Trivy.Version the version is "unknown"', () => {
    const scan = summarise(report({}), '2026-12-24T10:11:12Z');
    expect(scan.scannedAt).toBe('2026-12-24T10:11:12Z');
    expect(scan.trivyVersion).toBe('unknown');
  });

  test("client/server mode: the server's database time (Trivy.Server.VulnerabilityDB.UpdatedAt, pkg/types/report.go)", () => {
    const server = (UpdatedAt: string) => ({
      Trivy: { Version: '0.70.0', Server: { Version: '0.70.0', VulnerabilityDB: { Version: 2, UpdatedAt } } },
    });
    expect(summarise(report(server('2026-11-30T06:12:45.123456789Z'))).dbUpdatedAt).toBe('2026-11-30T06:12:45Z');
    expect(summarise(report(server('2026-11-30T07:12:45+01:00'))).dbUpdatedAt).toBe('2026-11-30T06:12:45Z');
    // Go's zero time is what an unknown time marshals to.
    expect(summarise(report(server('0001-01-01T00:00:00Z'))).dbUpdatedAt).toBeNull();
    expect(summarise(report(server('2026-11-30T06:12:45Z'))).trivyVersion).toBe('0.70.0');
  });

  test('only CRITICAL and HIGH with Status fixed are fixable; other statuses and severities are counted only', () => {
    const scan = summarise(
      report({}, [
        finding('CVE-1', 'CRITICAL', 'fixed'),
        finding('CVE-2', 'CRITICAL', 'affected'),
        finding('CVE-3', 'CRITICAL', 'will_not_fix'),
        finding('CVE-4', 'CRITICAL'),
        finding('CVE-5', 'HIGH', 'fixed'),
        finding('CVE-6', 'MEDIUM', 'fixed'),
        finding('CVE-7', 'UNKNOWN', 'fixed'),
        { VulnerabilityID: 'CVE-8' },
      ]),
    );
    expect(scan.summary).toEqual({ criticalCount: 4, highCount: 1, mediumCount: 1, lowCount: 0, unknownCount: 2 });
    expect(scan.fixable.map((f) => `${f.id} ${f.severity}`)).toEqual(['CVE-1 CRITICAL', 'CVE-5 HIGH']);
  });

  test('fixable: sorted by id then package, a finding listed in two Results once, bounded; counts count all', () => {
    const many = Array.from({ length: MAX_FIXABLE_FINDINGS + 10 }, (_, i) =>
      finding(`CVE-${String(1000 + i)}`, 'HIGH', 'fixed'),
    ).reverse();
    const parsed = parseTrivyReport({
      SchemaVersion: 2,
      Metadata: { RepoDigests: [`node@${DIGEST}`] },
      Results: [
        { Vulnerabilities: [...many, finding('CVE-0999', 'CRITICAL', 'fixed', 'b')] },
        {
          Vulnerabilities: [
            finding('CVE-0999', 'CRITICAL', 'fixed', 'b'),
            finding('CVE-0999', 'CRITICAL', 'fixed', 'a'),
          ],
        },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.error);
    const scan = summarise(parsed.value);
    expect(scan.summary.highCount).toBe(MAX_FIXABLE_FINDINGS + 10);
    expect(scan.summary.criticalCount).toBe(3);
    expect(scan.fixable).toHaveLength(MAX_FIXABLE_FINDINGS);
    expect(scan.fixable.slice(0, 3).map((f) => `${f.id} ${f.package}`)).toEqual([
      'CVE-0999 a',
      'CVE-0999 b',
      'CVE-1000 p',
    ]);
    expect(scan.fixable.at(-1)?.id).toBe(`CVE-${1000 + MAX_FIXABLE_FINDINGS - 3}`);
  });

  test('the same report summarises the same way whatever the order of its findings', () => {
    const findings = [finding('CVE-2', 'HIGH', 'fixed', 'z'), finding('CVE-1', 'CRITICAL', 'fixed', 'y')];
    expect(summarise(report({}, findings))).toEqual(summarise(report({}, [...findings].reverse())));
  });

  test('a platform manifest scanned is recorded beside the digest; the same digest twice is not', () => {
    const r = report({});
    const platform = `sha256:${'b'.repeat(64)}`;
    const a = summariseScan(r, { digest: DIGEST, platformDigest: platform, now: NOW });
    const b = summariseScan(r, { digest: DIGEST, platformDigest: DIGEST, now: NOW });
    expect(a.ok && a.value.platformDigest).toBe(platform);
    expect(b.ok && 'platformDigest' in b.value).toBe(false);
  });

  test('an impossible CreatedAt is an error naming the field', () => {
    const result = summariseScan(report({ CreatedAt: '2026-02-30T00:00:00Z' }), { digest: DIGEST, now: NOW });
    expect(result).toEqual({ ok: false, error: expect.stringContaining('CreatedAt') });
  });
});

describe('what is not a Trivy JSON report', () => {
  const base = { SchemaVersion: 2, Metadata: { RepoDigests: [`node@${DIGEST}`] } };
  test.each([
    ['an array', [], 'not a JSON object'],
    ['SchemaVersion 1', { ...base, SchemaVersion: 1 }, 'SchemaVersion is 1, not 2'],
    ['no SchemaVersion', { Metadata: base.Metadata }, 'SchemaVersion is absent, not 2'],
    ['no RepoDigests (a tarball scan)', { SchemaVersion: 2, Metadata: {} }, 'Metadata.RepoDigests is missing or empty'],
    ['empty RepoDigests', { SchemaVersion: 2, Metadata: { RepoDigests: [] } }, 'Metadata.RepoDigests is missing'],
    [
      'a severity Trivy does not write',
      { ...base, Results: [{ Vulnerabilities: [{ VulnerabilityID: 'CVE-1', Severity: 'SEVERE' }] }] },
      'Results[0].Vulnerabilities[0].Severity is "SEVERE", none of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN',
    ],
    [
      'a finding without an id',
      { ...base, Results: [{ Vulnerabilities: [{ Severity: 'LOW' }] }] },
      'Results[0].Vulnerabilities[0]',
    ],
  ])('%s', (_name, data, message) => {
    const parsed = parseTrivyReport(data);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(message);
  });
});
