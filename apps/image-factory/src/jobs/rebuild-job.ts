/**
 * `image-factory rebuild`: a base image points to a new digest (`update`), or a sweep for what has come due (`due`).
 * Three steps, each small: plan (rebuild/plan-run.ts, pure, on the GitOps head: record the wave, claim what is due
 * and what was claimed before but never answered) and commit it — the push is the lock, a job that loses the race
 * plans again on the new head; send the triggers the winning plan holds (a re-sent claim first looks for a run
 * already started with its key); record the answers in a second commit. Facts from the registry (release time,
 * the dependents' builds) are read once, before.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Enrolment } from '../enrolment/types.js';
import { FactoryError, messageOf } from '../errors.js';
import { jobPublishOptions, publishChange } from '../git/index.js';
import {
  type BaseDigest,
  type BaseUpdate,
  type BuildFacts,
  basePolicy,
  credibleRelease,
  type DigestVerdict,
  type ForgeEndpoints,
  findStartedRun,
  type GivenReport,
  type KeyedAnswer,
  managedImage,
  type PlannedSend,
  planRun,
  type RunPlan,
  recordTriggerOutcomes,
  sendTrigger,
  type TriggerAnswer,
  type TriggerEffects,
  type TriggerOutcome,
  triggerConfig,
  triggerRequest,
  unverifiable,
  urgencyOf,
  verdictKey,
  verdictOf,
  type WaveDecision,
} from '../rebuild/index.js';
import { normaliseReference } from '../reference/normalise.js';
import type { RegistryClient } from '../registry/client.js';
import { imageFacts } from '../registry/inspect.js';
import { parsePlatform } from '../registry/platform.js';
import { type KeyFileReader, type TrustRoot, verifyImageSignatures } from '../signatures/index.js';
import { MAX_SEEN_DIGESTS } from '../state/schema.js';
import { StateFolder } from '../state/store.js';
import type { BaseImageState, StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { readConfinedFile } from '../util/confined.js';
import { mapLimit } from '../util/map-limit.js';
import { enrolmentLoader, type StateJobOptions, withGitopsCheckout } from './state-job.js';

export type RebuildMode =
  /** `base` is a state name, or a reference (`repo:tag`, as a Kargo Stage knows it) resolved to one. */
  | { readonly kind: 'update'; readonly base: string; readonly digest: string; readonly byReference?: boolean }
  | { readonly kind: 'due' };

export interface ForgeSettings {
  readonly githubApiUrl: string;
  readonly gitlabUrl: string;
  readonly githubToken: string | null;
  readonly gitlabToken: string | null;
  readonly effects: TriggerEffects;
}

export interface RebuildJobOptions {
  readonly job: StateJobOptions;
  readonly registry: RegistryClient;
  /** The clock: an ISO time, UTC, whole seconds (`--now`, else the real one). */
  readonly now: string;
  /** Trivy reports given by hand (`--vulnerability-report`): they stand for the scans state records. */
  readonly reports: readonly GivenReport[];
  readonly forge: ForgeSettings;
  /** The digest's release time when the caller knows it (`--released`): the registry is not asked for it. */
  readonly released?: string;
  /**
   * A claim with no recorded answer after this many seconds is sent again with the same key (after looking for a
   * run already started with it). @default 7200 (two hourly sweep periods)
   */
  readonly claimTimeoutSeconds?: number;
  /**
   * With `--due`: ask each base tag's current digest (one HEAD per base) and record the updates no Stage reported,
   * as `rebuild --reference` would have (a failed verification, a lost Freight). @default true
   */
  readonly heal?: boolean;
  /** The Sigstore trusted root the signature gate verifies against (`--trust-root`). @default Sigstore's public-good root */
  readonly trustRoot?: TrustRoot;
}

export interface TriggerReport {
  readonly image: string;
  readonly key: string;
  readonly request: { readonly method: string; readonly url: string; readonly body: string | null };
  /** null with --dry-run: nothing was sent. */
  readonly outcome: TriggerOutcome | null;
  /** A claim sent before and never answered, sent again with the same key (its sends so far, this one included). */
  readonly resend?: { readonly claimedBefore: string; readonly sends: number };
}

