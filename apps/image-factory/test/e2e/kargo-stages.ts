/**
 * Kargo v1.11.2's Stage controllers for the Stages the factory renders (akuity/kargo v1.11.2,
 * pkg/controller/stages/regular_stages.go and control_flow_stages.go, pkg/api). Pure: the world supplies the Freight,
 * runs the AnalysisRuns (rollouts-analysis.ts) and calls `reconcile` when something the controller watches changed.
 */
import { createHash } from 'node:crypto';
import { type ExpressionEnv, evaluateArg, evaluateTemplate } from './kargo-expressions.js';
import type { Freight } from './kargo-warehouse.js';
import { at, type K8sObject, list, optBool, optStr, str, strMap } from './objects.js';
import type { AnalysisPhase, AnalysisRun } from './rollouts-analysis.js';

/** A requested Freight entry (spec.requestedFreight[]). */
interface FreightRequest {
  readonly warehouse: string;
  readonly direct: boolean;
  readonly upstream: readonly string[];
}

/** One verification of the current Freight (VerificationInfo). */
export interface Verification {
  phase: AnalysisPhase;
  readonly analysisRun: string | undefined;
  readonly message: string | undefined;
}

/** A Stage and the status the controller keeps for it. */
export interface Stage {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly requested: readonly FreightRequest[];
  readonly steps: readonly unknown[];
  readonly verification: { readonly template: string; readonly args: readonly [string, string][] } | undefined;
  current: { readonly freight: readonly Freight[]; readonly collectionId: string } | undefined;
  /** Promotions, oldest first. */
  readonly promotions: {
    readonly freight: string;
    readonly phase: 'Succeeded' | 'Errored';
    readonly message?: string;
  }[];
  /** The verifications of the current collection, oldest first. */
  verifications: Verification[];
  /** Freight verified in this Stage (Freight status.verifiedIn). */
  readonly verified: Set<string>;
}

/** Read a Stage manifest. */
export function readStage(object: K8sObject): Stage {
  const raw = object.raw;
  const verification = at(raw, 'spec', 'verification');
  const templates = list(verification, 'analysisTemplates');
  if (templates.length > 1) throw new Error('one AnalysisTemplate per verification modelled');
  return {
    name: object.name,
    labels: object.labels,
    requested: list(raw, 'spec', 'requestedFreight').map((r) => ({
      warehouse: str(r, 'origin', 'name'),
      direct: optBool(r, 'sources', 'direct') === true,
      upstream: list(r, 'sources', 'stages').map((_, i, all) => str(all, i)),
    })),
    steps: list(raw, 'spec', 'promotionTemplate', 'spec', 'steps'),
    verification:
      verification === undefined
        ? undefined
        : {
            template: str(templates[0], 'name'),
            args: list(verification, 'args').map((a) => [str(a, 'name'), optStr(a, 'value') ?? ''] as [string, string]),
          },
    current: undefined,
    promotions: [],
    verifications: [],
    verified: new Set(),
  };
}

/** api/v1alpha1/stage_types.go:147-158 (IsControlFlow): a Stage without promotion steps. */
export const isControlFlow = (stage: Stage) => stage.steps.length === 0;

/**
 * pkg/api/auto_promotion.go:25-88: the first ProjectConfig promotion policy whose stageSelector (name pattern,
 * label selector: matchLabels here) matches the Stage decides; none matching, no auto-promotion.
 */
export function autoPromotionEnabled(projectConfig: unknown, stage: Stage): boolean {
  for (const policy of list(projectConfig, 'spec', 'promotionPolicies')) {
    const name = optStr(policy, 'stageSelector', 'name') ?? optStr(policy, 'stage');
    if (name !== undefined && name !== stage.name) continue;
    if (list(policy, 'stageSelector', 'matchExpressions').length > 0)
      throw new Error('matchExpressions are not modelled');
    const matchLabels = strMap(policy, 'stageSelector', 'matchLabels');
    if (!Object.entries(matchLabels).every(([k, v]) => stage.labels[k] === v)) continue;
    return optBool(policy, 'autoPromotionEnabled') === true;
  }
  return false;
}

/**
 * pkg/api/stage.go:138-199 (ListFreightAvailableToStage): a direct request takes every Freight of its Warehouse; one
 * with upstream Stages only Freight verified in one of them.
 */
export function availableFreight(
  stage: Stage,
  freightOf: (warehouse: string) => readonly Freight[],
  verifiedIn: (stage: string) => ReadonlySet<string>,
): Freight[] {
  return stage.requested.flatMap((req) =>
    freightOf(req.warehouse).filter((f) => req.direct || req.upstream.some((s) => verifiedIn(s).has(f.name))),
  );
}

/**
 * auto_promotion.go:97-141 (SelectAutoPromotionCandidates): per origin, the Freight discovered last (ties: the greater
 * name).
 */
function candidates(stage: Stage, available: readonly Freight[]): Freight[] {
  return stage.requested.flatMap((req) => {
    const mine = available.filter((f) => f.origin === `Warehouse/${req.warehouse}`);
    const sorted = [...mine].sort((a, b) => b.discoveredAt - a.discoveredAt || (b.name < a.name ? -1 : 1));
    return sorted.slice(0, 1);
  });
}

/** api/v1alpha1/stage_types.go:591-604 (UpdateOrPush): the collection ID is sha1 of the sorted Freight names. */
export function collectionId(freight: readonly Freight[]): string {
  const names = freight.map((f) => f.name).sort();
  return createHash('sha1').update(names.join(',')).digest('hex');
}

