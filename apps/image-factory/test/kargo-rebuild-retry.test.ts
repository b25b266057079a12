/**
 * The rebuild AnalysisTemplate retries a failed Job and stops at the first success (issue 19: a failed verification
 * must not lose a base update). Kargo does not restart a finished verification by itself (v1.11.2
 * pkg/controller/stages/regular_stages.go:1225-1231) and never auto-promotes Freight already current (:1945-1948),
 * so the retries live in the AnalysisRun's metric. Its fields mean what Argo Rollouts v1.9.1's analysis controller
 * makes of them; the model below is written from that source, with the lines it follows, and the shipped template is
 * run through it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlFast } from '../src/yaml/fast-parse.js';
import { REPO_ROOT } from './helpers.js';

type Phase = 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

/** The metric fields that decide how often a Job provider measurement is taken and how the run ends. */
interface Metric {
  readonly count?: number;
  readonly interval?: string;
  readonly failureLimit?: number;
  readonly consecutiveSuccessLimit?: number;
  readonly inconclusiveLimit?: number;
}

/** The counters of a MetricResult (pkg/apis/rollouts/v1alpha1/analysis_types.go, MetricResult). */
interface Result {
  count: number;
  failed: number;
  successful: number;
  consecutiveSuccess: number;
  inconclusive: number;
}