export interface RebuildJobResult {
  readonly status: 'pushed' | 'unchanged' | 'dry-run';
  readonly decisions: readonly WaveDecision[];
  readonly triggers: readonly TriggerReport[];
  /** Due, but not triggerable here (no token, no workflow): left pending. */
  readonly skipped: readonly { readonly image: string; readonly reason: string }[];
  readonly commits: readonly string[];
  /** The sweep's look at the registry: base updates no Stage had reported (recorded now). */
  readonly healed: readonly { readonly base: string; readonly digest: string }[];
  /** Bases the sweep could not ask about (their updates, if any, wait for the next sweep). */
  readonly unreachable: readonly { readonly base: string; readonly reason: string }[];
  /** What the signature gate did; absent when it did nothing (no policy covers a base involved, or all passed). */
  readonly gate?: GateReport;
}

/** The signature gate in a run's result (`"gate"` in `rebuild --json`). */
export interface GateReport {
  /** Digests that failed an enforced policy: recorded `blocked`, nothing decided on or pinned to them. */
  readonly blocked: readonly (BaseDigest & { readonly reason: string })[];
  /** Digests that failed a policy in mode warn: recorded with the warning, used. */
  readonly warnings: readonly (BaseDigest & { readonly reason: string })[];
  /** Digests whose signatures could not be checked (registry down): not used, nothing recorded; exit 3. */
  readonly unverifiable: readonly (BaseDigest & { readonly reason: string })[];
  /** Due rebuilds left pending this run because a digest they would be pinned to could not be verified. */
  readonly held: readonly { readonly image: string; readonly reason: string }[];
}

const BASE_DIGEST_ANNOTATION = 'org.opencontainers.image.base.digest';
/** Two hourly sweep periods: a claim not answered by then was lost with its job. */
export const DEFAULT_CLAIM_TIMEOUT_SECONDS = 7200;
/**
 * CI calls in flight at once, per forge. GitHub: one at a time ("make requests serially instead of concurrently" to
 * stay clear of its secondary rate limits: docs.github.com, REST API best practices). GitLab: a few.
 */
const TRIGGER_CONCURRENCY: Readonly<Record<'github' | 'gitlab', number>> = { github: 1, gitlab: 4 };
/** Registry lookups of dependents' builds in flight at once. */
const BUILD_LOOKUPS = 8;
/** HEADs of base tags in flight at once during a sweep (Docker Hub counts no HEADs against its pull limit). */
const SWEEP_LOOKUPS = 8;
/** Signature verifications in flight at once (each is a manifest and up to 32 blob GETs). */
const SIGNATURE_LOOKUPS = 4;
/**
 * Plans per commit attempt: each round verifies what the last plan asked about (a blocked candidate makes the next
 * one a candidate): at most every digest seen of a base, and the update's own.
 */
const MAX_GATE_ROUNDS = MAX_SEEN_DIGESTS + 2;

/** The state name of the base image a reference (`registry/repo:tag`) names, or undefined when nothing builds on it. */
export function baseNamed(state: StateSnapshot, reference: string): string | undefined {
  const parsed = normaliseReference(reference);
  if (!parsed.ok) throw new FactoryError('usage', `--reference: ${parsed.error}`);
  const wanted = parsed.value;
  return [...state.baseImages.values()].find(
    (b) =>
      b.tag !== null && b.registry === wanted.registry && b.repository === wanted.repository && b.tag === wanted.tag,
  )?.name;
}

