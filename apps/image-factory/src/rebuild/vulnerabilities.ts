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
  const digests = [
    ...new Set((data.Metadata?.RepoDigests ?? []).flatMap((d) => /@(sha(256|512):[a-f0-9]+)$/.exec(d)?.[1] ?? [])),
  ].sort();
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
  return { ok: true, value: { digests, counts, critical: [...critical].sort() } };
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