/** The expression environment of a Stage over a Freight collection. */
export function expressionEnv(
  stage: Stage,
  freight: readonly Freight[],
  subscriptions: ReadonlyMap<string, readonly string[]>,
): ExpressionEnv {
  return { requestedWarehouses: stage.requested.map((r) => r.warehouse), subscriptions, freight };
}

/**
 * A Promotion's steps (pkg/promotion): `compose-output` evaluates its config's expressions
 * (pkg/promotion/runner/builtin/output_composer.go) and succeeds; any other step is not modelled.
 */
function runSteps(stage: Stage, env: ExpressionEnv): string | undefined {
  for (const step of stage.steps) {
    const uses = str(step, 'uses');
    if (uses !== 'compose-output') throw new Error(`promotion step ${uses} is not modelled`);
    const config = at(step, 'config');
    try {
      if (typeof config === 'object' && config !== null)
        for (const value of Object.values(config)) if (typeof value === 'string') evaluateTemplate(value, env);
    } catch (error) {
      return `step ${optStr(step, 'as') ?? uses}: ${(error as Error).message}`;
    }
  }
  return undefined;
}

/** What the world does for a Stage: start an AnalysisRun (or find the one that exists). */
export interface StageEffects {
  readonly subscriptions: ReadonlyMap<string, readonly string[]>;
  readonly findAnalysisRun: (stage: string, collectionId: string) => AnalysisRun | undefined;
  readonly startAnalysisRun: (stage: Stage, template: string, args: Record<string, string>) => AnalysisRun;
  readonly log: (line: string) => void;
}

/**
 * One reconciliation of a Stage (control_flow_stages.go:270-320 for a control-flow Stage; for a regular one
 * regular_stages.go:1893-2033 auto-promotion, then :1073-1276 verification).
 */
export function reconcileStage(
  stage: Stage,
  available: readonly Freight[],
  autoPromote: boolean,
  effects: StageEffects,
): void {
  if (isControlFlow(stage)) {
    // control_flow_stages.go:310-320, :391-420: every available Freight is marked verified in it, nothing runs.
    for (const f of available) stage.verified.add(f.name);
    return;
  }
  if (autoPromote) {
    for (const candidate of candidates(stage, available)) {
      // regular_stages.go:1945-1948: never a candidate already current.
      if (stage.current?.freight.some((f) => f.name === candidate.name)) continue;
      // :1984-1996: not after a failed Promotion of the same Freight (no endless loop).
      const last = stage.promotions.filter((p) => p.freight === candidate.name).at(-1);
      if (last !== undefined && last.phase !== 'Succeeded') continue;
      const others = (stage.current?.freight ?? []).filter((f) => f.origin !== candidate.origin);
      const collection = [...others, candidate];
      const failed = runSteps(stage, expressionEnv(stage, collection, effects.subscriptions));
      if (failed !== undefined) {
        stage.promotions.push({ freight: candidate.name, phase: 'Errored', message: failed });
        effects.log(`promotion of ${candidate.name.slice(0, 7)} to ${stage.name} errored: ${failed}`);
        continue;
      }
      stage.promotions.push({ freight: candidate.name, phase: 'Succeeded' });
      stage.current = { freight: collection, collectionId: collectionId(collection) };
      stage.verifications = [];
    }
  }
  verify(stage, effects);
}

/** regular_stages.go:1073-1276 (verifyStageFreight) and :1427-1589 (startVerification). */
function verify(stage: Stage, effects: StageEffects): void {
  const current = stage.current;
  if (current === undefined) return;
  const last = stage.verifications.at(-1);
  if (last !== undefined) {
    // :1198-1223: a running verification follows its AnalysisRun; :1225-1231: a finished one is never restarted
    // without a reverify request (which nothing here makes).
    if (last.phase === 'Pending' || last.phase === 'Running') {
      const run =
        last.analysisRun === undefined ? undefined : effects.findAnalysisRun(stage.name, current.collectionId);
      if (run !== undefined) last.phase = run.phase;
    }
    markVerified(stage, current);
    return;
  }
  // :1233-1238: health first. A Promotion of only compose-output registers no health checks, and no checks is
  // Healthy (pkg/health/aggregating_checker.go:66-90).
  if (stage.verification === undefined) {
    // :1240-1255: no verification configured: Successful at once.
    stage.verifications.push({ phase: 'Successful', analysisRun: undefined, message: undefined });
    markVerified(stage, current);
    return;
  }
  // :1458-1484: an AnalysisRun that exists for this Stage and collection ID is reused, whatever its phase.
  const existing = effects.findAnalysisRun(stage.name, current.collectionId);
  if (existing !== undefined) {
    stage.verifications.push({ phase: existing.phase, analysisRun: existing.name, message: undefined });
    markVerified(stage, current);
    return;
  }
  const env = expressionEnv(stage, current.freight, effects.subscriptions);
  let args: Record<string, string>;
  try {
    args = Object.fromEntries(stage.verification.args.map(([name, value]) => [name, evaluateArg(name, value, env)]));
  } catch (error) {
    // :1547-1557: the AnalysisRun cannot be built: the verification is an Error.
    stage.verifications.push({ phase: 'Error', analysisRun: undefined, message: (error as Error).message });
    effects.log(`verification of ${stage.name} errored: ${(error as Error).message}`);
    return;
  }
  const run = effects.startAnalysisRun(stage, stage.verification.template, args);
  stage.verifications.push({ phase: run.phase, analysisRun: run.name, message: undefined });
}

/** markFreightVerifiedForStage (:1278-1340): a Successful verification marks the collection's Freight verified. */
function markVerified(stage: Stage, current: NonNullable<Stage['current']>): void {
  if (stage.verifications.some((v) => v.phase === 'Successful'))
    for (const f of current.freight) stage.verified.add(f.name);
}