/** What the registry says about the update and the dependents' builds (read once per job). */
async function updateFacts(
  mode: { readonly base: string; readonly digest: string },
  state: StateSnapshot,
  options: RebuildJobOptions,
): Promise<{ update: BaseUpdate; builds: Map<string, BuildFacts> }> {
  const base = state.baseImages.get(mode.base);
  if (base === undefined) {
    throw new FactoryError(
      'invalid-state',
      `no base image ${mode.base} in state (base-images/${mode.base}.yaml): see image-factory status`,
    );
  }
  const platform = base.platform === undefined ? undefined : parsePlatform(base.platform);
  if (platform?.ok === false)
    throw new FactoryError('invalid-state', `base-images/${mode.base}.yaml: platform ${platform.error}`);
  const reported =
    options.released ??
    (
      await imageFacts(
        options.registry,
        { registry: base.registry, repository: base.repository },
        mode.digest,
        platform?.value,
      )
    ).created;
  const { released, doubt } = credibleRelease(reported, options.now);
  if (doubt !== undefined) options.job.log.warn('registry', `${mode.digest}: ${doubt}`);
  const builds = new Map<string, BuildFacts>();
  // The dependents' builds, a few at a time (each is a manifest and a config GET): a base may have hundreds. With
  // --released the run asks no registry at all (an offline what-if): no build is then known to be fresh already.
  const dependents =
    options.released !== undefined
      ? []
      : [...state.images.values()].flatMap((image) =>
          image.kind === 'managed' && image.build !== undefined && base.dependents.includes(image.name)
            ? [{ image, digest: image.build.digest }]
            : [],
        );
  if (options.released !== undefined)
    options.job.log.info('registry', '--released: no registry asked; no dependent is known to be fresh already');
  await mapLimit(dependents, BUILD_LOOKUPS, async ({ image, digest }) => {
    try {
      const build = await imageFacts(
        options.registry,
        { registry: image.registry, repository: image.repository },
        digest,
      );
      const baseDigest = build.annotations[BASE_DIGEST_ANNOTATION];
      builds.set(image.name, { created: build.created, baseDigests: baseDigest === undefined ? [] : [baseDigest] });
    } catch (error) {
      options.job.log.warn(
        'registry',
        `build of ${image.name} not readable (${messageOf(error)}): not known to be fresh`,
      );
    }
  });

  // What the dependents are built on now: the digest state records, else what their builds record as their base.
  const recorded = base.rebuild?.current?.digest;
  const current =
    recorded !== undefined ? [recorded] : [...new Set([...builds.values()].flatMap((b) => b.baseDigests))].sort();
  const urgency = urgencyOf(base, options.reports, current, mode.digest);
  for (const line of urgency.unmatched) options.job.log.warn('vulnerabilities', line);
  if (urgency.fixed.length > 0)
    options.job.log.info('urgent', `${mode.digest} fixes CRITICAL ${urgency.fixed.join(', ')}`);
  return {
    update: {
      base: mode.base,
      digest: mode.digest,
      released,
      seen: options.now,
      urgent: urgency.fixed.length > 0,
    },
    builds,
  };
}

type UpdateFacts = Awaited<ReturnType<typeof updateFacts>>;

/** What a sweep's HEAD found for a tracked base tag: the digest it points to, or why it could not be asked. */
type BaseHead =
  | { readonly base: BaseImageState; readonly digest: string }
  | { readonly base: BaseImageState; readonly error: unknown };

/**
 * The sweep's look at the registry: the digest each tracked base tag points to now (one HEAD per base with
 * dependents, a few at a time). Never rejects: a base that cannot be asked is an answer too. Started as soon as the
 * base images are read, while the images' state files are still being parsed.
 */
function headBases(baseImages: ReadonlyMap<string, BaseImageState>, options: RebuildJobOptions): Promise<BaseHead[]> {
  const bases = [...baseImages.values()]
    .filter((b) => b.tag !== null && b.untracked === undefined && b.dependents.length > 0)
    .sort((a, b) => compareCodeUnits(a.name, b.name));
  return mapLimit(bases, SWEEP_LOOKUPS, async (base): Promise<BaseHead> => {
    try {
      const head = await options.registry.head(
        { registry: base.registry, repository: base.repository },
        base.tag ?? '',
      );
      return { base, digest: head.digest };
    } catch (error) {
      return { base, error };
    }
  });
}

