/**
 * Trivy JSON reports (SchemaVersion 2), summarised for the urgency rule: which digests a report describes
 * (`Metadata.RepoDigests`, `repo@sha256:…`, in any order), counts by severity, and the CRITICAL vulnerability IDs.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const TrivyReportSchema = Type.Object({
  SchemaVersion: Type.Literal(2),
  ArtifactName: Type.Optional(Type.String()),
  Metadata: Type.Optional(Type.Object({ RepoDigests: Type.Optional(Type.Array(Type.String())) })),
  Results: Type.Optional(
    Type.Array(
      Type.Object({
        Vulnerabilities: Type.Optional(
          Type.Union([
            Type.Array(
              Type.Object({
                VulnerabilityID: Type.String(),
                Severity: Type.String(),
                FixedVersion: Type.Optional(Type.String()),
              }),
            ),
            Type.Null(),
          ]),
        ),
      }),
    ),
  ),
});

export interface VulnerabilitySummary {
  /** The digests the report is about (from RepoDigests), sorted. */
  readonly digests: readonly string[];
  /** `Metadata.RepoDigests` as the report wrote them (`repo@sha256:…`), sorted. */
  readonly repoDigests: readonly string[];
  readonly counts: Readonly<Record<string, number>>;
  /** CRITICAL vulnerability IDs, sorted, each once. */
  readonly critical: readonly string[];
}

export type SummaryResult = { ok: true; value: VulnerabilitySummary } | { ok: false; error: string };

/** Summarise one parsed Trivy report; an error names what is missing. */
export function summariseTrivyReport(data: unknown): SummaryResult {
  if (!Value.Check(TrivyReportSchema, data)) {
    const first = Value.Errors(TrivyReportSchema, data).First();
    return {
      ok: false,
      error: `not a Trivy JSON report (SchemaVersion 2): ${first?.path || '/'} ${first?.message ?? ''}`.trim(),
    };
  }
  const repoDigests = [...new Set(data.Metadata?.RepoDigests ?? [])].sort();
  const digests = [...new Set(repoDigests.flatMap((d) => /@(sha(256|512):[a-f0-9]+)$/.exec(d)?.[1] ?? []))].sort();
  if (digests.length === 0)
    return { ok: false, error: 'the report has no Metadata.RepoDigests: it cannot be matched to a digest' };
  const counts: Record<string, number> = {};
  const critical = new Set<string>();
  for (const result of data.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      counts[v.Severity] = (counts[v.Severity] ?? 0) + 1;
      if (v.Severity === 'CRITICAL') critical.add(v.VulnerabilityID);
    }
  }
  return { ok: true, value: { digests, repoDigests, counts, critical: [...critical].sort() } };
}

/**
 * The urgency rule: the new digest fixes a CRITICAL vulnerability that the current one has. Unknown (no report for
 * either) is not urgent. Returns the IDs fixed.
 */
export function criticalFixed(
  current: VulnerabilitySummary | undefined,
  next: VulnerabilitySummary | undefined,
): string[] {
  if (current === undefined || next === undefined) return [];
  const remaining = new Set(next.critical);
  return current.critical.filter((id) => !remaining.has(id));
}

/** What the reports say about one base update: the CRITICALs it fixes, and the reports that matched nothing. */
export interface Urgency {
  readonly fixed: readonly string[];
  /** One line per report that describes neither digest (its RepoDigests named): said, not silently ignored. */
  readonly unmatched: readonly string[];
}

/**
 * The urgency rule for a base moving to `next`, given what the dependents are built on now (`current`: the digest
 * state records, else the base digests their builds record; empty when unknown). When the current digest is unknown
 * (the first update recorded for a base), a report of another digest of the same repository (`sameRepository`
 * says which RepoDigests are) stands for it: the new digest is urgent when it fixes CRITICALs that report lists.
 */
export function urgencyOf(
  reports: readonly VulnerabilitySummary[],
  current: readonly string[],
  next: string,
  sameRepository: (repoDigest: string) => boolean,
): Urgency {
  const nextReport = reports.find((r) => r.digests.includes(next));
  let currentReports = reports.filter((r) => r !== nextReport && r.digests.some((d) => current.includes(d)));
  if (current.length === 0) {
    currentReports = reports.filter((r) => r !== nextReport && r.repoDigests.some(sameRepository));
  }
  // What the dependents' base had: the CRITICALs of every report standing for it, one summary for the one rule.
  const had: VulnerabilitySummary | undefined =
    currentReports.length === 0
      ? undefined
      : {
          digests: [],
          repoDigests: [],
          counts: {},
          critical: [...new Set(currentReports.flatMap((r) => r.critical))].sort(),
        };
  const fixed = criticalFixed(had, nextReport);
  const unmatched = reports
    .filter((r) => r !== nextReport && !currentReports.includes(r))
    .map(
      (r) =>
        `a vulnerability report for ${r.repoDigests.join(', ')} describes neither the current nor the new digest: not used`,
    );
  return { fixed, unmatched };
}
