/**
 * `image-factory rebuild`: a base image points to a new digest (`update`), or a sweep for what has come due (`due`).
 * Per attempt, on the GitOps head: record the wave's decisions and claim the rebuilds due now, in one commit; the
 * push is the lock (a job that loses the race recomputes on the new head, where the claims of the winner are no
 * longer pending). Only after the push are the CIs called, once per claimed rebuild, and their answers recorded
 * in a second commit. Facts from the registry (release time, the dependents' builds) are read once, before.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Enrolment, ManagedImage } from '../enrolment/types.js';
import { FactoryError, messageOf } from '../errors.js';
import { publishChange } from '../git/publish.js';
import {
  type BuildFacts,
  claimRebuilds,
  dueRebuilds,
  recordBaseUpdate,
  recordTriggerOutcome,
  requeueRefused,
  triggerConfig,
  triggerKey,
} from '../rebuild/record.js';
import {
  githubDispatch,
  gitlabPipeline,
  sendTrigger,
  type TriggerEffects,
  type TriggerOutcome,
  type TriggerRequest,
} from '../rebuild/triggers.js';
import { criticalFixed, type VulnerabilitySummary } from '../rebuild/vulnerabilities.js';
import type { BaseUpdate, PendingRebuild, WaveDecision } from '../rebuild/wave.js';
import { normaliseReference } from '../reference/normalise.js';
import type { RegistryClient } from '../registry/client.js';
import { imageFacts } from '../registry/inspect.js';
import { parsePlatform } from '../registry/platform.js';
import { StateFolder } from '../state/store.js';
import type { StateSnapshot } from '../state/types.js';
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
  readonly reports: readonly VulnerabilitySummary[];
  readonly forge: ForgeSettings;
  /** The digest's release time when the caller knows it (`--released`): the registry is not asked for it. */
  readonly released?: string;
  /**
   * A claim with no recorded answer after this many seconds is sent again with the same key (after looking for a
   * run already started with it). @default 7200 (two hourly sweep periods)
   */
  readonly claimTimeoutSeconds?: number;
}

export interface TriggerReport {
  readonly image: string;
  readonly key: string;
  readonly request: { readonly method: string; readonly url: string; readonly body: string | null };
  /** null with --dry-run: nothing was sent. */
  readonly outcome: TriggerOutcome | null;
}

export interface RebuildJobResult {
  readonly status: 'pushed' | 'unchanged' | 'dry-run';
  readonly decisions: readonly WaveDecision[];
  readonly triggers: readonly TriggerReport[];
  /** Due, but not triggerable here (no token, no workflow): left pending. */
  readonly skipped: readonly { readonly image: string; readonly reason: string }[];
  readonly commits: readonly string[];
}

const BASE_DIGEST_ANNOTATION = 'org.opencontainers.image.base.digest';
/** CI calls in flight at once (GitHub's secondary rate limits frown on bursts; each call may retry for 7 s). */
const TRIGGER_CONCURRENCY = 4;
/** Registry lookups of dependents' builds in flight at once. */
const BUILD_LOOKUPS = 8;

/** The request a rebuild of `image` sends, or why it cannot be sent from here. */
function triggerRequest(
  image: ManagedImage,
  forge: ForgeSettings,
  dryRun: boolean,
  key: string,
): TriggerRequest | string {
  const { source } = image;
  // Only the inputs images.yaml declares (GitHub rejects others), plus the key when an input is named for it.
  const inputs = {
    ...source.triggerInputs,
    ...(source.triggerKeyInput === undefined ? {} : { [source.triggerKeyInput]: key }),
  };
  if (source.provider === 'github') {
    if (source.workflow === undefined) return `images.yaml names no source.workflow for ${image.name}`;
    if (forge.githubToken === null && !dryRun) return 'no GitHub token: set GITHUB_TOKEN or --github-token-file';
    return githubDispatch(forge.githubApiUrl, {
      provider: 'github',
      repo: source.repo,
      branch: source.branch,
      workflow: source.workflow,
      inputs,
    });
  }
  if (forge.gitlabToken === null && !dryRun) return 'no GitLab token: set GITLAB_TOKEN or --gitlab-token-file';
  return gitlabPipeline(forge.gitlabUrl, { provider: 'gitlab', repo: source.repo, branch: source.branch, inputs });
}