/**
 * The updates no Stage reported: for a digest state has not recorded, the same facts `rebuild --reference` would
 * have read. A base that could not be asked is reported, not fatal: the sweep still triggers what is due.
 */
async function unreportedUpdates(
  state: StateSnapshot,
  heads: readonly BaseHead[],
  options: RebuildJobOptions,
): Promise<{ updates: UpdateFacts[]; unreachable: { base: string; reason: string }[] }> {
  const unreachable: { base: string; reason: string }[] = [];
  const found: { base: string; digest: string }[] = [];
  for (const head of heads) {
    const { base } = head;
    if ('error' in head) {
      unreachable.push({ base: base.name, reason: messageOf(head.error) });
      options.job.log.warn('sweep', `${base.reference}: not checked (${messageOf(head.error)})`);
      continue;
    }
    if ([base.rebuild?.current?.digest, base.rebuild?.latest?.digest].includes(head.digest)) continue;
    options.job.log.info('sweep', `${base.reference} points to ${head.digest}, which no Stage reported: recording it`);
    found.push({ base: base.name, digest: head.digest });
  }
  const updates = await mapLimit(found, SWEEP_LOOKUPS, async (update) => {
    try {
      return await updateFacts(update, state, options);
    } catch (error) {
      unreachable.push({ base: update.base, reason: messageOf(error) });
      options.job.log.warn('sweep', `${update.base}: not recorded (${messageOf(error)})`);
      return null;
    }
  });
  return {
    updates: updates.flatMap((u) => (u === null ? [] : [u])),
    unreachable: unreachable.sort((a, b) => compareCodeUnits(a.base, b.base)),
  };
}

/**
 * Verify the digests the planner asks about (the signature gate, rebuild/gate.ts), a few at a time, each against the
 * policy that covers its base, into `verdicts`. A verification that cannot be made (the registry down, a refusal) is
 * `unverifiable`: the digest is not used (fail closed). A policy that cannot be applied (a key file missing) is the
 * enrolment's error: the run stops, nothing recorded.
 */
async function verifyDigests(
  needed: readonly BaseDigest[],
  state: StateSnapshot,
  enrolment: Enrolment,
  options: RebuildJobOptions,
  readKeyFile: KeyFileReader,
  verdicts: Map<string, DigestVerdict>,
): Promise<void> {
  const distinct = [...new Map(needed.map((n) => [verdictKey(n.base, n.digest), n])).values()].filter(
    (n) => !verdicts.has(verdictKey(n.base, n.digest)),
  );
  await mapLimit(distinct, SIGNATURE_LOOKUPS, async ({ base: name, digest }) => {
    const base = state.baseImages.get(name);
    const policy = base === undefined ? null : basePolicy(enrolment, base);
    if (base === undefined || policy === null) return;
    let verdict: DigestVerdict;
    try {
      const repo = { registry: base.registry, repository: base.repository };
      const verification = await verifyImageSignatures(
        options.registry,
        repo,
        digest,
        policy,
        readKeyFile,
        options.trustRoot,
      );
      verdict = verdictOf(verification, policy);
    } catch (error) {
      if (error instanceof FactoryError && error.code === 'invalid-enrolment') throw error;
      verdict = unverifiable(messageOf(error));
    }
    verdicts.set(verdictKey(name, digest), verdict);
    if (verdict.status !== 'passed')
      options.job.log.warn('signature', `${base.reference}@${digest}: ${verdict.status}: ${verdict.reason}`);
  });
}

/** The forge endpoints and which tokens this run holds (what the planner may assume). */
const endpointsOf = (forge: ForgeSettings): ForgeEndpoints => ({
  githubApiUrl: forge.githubApiUrl,
  gitlabUrl: forge.gitlabUrl,
  githubToken: forge.githubToken !== null,
  gitlabToken: forge.gitlabToken !== null,
});

