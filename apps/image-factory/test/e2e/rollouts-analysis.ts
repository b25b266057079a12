/**
 * Argo Rollouts v1.9.1's AnalysisRun for one metric with a Job provider: how Kargo builds it from an
 * AnalysisTemplate (akuity/kargo v1.11.2 pkg/rollouts), how the controller substitutes `{{args.*}}`, when it takes
 * each measurement and how it ends (argoproj/argo-rollouts v1.9.1 analysis/analysis.go, metricproviders/job/job.go).
 * Pure: the caller runs each measurement's Job and reports how it ended.
 */

import { durationMs } from './kargo-warehouse.js';
import { at, list, optNum, optStr, str } from './objects.js';

export type AnalysisPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

interface MetricResult {
  count: number;
  failed: number;
  successful: number;
  inconclusive: number;
  consecutiveSuccess: number;
}

/** An AnalysisRun of one metric, as the harness keeps it. */
export interface AnalysisRun {
  readonly name: string;
  /** The Stage and FreightCollection ID it verifies (Kargo's labels on it, regular_stages.go:1494-1499). */
  readonly stage: string;
  readonly collectionId: string;
  readonly createdAt: number;
  readonly args: Readonly<Record<string, string>>;
  readonly metric: {
    readonly name: string;
    readonly count: number | undefined;
    readonly intervalMs: number | undefined;
    readonly failureLimit: number | undefined;
    readonly consecutiveSuccessLimit: number | undefined;
    readonly inconclusiveLimit: number | undefined;
    /** The Job's spec with every `{{args.*}}` substituted. */
    readonly jobSpec: unknown;
  };
  readonly result: MetricResult;
  phase: AnalysisPhase;
  lastFinishedAt: number | undefined;
  /** How each measurement's Job ended, in order. */
  readonly measurements: ('Complete' | 'Failed')[];
}

/**
 * Kargo's merge of the Stage's (already evaluated) args into the template's (pkg/rollouts/analysis_template.go:179-
 * 235, mergeArgs): the template's args in order, a Stage arg replacing the value of the one with its name (args the
 * template does not declare are dropped), and every arg must end with a value.
 */
export function mergeArgs(template: unknown, incoming: Readonly<Record<string, string>>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const arg of list(template, 'spec', 'args')) {
    const name = str(arg, 'name');
    const value = incoming[name] ?? optStr(arg, 'value');
    if (value === undefined) throw new Error(`unresolved argument "${name}": neither Value nor ValueFrom is set`);
    merged[name] = value;
  }
  return merged;
}

/**
 * The controller's substitution of args into a metric (analysis.go:265-310 → utils/analysis/helpers.go
 * ResolveMetricArgs → utils/template/template.go ResolveQuotedArgs): `{{args.NAME}}` in every string, the value
 * JSON-escaped; an `{{args.X}}` with no such arg stays an error.
 */
function resolveArgs(value: unknown, args: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string')
    return value.replace(/\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g, (_, name: string) => {
      const found = args[name];
      if (found === undefined) throw new Error(`failed to resolve {{args.${name}}}`);
      return found;
    });
  if (Array.isArray(value)) return value.map((v) => resolveArgs(v, args));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveArgs(v, args)]));
  return value;
}

/**
 * utils/analysis/factory.go:149-208 (ValidateMetric), the rules on the fields modelled here: an AnalysisRun that
 * breaks them is refused.
 */
function validateMetric(m: AnalysisRun['metric']): void {
  const count = m.count ?? 0;
  const failureLimit = m.failureLimit ?? 0;
  const successLimit = m.consecutiveSuccessLimit ?? 0;
  if (count > 0 && failureLimit >= 0 && count < failureLimit + successLimit)
    throw new Error('count must be >= failureLimit + consecutiveSuccessLimit');
  if (count > 1 && m.intervalMs === undefined) throw new Error('interval must be specified when count > 1');
}