/** Managed images of images.yaml by name (looked up once per claimed rebuild, several times per run). */
const managedByName = new WeakMap<Enrolment, ReadonlyMap<string, ManagedImage>>();
function managedImage(enrolment: Enrolment, name: string): ManagedImage | undefined {
  let byName = managedByName.get(enrolment);
  if (byName === undefined) {
    byName = new Map(enrolment.images.flatMap((i) => (i.kind === 'managed' ? [[i.name, i] as const] : [])));
    managedByName.set(enrolment, byName);
  }
  return byName.get(name);
}

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
  const released =
    options.released ??
    (
      await imageFacts(
        options.registry,
        { registry: base.registry, repository: base.repository },
        mode.digest,
        platform?.value,
      )
    ).created;
  const builds = new Map<string, BuildFacts>();
  // The dependents' builds, a few at a time (each is a manifest and a config GET): a base may have hundreds.
  const dependents = [...state.images.values()].flatMap((image) =>
    image.kind === 'managed' && image.build !== undefined && base.dependents.includes(image.name)
      ? [{ image, digest: image.build.digest }]
      : [],
  );
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

  const current = base.rebuild?.current?.digest;
  const report = (digest: string | undefined) =>
    options.reports.find((r) => digest !== undefined && r.digests.includes(digest));
  const fixed = criticalFixed(report(current), report(mode.digest));
  if (fixed.length > 0) options.job.log.info('urgent', `${mode.digest} fixes CRITICAL ${fixed.join(', ')}`);
  return {
    update: {
      base: mode.base,
      digest: mode.digest,
      released,
      seen: options.now,
      urgent: fixed.length > 0,
    },
    builds,
  };
}