/** The commit message of a plan: what was decided, claimed and re-sent, and the run's id. */
function planMessage(mode: RebuildMode, plan: RunPlan, runId: string): string {
  const subject =
    mode.kind === 'update'
      ? `image-factory: ${mode.base} is now ${mode.digest.slice(0, 19)}`
      : 'image-factory: rebuilds due';
  const body = [
    ...plan.decisions.map((d) => `${d.image}: ${d.action}${d.action === 'rebuild' ? ` due ${d.due}` : ''}`),
    ...plan.sends.map((s) =>
      s.resend === null
        ? `${s.image}: claimed (key ${s.key})`
        : `${s.image}: claimed again, unanswered since ${s.resend.claimedBefore} (key ${s.key}, send ${s.resend.sends})`,
    ),
    ...plan.skipped.map((s) => `${s.image}: not sent: ${s.reason}`),
    ...plan.gate.blocked.map((b) => `${b.base}: ${b.digest} blocked: ${b.reason}`),
    ...plan.gate.warnings.map((w) => `${w.base}: ${w.digest} used with a signature warning: ${w.reason}`),
    // The run's id makes this commit this job's own: two jobs computing the same claim at the same second would
    // otherwise make the same commit, and the second push would "succeed" as a no-op: both would call the CI.
    '',
    `Claimed-by: ${runId}`,
  ];
  return `${subject}\n\n${body.join('\n')}\n`;
}

/** What a send reports (the request as sent, minus the token). */
const reportOf = (send: PlannedSend, outcome: TriggerOutcome | null): TriggerReport => ({
  image: send.image,
  key: send.key,
  request: { method: send.request.method, url: send.request.url, body: send.request.body },
  outcome,
  ...(send.resend === null ? {} : { resend: send.resend }),
});

/**
 * Send each planned trigger once (a few at a time); never throws: every end is an outcome. A claim sent before and
 * never answered is first looked for on the forge (a run started with its key since it was first claimed): found,
 * it is recorded as triggered without a second send; not found, or the forge could not say, it is sent again with
 * the same key (at-least-once: a CI that reads the key drops the repeat).
 */
async function sendAll(
  sends: readonly PlannedSend[],
  forge: ForgeSettings,
  log: StateJobOptions['log'],
): Promise<(TriggerOutcome | null)[]> {
  // A forge that refused a call for its rate limit gets no more calls from this run, instead of pressing on against
  // the limit: a first send is recorded transient unsent (due again, same key, at the next sweep); a claim sent
  // before stays claimed unsent, so that its run is looked for again before it is ever sent again.
  const limited = new Set<PlannedSend['request']['provider']>();
  const heldBack = (send: PlannedSend): TriggerOutcome | null => {
    const forgeName = send.request.provider === 'github' ? 'GitHub' : 'GitLab';
    const message = `not sent: ${forgeName} refused an earlier call of this run for its rate limit`;
    if (send.resend !== null) {
      log.warn('trigger', `${send.image}: claim ${send.key} ${message}; looked for again after the claim timeout`);
      return null;
    }
    log.warn('trigger', `${send.image}: ${message}; due again at the next sweep`);
    return { status: 'transient', attempts: 0, message, rateLimited: true };
  };
  const one = async (send: PlannedSend): Promise<TriggerOutcome | null> => {
    const { provider } = send.request;
    const token = provider === 'github' ? forge.githubToken : forge.gitlabToken;
    if (token === null) return null;
    if (limited.has(provider)) return heldBack(send);
    if (send.resend !== null) {
      const baseUrl = provider === 'github' ? forge.githubApiUrl : forge.gitlabUrl;
      const started = await findStartedRun(
        baseUrl,
        {
          target: send.target,
          key: send.key,
          claimedAt: send.resend.claimedBefore,
          ...(send.keyInput === null ? {} : { keyVariable: send.keyInput }),
        },
        token,
        forge.effects,
      );
      if (started.status === 'unknown' && started.rateLimited === true) {
        limited.add(provider);
        return heldBack(send);
      }
      if (started.status === 'found') {
        log.info(
          'trigger',
          `${send.image}: a run with key ${send.key} was already started (${started.url ?? started.id}): not sent again`,
        );
        return {
          status: 'triggered',
          httpStatus: 200,
          attempts: 0,
          detail: `already started by an earlier send: ${started.url ?? `run ${started.id}`}`,
          run: { id: started.id, url: started.url },
        };
      }
      log.info(
        'trigger',
        `${send.image}: claim ${send.key} unanswered since ${send.resend.claimedBefore}; ${started.status === 'not-found' ? 'no run started with its key' : `could not look for its run (${started.reason})`}: sending again`,
      );
    }
    const outcome = await sendTrigger(send.request, token, forge.effects);
    if (outcome.status === 'transient' && outcome.rateLimited === true) limited.add(provider);
    log.info(
      'trigger',
      `${send.image}: ${outcome.status}${outcome.status === 'triggered' ? '' : ` (${outcome.message})`}`,
    );
    return outcome;
  };
  // Each forge's calls at its own pace, the two forges side by side; the outcomes in the order of the sends.
  const outcomes = new Array<TriggerOutcome | null>(sends.length).fill(null);
  await Promise.all(
    (['github', 'gitlab'] as const).map(async (provider) => {
      const mine = sends.flatMap((send, at) => (send.request.provider === provider ? [{ send, at }] : []));
      const answered = await mapLimit(mine, TRIGGER_CONCURRENCY[provider], ({ send }) => one(send));
      mine.forEach(({ at }, k) => {
        outcomes[at] = answered[k] ?? null;
      });
    }),
  );
  return outcomes;
}