/** A new AnalysisRun from the template's only metric (Kargo's builder: analysis_run_builder.go:179-184). */
export function createAnalysisRun(
  template: unknown,
  stageArgs: Readonly<Record<string, string>>,
  identity: { name: string; stage: string; collectionId: string; createdAt: number },
): AnalysisRun {
  const metrics = list(template, 'spec', 'metrics');
  if (metrics.length !== 1) throw new Error('one metric modelled');
  const raw = metrics[0];
  const args = mergeArgs(template, stageArgs);
  const interval = optStr(raw, 'interval');
  const jobSpec = resolveArgs(at(raw, 'provider', 'job', 'spec'), args);
  if (jobSpec === undefined) throw new Error('only the Job provider is modelled');
  const metric = {
    name: str(raw, 'name'),
    count: optNum(raw, 'count'),
    intervalMs: interval === undefined ? undefined : durationMs(interval),
    failureLimit: optNum(raw, 'failureLimit'),
    consecutiveSuccessLimit: optNum(raw, 'consecutiveSuccessLimit'),
    inconclusiveLimit: optNum(raw, 'inconclusiveLimit'),
    jobSpec,
  };
  validateMetric(metric);
  return {
    ...identity,
    args,
    metric,
    result: { count: 0, failed: 0, successful: 0, inconclusive: 0, consecutiveSuccess: 0 },
    phase: 'Pending',
    lastFinishedAt: undefined,
    measurements: [],
  };
}

/** analysis_types.go:159-169 (EffectiveCount): no count and no interval is one; interval alone, no limit. */
function effectiveCount(m: AnalysisRun['metric']): number | undefined {
  if (m.count === undefined || m.count === 0) return m.intervalMs === undefined ? 1 : undefined;
  return m.count;
}

/**
 * When the next measurement's Job starts, or undefined when the run is over (analysis.go:176-251,
 * generateMetricTasks): the first at once; none once the count is reached (:224-229); the next one `interval` after
 * the last one finished (:230-247).
 */
export function nextMeasurementAt(run: AnalysisRun): number | undefined {
  if (run.phase !== 'Pending' && run.phase !== 'Running') return undefined;
  const count = effectiveCount(run.metric);
  if (count !== undefined && run.result.count >= count) return undefined;
  if (run.lastFinishedAt === undefined) return run.createdAt;
  return run.lastFinishedAt + (run.metric.intervalMs ?? 0);
}

/**
 * A measurement's Job ended (metricproviders/job/job.go:188-212: JobComplete → Successful, JobFailed → Failed):
 * the counters (analysis.go:380-400) and the metric's phase (assessMetricStatus, :579-656, with
 * assessMetricFailureInconclusiveOrError :658-689), which is the run's (one metric).
 */
export function recordMeasurement(run: AnalysisRun, job: 'Complete' | 'Failed', finishedAt: number): void {
  const r = run.result;
  const m = run.metric;
  run.measurements.push(job);
  run.lastFinishedAt = finishedAt;
  r.count++;
  if (job === 'Complete') {
    r.successful++;
    r.consecutiveSuccess++;
  } else {
    r.failed++;
    r.consecutiveSuccess = 0;
  }
  // :658-689: failed > failureLimit (a negative limit disables it), then inconclusive > inconclusiveLimit.
  let limit: AnalysisPhase | undefined;
  const failureLimit = m.failureLimit ?? 0;
  if (failureLimit >= 0 && r.failed > failureLimit) limit = 'Failed';
  if (r.inconclusive > (m.inconclusiveLimit ?? 0)) limit = 'Inconclusive';
  if (limit !== undefined) {
    run.phase = limit;
    return;
  }
  // :606-610: consecutiveSuccessLimit reached ends the metric Successful.
  const successLimit = m.consecutiveSuccessLimit ?? 0;
  if (successLimit > 0 && r.consecutiveSuccess >= successLimit) {
    run.phase = 'Successful';
    return;
  }
  // :615-649: the count reached: Inconclusive when both limits apply, Failed when only the success limit does.
  const count = effectiveCount(m);
  if (count !== undefined && r.count >= count) {
    const failureApplies = m.failureLimit === undefined || m.failureLimit >= 0;
    run.phase = failureApplies && successLimit > 0 ? 'Inconclusive' : successLimit > 0 ? 'Failed' : 'Successful';
    return;
  }
  run.phase = 'Running';
}