export async function runRebuildJob(mode: RebuildMode, options: RebuildJobOptions): Promise<RebuildJobResult> {
  const { job, now } = options;
  const { log } = job;
  return withGitopsCheckout(job, async ({ gitops, stateDir, stateRel, imagesRel }) => {
    const loadEnrolment = enrolmentLoader(gitops.dir, imagesRel);
    const folder = await StateFolder.read(stateDir, stateRel);
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
        return { status: 'unchanged', decisions: [], triggers: [], skipped: [], commits: [] };
      }
      target = { ...mode, base: name };
    }
    const facts = target.kind === 'update' ? await updateFacts(target, folder.snapshot(), options) : null;
    const runId = randomBytes(8).toString('hex');

    let last: {
      decisions: readonly WaveDecision[];
      claimed: PendingRebuild[];
      skipped: RebuildJobResult['skipped'];
      enrolment: Enrolment;
    } | null = null;
    const prepare = async (fetched: string | null) => {
      await refresh(fetched);
      const enrolment = await loadEnrolment();
      let state = folder.snapshot();
      let decisions: readonly WaveDecision[] = [];
      if (facts !== null) {
        const recorded = recordBaseUpdate(state, enrolment, facts.update, facts.builds);
        if (recorded.status === 'cycle') {
          throw new FactoryError(
            'invalid-state',
            `cycle in the dependency graph: ${recorded.cycle.join(' → ')}; nothing recorded, nothing triggered`,
          );
        }
        if (recorded.status === 'recorded') {
          state = recorded.state;
          decisions = recorded.decisions;
        }
      }
      state = requeueRefused(state, enrolment, now);
      const claimed: PendingRebuild[] = [];
      const skipped: { image: string; reason: string }[] = [];
      for (const rebuild of dueRebuilds(state, now)) {
        const image = managedImage(enrolment, rebuild.image);
        const request =
          image !== undefined
            ? triggerRequest(image, options.forge, job.dryRun, triggerKey(rebuild))
            : `${rebuild.image} is not a managed image in images.yaml`;
        if (typeof request === 'string') skipped.push({ image: rebuild.image, reason: request });
        else claimed.push(rebuild);
      }
      state = claimRebuilds(state, claimed, now);
      last = { decisions, claimed, skipped, enrolment };
      const { changes } = folder.changesTo(state);
      const subject =
        target.kind === 'update'
          ? `image-factory: ${target.base} is now ${target.digest.slice(0, 19)}`
          : 'image-factory: rebuilds due';
      const body = [
        ...decisions.map((d) => `${d.image}: ${d.action}${d.action === 'rebuild' ? ` due ${d.due}` : ''}`),
        ...claimed.map((c) => `${c.image}: claimed (key ${triggerKey(c)})`),
      ];
      log.info(
        'plan',
        `${decisions.length} decision(s), ${claimed.length} rebuild(s) claimed, ${skipped.length} skipped`,
      );
      // The run's id makes this commit this job's own: two jobs computing the same claim at the same second would
      // otherwise make the same commit, and the second push would "succeed" as a no-op: both would call the CI.
      body.push('', `Claimed-by: ${runId}`);
      return {
        message: `${subject}\n\n${body.join('\n')}\n`,
        files: changes.map((c) => ({ path: posix.join(stateRel, c.path), content: c.content })),
      };
    };
    const planned = () => {
      if (last === null) throw new FactoryError('internal', 'the rebuild was never planned');
      return last;
    };
    const reportsFor = (outcomes: Map<string, TriggerOutcome | null>) =>
      planned().claimed.flatMap((rebuild): TriggerReport[] => {
        const image = managedImage(planned().enrolment, rebuild.image);
        const request =
          image !== undefined ? triggerRequest(image, options.forge, true, triggerKey(rebuild)) : undefined;
        if (request === undefined || typeof request === 'string') return [];
        return [
          {
            image: rebuild.image,
            key: triggerKey(rebuild),
            request: { method: request.method, url: request.url, body: request.body },
            outcome: outcomes.get(rebuild.image) ?? null,
          },
        ];
      });

    if (job.dryRun) {
      await prepare(null);
      const { decisions, skipped } = planned();
      return { status: 'dry-run', decisions, triggers: reportsFor(new Map()), skipped, commits: [] };
    }
    const retry = {
      author: job.author,
      deadlineMs: job.retry.deadlineMs,
      backoffMs: job.retry.backoffMs,
      ...(job.retry.maxAttempts === undefined ? {} : { maxAttempts: job.retry.maxAttempts }),
    };
    const claim = await publishChange(gitops, prepare, log, retry);
    const { decisions, claimed, skipped, enrolment } = planned();
    const commits = claim.status === 'pushed' ? [claim.commit] : [];
    if (claimed.length === 0 || claim.status !== 'pushed') {
      return { status: claim.status, decisions, triggers: [], skipped, commits };
    }
    // The claims are in git: now, and only now, call the CIs, each once.
    const outcomes = new Map<string, TriggerOutcome | null>();
    // A few at a time (each is its own decision and key); the answers keep the claims' order.
    const sent = await mapLimit(claimed, TRIGGER_CONCURRENCY, async (rebuild) => {
      const image = managedImage(enrolment, rebuild.image);
      const request =
        image !== undefined ? triggerRequest(image, options.forge, false, triggerKey(rebuild)) : undefined;
      if (request === undefined || typeof request === 'string') return undefined;
      const token = request.provider === 'github' ? options.forge.githubToken : options.forge.gitlabToken;
      const outcome = await sendTrigger(request, token ?? '', options.forge.effects);
      log.info(
        'trigger',
        `${rebuild.image}: ${outcome.status}${outcome.status === 'triggered' ? '' : ` (${outcome.message})`}`,
      );
      return outcome;
    });
    claimed.forEach((rebuild, i) => {
      const outcome = sent[i];
      if (outcome !== undefined) outcomes.set(rebuild.image, outcome);
    });
    // Record the answers on whatever the branch holds now (the work tree is behind our own commit).
    await refresh(await gitops.resetToRemote());
    const record = async (fetched: string | null) => {
      await refresh(fetched);
      let state = folder.snapshot();
      for (const rebuild of claimed) {
        const outcome = outcomes.get(rebuild.image);
        if (outcome === undefined || outcome === null) continue;
        const answer =
          outcome.status === 'triggered'
            ? `HTTP ${outcome.httpStatus}${outcome.detail === null ? '' : ` ${outcome.detail}`}`
            : outcome.message;
        const image = managedImage(enrolment, rebuild.image);
        const config = image === undefined ? undefined : triggerConfig(image);
        state = recordTriggerOutcome(
          state,
          triggerKey(rebuild),
          { status: outcome.status, answer, ...(config === undefined ? {} : { config }) },
          rebuild,
          now,
        );
      }
      const { changes } = folder.changesTo(state);
      const lines = [...outcomes].map(([image, o]) => `${image}: ${o?.status ?? 'not sent'}`);
      return {
        message: `image-factory: record ${outcomes.size} trigger answer(s)\n\n${lines.join('\n')}\n`,
        files: changes.map((c) => ({ path: posix.join(stateRel, c.path), content: c.content })),
      };
    };
    const recorded = await publishChange(gitops, record, log, retry);
    if (recorded.status === 'pushed') commits.push(recorded.commit);
    return { status: 'pushed', decisions, triggers: reportsFor(outcomes), skipped, commits };
  });
}