/** The answer recorded in state for an outcome that says what became of the trigger. */
function answerOf(outcome: Exclude<TriggerOutcome, { status: 'unknown' }>, config: string | undefined): TriggerAnswer {
  if (outcome.status === 'triggered') {
    const run = outcome.run === undefined ? undefined : (outcome.run.url ?? outcome.run.id);
    return {
      status: 'triggered',
      answer:
        outcome.attempts === 0 && outcome.detail !== null
          ? outcome.detail
          : `HTTP ${outcome.httpStatus}${outcome.detail === null ? '' : ` ${outcome.detail}`}`,
      ...(run === undefined ? {} : { run }),
    };
  }
  return {
    status: outcome.status,
    answer: outcome.message,
    ...(outcome.status === 'failed' && config !== undefined ? { config } : {}),
  };
}

/** Record the answers in `state` (pure): each claim answered leaves the claims for the history. */
export function recordAnswers(
  state: StateSnapshot,
  enrolment: Enrolment,
  sends: readonly PlannedSend[],
  outcomes: readonly (TriggerOutcome | null)[],
  now: string,
): StateSnapshot {
  const answers: KeyedAnswer[] = [];
  sends.forEach((send, i) => {
    const outcome = outcomes[i];
    // Not sent, or sent with no telling whether it arrived: the claim stays, answered later (claim timeout, look-up).
    if (outcome === undefined || outcome === null || outcome.status === 'unknown') return;
    const image = managedImage(enrolment, send.image);
    answers.push({ key: send.key, outcome: answerOf(outcome, image && triggerConfig(image)) });
  });
  return recordTriggerOutcomes(state, answers, now);
}

