/**
 * Trivy's JSON report (`trivy image --format json`, SchemaVersion 2), parsed at the edge into the few fields a scan
 * summary needs. Field names and where they live are Trivy's own (aquasecurity/trivy, pkg/types/report.go:
 * `Trivy.Version`, `Trivy.Server.VulnerabilityDB.UpdatedAt` in client/server mode only, `CreatedAt`,
 * `Metadata.OS.EOSL`, `Metadata.RepoDigests`; pkg/types/vulnerability.go: each finding's `VulnerabilityID`,
 * `PkgName`, `InstalledVersion`, `FixedVersion`, `Status`, and trivy-db's `Severity`). Every other field is ignored.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Trivy's severities (trivy-db `SeverityNames`): what a finding's `Severity` may be. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

const FindingSchema = Type.Object({
  VulnerabilityID: Type.String({ minLength: 1 }),
  // Go's `omitempty`: a finding may leave any of these out.
  PkgName: Type.Optional(Type.String()),
  InstalledVersion: Type.Optional(Type.String()),
  FixedVersion: Type.Optional(Type.String()),
  Status: Type.Optional(Type.String()),
  // Embedded from trivy-db's Vulnerability with `omitempty` too: absent counts as UNKNOWN.
  Severity: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)))),
});

const DatabaseSchema = Type.Object({ UpdatedAt: Type.Optional(Type.String()) });

/** The report around its findings (Results are checked one by one, so that a problem is named by its place). */
const EnvelopeSchema = Type.Object({
  SchemaVersion: Type.Literal(2),
  CreatedAt: Type.Optional(Type.String()),
  Trivy: Type.Optional(
    Type.Object({
      Version: Type.Optional(Type.String()),
      Server: Type.Optional(Type.Object({ VulnerabilityDB: Type.Optional(DatabaseSchema) })),
    }),
  ),
  Metadata: Type.Object({
    OS: Type.Optional(Type.Object({ EOSL: Type.Optional(Type.Boolean()) })),
    RepoDigests: Type.Array(Type.String(), { minItems: 1 }),
  }),
});

export type TrivyFinding = Static<typeof FindingSchema>;

/** A Trivy report as the summary reads it: the envelope, and each Result's findings (none: an empty list). */
export type TrivyReport = Static<typeof EnvelopeSchema> & {
  readonly Results: readonly { readonly Vulnerabilities: readonly TrivyFinding[] }[];
};

/** Either the report or a sentence saying what is wrong with it. */
export type ParsedReport =
  | { readonly ok: true; readonly value: TrivyReport }
  | { readonly ok: false; readonly error: string };

/** `/Results/0/Vulnerabilities/3/Severity` → `Results[0].Vulnerabilities[3].Severity`, as a person reads it. */
function fieldOf(path: string): string {
  if (path === '') return 'the report';
  return path
    .slice(1)
    .split('/')
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : `${i === 0 ? '' : '.'}${part}`))
    .join('');
}

/** The first problem of `value` against `schema`, named by its field under `at`. */
function problem(schema: TSchema, value: unknown, at: string): string {
  const first = Value.Errors(schema, value).First();
  const path = `${at}${first?.path ?? ''}`;
  const field = fieldOf(path);
  if (path.endsWith('/Severity')) {
    return `${field} is ${JSON.stringify(first?.value)}, none of ${SEVERITIES.join(', ')}`;
  }
  return `${field}: ${first?.message ?? 'does not match a Trivy JSON report'}`;
}

const isObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Check parsed JSON against Trivy's report shape. The first problem is named by its field; a report from another
 * schema version, and one without `Metadata.RepoDigests` (an image scanned from a tarball: nothing to match it to),
 * are said in words. `Results` and `Vulnerabilities` that are absent or null are empty.
 */
export function parseTrivyReport(data: unknown): ParsedReport {
  if (!isObject(data)) return { ok: false, error: 'not a Trivy JSON report: not a JSON object' };
  const version: unknown = Reflect.get(data, 'SchemaVersion');
  if (version !== 2) {
    return {
      ok: false,
      error: `SchemaVersion is ${JSON.stringify(version) ?? 'absent'}, not 2: not a Trivy JSON report of the version read here (trivy image --format json)`,
    };
  }
  if (!Value.Check(EnvelopeSchema, data)) {
    const path = Value.Errors(EnvelopeSchema, data).First()?.path ?? '';
    if (path === '/Metadata' || path.startsWith('/Metadata/RepoDigests')) {
      const digests: unknown = isObject(Reflect.get(data, 'Metadata'))
        ? Reflect.get(Reflect.get(data, 'Metadata'), 'RepoDigests')
        : undefined;
      if (!Array.isArray(digests) || digests.length === 0) {
        return {
          ok: false,
          error:
            'Metadata.RepoDigests is missing or empty: the report names no digest to match (scan the image from its registry, repo@digest, not from a file)',
        };
      }
    }
    return { ok: false, error: problem(EnvelopeSchema, data, '') };
  }
  const rawResults: unknown = Reflect.get(data, 'Results') ?? [];
  if (!Array.isArray(rawResults)) return { ok: false, error: 'Results: is not a list' };
  const results: { Vulnerabilities: TrivyFinding[] }[] = [];
  for (const [i, result] of rawResults.entries()) {
    if (!isObject(result)) return { ok: false, error: `Results[${i}]: is not an object` };
    const raw: unknown = Reflect.get(result, 'Vulnerabilities') ?? [];
    if (!Array.isArray(raw)) return { ok: false, error: `Results[${i}].Vulnerabilities: is not a list` };
    const findings: TrivyFinding[] = [];
    for (const [j, finding] of raw.entries()) {
      if (!Value.Check(FindingSchema, finding))
        return { ok: false, error: problem(FindingSchema, finding, `/Results/${i}/Vulnerabilities/${j}`) };
      findings.push(finding);
    }
    results.push({ Vulnerabilities: findings });
  }
  return { ok: true, value: { ...data, Results: results } };
}