/** Go's time.ParseDuration for the h/m/s forms a template uses. */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  if (parts.map((p) => p[0]).join('') !== duration) throw new Error(`not a duration: ${duration}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1), 0);
}

/** analysis_types.go:159-169 (EffectiveCount): no count and no interval is one measurement; interval alone, endless. */
function effectiveCount(m: Metric): number | undefined {
  if (m.count === undefined || m.count === 0) return m.interval === undefined ? 1 : undefined;
  return m.count;
}

/** utils/analysis/factory.go:149-208 (ValidateMetric), the rules on these fields: the AnalysisRun is refused otherwise. */
function validateMetric(m: Metric): string | null {
  const count = m.count ?? 0;
  const failureLimit = m.failureLimit ?? 0;
  const successLimit = m.consecutiveSuccessLimit ?? 0;
  if (successLimit < 0) return 'consecutiveSuccessLimit must be >= 0';
  if (failureLimit < -1) return 'failureLimit must be >= 0, or -1 to be disabled';
  if (successLimit === 0 && failureLimit === -1)
    return 'failureLimit and consecutiveSuccessLimit cannot both be disabled';
  if (count > 0 && failureLimit >= 0 && count < failureLimit + successLimit)
    return 'count must be >= failureLimit + consecutiveSuccessLimit if both >= 0';
  if (count > 0 && failureLimit < 0 && count < successLimit) return 'count must be >= consecutiveSuccessLimit';
  if (count > 1 && m.interval === undefined) return 'interval must be specified when count > 1';
  return null;
}

/** analysis.go:579-656 (assessMetricStatus) after a completed measurement, with :658-688 for the limits. */
function assess(m: Metric, r: Result): Phase {
  const failureLimit = m.failureLimit ?? 0;
  // :658-688, in its order (a later limit overrides an earlier one): failed > failureLimit fails the metric (a
  // negative failureLimit disables the check), inconclusive > inconclusiveLimit makes it Inconclusive. (Errors, a
  // Job that could not be created, are retried every 10 s up to consecutiveErrorLimit and count no measurement.)
  let limit: Phase | undefined;
  if (failureLimit >= 0 && r.failed > failureLimit) limit = 'Failed';
  if (r.inconclusive > (m.inconclusiveLimit ?? 0)) limit = 'Inconclusive';
  if (limit !== undefined) return limit;
  // :607-610: consecutiveSuccessLimit reached ends the metric Successful, whatever count says.
  const successLimit = m.consecutiveSuccessLimit ?? 0;
  if (successLimit > 0 && r.consecutiveSuccess >= successLimit) return 'Successful';
  // :615-649: count reached: Inconclusive when both limits apply, Failed when only the success limit does.
  const count = effectiveCount(m);
  if (count !== undefined && r.count >= count) {
    const failureApplies = m.failureLimit === undefined || m.failureLimit >= 0;
    if (failureApplies && successLimit > 0) return 'Inconclusive';
    if (successLimit > 0) return 'Failed';
    return 'Successful';
  }
  return 'Running';
}

/**
 * A metric with a Job provider, given what each Job ends as (metricproviders/job/job.go:198-207: JobComplete →
 * Successful, JobFailed → Failed). Each measurement is a new Job (job.go:76-100: its name counts the measurements);
 * the next one starts `interval` after the last one finished (analysis.go:224-247).
 */
function runJobs(m: Metric, jobs: readonly ('complete' | 'failed')[]): { phase: Phase; jobs: number; waited: number } {
  const r: Result = { count: 0, failed: 0, successful: 0, consecutiveSuccess: 0, inconclusive: 0 };
  let waited = 0;
  for (const [i, outcome] of jobs.entries()) {
    if (i > 0) waited += seconds(m.interval ?? '0s');
    // analysis.go:385-400: counters after a completed measurement.
    r.count++;
    if (outcome === 'complete') {
      r.successful++;
      r.consecutiveSuccess++;
    } else {
      r.failed++;
      r.consecutiveSuccess = 0;
    }
    const phase = assess(m, r);
    if (phase !== 'Running') return { phase, jobs: i + 1, waited };
  }
  return { phase: 'Running', jobs: jobs.length, waited };
}

// biome-ignore lint/suspicious/noExplicitAny: reading an untyped Kubernetes object in assertions
type Any = any;
const template: Any = parseYamlFast(
  readFileSync(join(REPO_ROOT, 'kustomize/image-factory/rebuild-analysis-template.yaml'), 'utf8'),
);
const metric: Any = template.spec.metrics[0];
const shipped: Metric = {
  count: metric.count,
  interval: metric.interval,
  failureLimit: metric.failureLimit,
  consecutiveSuccessLimit: metric.consecutiveSuccessLimit,
};

describe('the Rollouts model (written from Argo Rollouts v1.9.1)', () => {
  it('reads count 1, failureLimit 0 as one Job, its failure final', () => {
    expect(runJobs({ count: 1, failureLimit: 0 }, ['failed', 'complete'])).toEqual({
      phase: 'Failed',
      jobs: 1,
      waited: 0,
    });
  });

  it('refuses the combinations ValidateMetric refuses', () => {
    expect(validateMetric({ count: 3, interval: '1m', failureLimit: 3, consecutiveSuccessLimit: 1 })).toMatch(/count/);
    expect(validateMetric({ count: 3, failureLimit: 2, consecutiveSuccessLimit: 1 })).toMatch(/interval/);
    expect(validateMetric({ failureLimit: -1 })).toMatch(/both be disabled/);
  });
});

describe('the image-factory-rebuild AnalysisTemplate', () => {
  it('is a metric Argo Rollouts accepts', () => {
    expect(validateMetric(shipped)).toBeNull();
  });

  it('retries a failed rebuild Job and stops at the first success', () => {
    expect(runJobs(shipped, ['failed', 'failed', 'complete', 'complete'])).toMatchObject({
      phase: 'Successful',
      jobs: 3,
    });
    expect(runJobs(shipped, ['complete', 'complete'])).toMatchObject({ phase: 'Successful', jobs: 1 });
  });

  it('spreads its attempts over at least 40 minutes before the verification fails', () => {
    // Long enough for a git host's or a registry's short outage, a 429 window, or Secrets created just after
    // the apply; what outlasts it is healed by the hourly `rebuild --due` sweep.
    const outcome = runJobs(shipped, Array(10).fill('failed'));
    expect(outcome.phase).toBe('Failed');
    expect(outcome.jobs).toBe(5);
    expect(outcome.waited).toBeGreaterThanOrEqual(40 * 60);
  });

  it('leaves the retries to the metric: the Job itself runs its pod once, within a deadline', () => {
    const job = metric.provider.job.spec;
    expect(job.backoffLimit).toBe(0);
    expect(job.activeDeadlineSeconds).toBe(600);
  });
});