export async function runRebuildJob(mode: RebuildMode, options: RebuildJobOptions): Promise<RebuildJobResult> {
  const { job, now } = options;
  const { log } = job;
  const claimTimeoutSeconds = options.claimTimeoutSeconds ?? DEFAULT_CLAIM_TIMEOUT_SECONDS;
  return withGitopsCheckout(job, async ({ gitops, stateDir, stateRel, imagesRel }) => {
    const loadEnrolment = enrolmentLoader(gitops.dir, imagesRel);
    const sweeping = mode.kind === 'due' && options.heal !== false;
    let heads: Promise<BaseHead[]> | undefined;
    const folder = await StateFolder.read(
      stateDir,
      stateRel,
      sweeping
        ? (baseImages) => {
            heads = headBases(baseImages, options);
          }
        : undefined,
    );
    let folderHead = await gitops.head();
    const refresh = async (head: string | null) => {
      if (head === null || head === folderHead) return;
      const changed = await gitops.changedFiles(folderHead, head, stateRel);
      await folder.refresh(changed.map((path) => posix.relative(stateRel, path)));
      folderHead = head;
    };
    let target = mode;
    if (mode.kind === 'update' && mode.byReference === true) {
      const name = baseNamed(folder.snapshot(), mode.base);
      if (name === undefined) {
        // A tag no image is built on (a managed image's other tags): nothing to decide.
        log.info('plan', `no image is built on ${mode.base}: nothing to decide`);
        return {
          status: 'unchanged',
          decisions: [],
          triggers: [],
          skipped: [],
          commits: [],
          healed: [],
          unreachable: [],
        };
      }
      target = { ...mode, base: name };
    }
    const runId = randomBytes(8).toString('hex');
    const endpoints = endpointsOf(options.forge);
    // The signature gate's verdicts, made once per digest for the whole run (a re-plan after a lost race reuses them).
    const verdicts = new Map<string, DigestVerdict>();
    const readKeyFile: KeyFileReader = (file) =>
      readConfinedFile(gitops.dir, file, 'verify key file', 'invalid-enrolment');
    /** The run planned on the folder as it is now, with the verdicts made so far (pure). */
    const planOnce = (enrolment: Enrolment, planUpdates: readonly UpdateFacts[], dryRun: boolean) =>
      planRun({
        state: folder.snapshot(),
        enrolment,
        updates: planUpdates,
        now,
        claimTimeoutSeconds,
        requestFor: (image, key, contexts) => triggerRequest(image, endpoints, key, contexts, dryRun),
        verdicts,
      });
    // While the sweep's HEADs are out, the run is planned as if they find nothing unreported, as they mostly do; that
    // plan is used only then, on the head as cloned. One that needs the signature gate's verdicts is dropped (no
    // digest is verified for a plan that may not be used), and an error is left for the plan proper to raise.
    const early =
      heads === undefined
        ? undefined
        : (async () => {
            const enrolment = await loadEnrolment();
            const planned = planOnce(enrolment, [], job.dryRun);
            if (planned.gate.needed.length > 0) return undefined;
            return { planned, enrolment, changes: folder.changesTo(planned.state).changes };
          })().catch(() => undefined);
    const swept =
      sweeping && heads !== undefined
        ? await unreportedUpdates(folder.snapshot(), await heads, options)
        : { updates: [], unreachable: [] };
    const updates = target.kind === 'update' ? [await updateFacts(target, folder.snapshot(), options)] : swept.updates;
    const { unreachable } = swept;
    /** What the sweep recorded: found in the registry, and neither blocked before nor left unverified now. */
    const healedBy = (planned: RunPlan, before: StateSnapshot) =>
      swept.updates
        .map((u) => ({ base: u.update.base, digest: u.update.digest }))
        .filter(
          (u) =>
            !planned.gate.unverifiable.some((g) => g.base === u.base && g.digest === u.digest) &&
            !(before.baseImages.get(u.base)?.rebuild?.seen ?? []).some(
              (d) => d.digest === u.digest && d.blocked !== undefined,
            ),
        );
    const gateOf = (planned: RunPlan): { gate?: GateReport } => {
      const { blocked, warnings, unverifiable, held } = planned.gate;
      return blocked.length + warnings.length + unverifiable.length + held.length === 0
        ? {}
        : { gate: { blocked, warnings, unverifiable, held } };
    };

    // Step 1: plan on the head and commit the claims (on a lost race: plan again on the new head).
    const planAnew = async (fetched: string | null, dryRun: boolean) => {
      await refresh(fetched);
      const enrolment = await loadEnrolment();
      // The gate asks for the verdicts it needs (pure); they are made here and the run planned again with them.
      let planned = planOnce(enrolment, updates, dryRun);
      for (let round = 0; planned.gate.needed.length > 0; round++) {
        if (round === MAX_GATE_ROUNDS)
          throw new FactoryError('internal', 'the signature gate kept asking for verdicts');
        await verifyDigests(planned.gate.needed, folder.snapshot(), enrolment, options, readKeyFile, verdicts);
        planned = planOnce(enrolment, updates, dryRun);
      }
      return { planned, enrolment, changes: folder.changesTo(planned.state).changes };
    };
    const plan = async (fetched: string | null, dryRun: boolean) => {
      const ready = fetched === null && updates.length === 0 ? await early : undefined;
      const { planned, enrolment, changes } = ready ?? (await planAnew(fetched, dryRun));
      for (const u of planned.urgent) {
        log.info(
          'urgent',
          `${u.base}: its newest digest fixes CRITICAL ${u.fixed.join(', ')} (recorded scans): ${u.images.join(', ')} due now`,
        );
      }
      const would = dryRun ? 'would claim' : 'claimed';
      log.info(
        'plan',
        `${planned.decisions.length} decision(s), ${planned.sends.length} rebuild(s) ${would}, ${planned.skipped.length} not sent`,
      );
      return {
        message: planMessage(target, planned, runId),
        files: changes.map((c) => ({ path: posix.join(stateRel, c.path), content: c.content })),
        plan: { planned, enrolment, before: folder.snapshot(), changes },
      };
    };

    if (job.dryRun) {
      const { plan: dry } = await plan(null, true);
      return {
        status: 'dry-run',
        decisions: dry.planned.decisions,
        triggers: dry.planned.sends.map((s) => reportOf(s, null)),
        skipped: dry.planned.skipped,
        commits: [],
        healed: healedBy(dry.planned, dry.before),
        unreachable,
        ...gateOf(dry.planned),
      };
    }
    const retry = jobPublishOptions(job.author, job.retry);
    const claim = await publishChange(gitops, (head) => plan(head, false), log, retry);
    if (claim.plan === undefined) throw new FactoryError('internal', 'the rebuild was never planned');
    const { planned, enrolment } = claim.plan;
    const healed = healedBy(planned, claim.plan.before);
    const gate = gateOf(planned);
    const commits = claim.status === 'pushed' ? [claim.commit] : [];
    if (planned.sends.length === 0 || claim.status !== 'pushed') {
      return {
        status: claim.status,
        decisions: planned.decisions,
        triggers: [],
        skipped: planned.skipped,
        commits,
        healed,
        unreachable,
        ...gate,
      };
    }

    // Step 2: the claims are in git: now, and only now, call the CIs, each once.
    const outcomes = await sendAll(planned.sends, options.forge, log);

    // Step 3: record the answers on top of the claim commit, which the folder takes from the texts it wrote (no
    // fetch, reset or re-read). The branch may have moved since: a lost push fetches it and re-reads what changed.
    folder.adopt(claim.plan.changes);
    folderHead = claim.commit;
    const record = async (fetched: string | null) => {
      await refresh(fetched);
      const state = recordAnswers(folder.snapshot(), enrolment, planned.sends, outcomes, now);
      const { changes } = folder.changesTo(state);
      const lines = planned.sends.map((s, i) => `${s.image}: ${outcomes[i]?.status ?? 'not sent'} (key ${s.key})`);
      return {
        message: `image-factory: record ${planned.sends.length} trigger answer(s)\n\n${lines.join('\n')}\n`,
        files: changes.map((c) => ({ path: posix.join(stateRel, c.path), content: c.content })),
      };
    };
    const recorded = await publishChange(gitops, record, log, retry);
    if (recorded.status === 'pushed') commits.push(recorded.commit);
    return {
      status: 'pushed',
      decisions: planned.decisions,
      triggers: planned.sends.map((s, i) => reportOf(s, outcomes[i] ?? null)),
      skipped: planned.skipped,
      commits,
      healed,
      unreachable,
      ...gate,
    };
  });
}
