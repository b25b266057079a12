/**
 * The cluster and its surroundings on a simulated clock: the registry (real), the GitOps remote (real git), GitHub
 * (the stub) with a CI that builds, and Kargo + Argo Rollouts (kargo-*.ts, rollouts-analysis.ts) running the
 * manifests rendered from the remote (manifests.ts), their Jobs and the CronJob as processes (pods.ts).
 *
 * Time moves from event to event: a push to the registry, a Warehouse's discovery, an AnalysisRun's next measurement,
 * a CI build finishing, a CronJob tick. Between events nothing the controllers read changes, so skipping the ticks in
 * between changes no outcome:
 * - a Warehouse discovers only at its interval ticks (warehouses.go:908-936) and makes Freight from what the registry
 *   holds; with nothing pushed since its last discovery it would make the same Freight, which already exists
 *   (AlreadyExists, warehouses.go:450-493): so it is asked at the first interval tick after a push to its repository;
 * - the CronJob (`rebuild --due`) reads git, the registry and the clock; it runs at the first schedule tick after git
 *   or the registry changed and at the first tick at or after any time the state records (a due time, an ancestor's
 *   wait, a claim's timeout): at any other tick it would find what the previous run found.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { formatInstant } from '../../src/util/time.js';
import type { GithubStub } from '../support/forge-stubs.js';
import { git, remoteFile, remoteFiles, tempDir } from '../support/git-repos.js';
import { type Pushed, pushImage, type TestRegistry } from '../support/registry.js';
import { autoPromotionEnabled, availableFreight, readStage, reconcileStage, type Stage } from './kargo-stages.js';
import {
  discover,
  type Freight,
  freightFromNewest,
  getImageByTag,
  readWarehouse,
  type Warehouse,
} from './kargo-warehouse.js';
import { renderChart, renderKustomize } from './manifests.js';
import { at, type K8sObject, list, one, optStr, str, strings } from './objects.js';
import { type ClusterData, type JobRun, runJob } from './pods.js';
import { type AnalysisRun, createAnalysisRun, nextMeasurementAt, recordMeasurement } from './rollouts-analysis.js';

/** The stand-in for Trivy's executable (pods.ts runs it where the manifests run `trivy`). */
const TRIVY_STAND_IN = fileURLToPath(new URL('trivy-stand-in.mjs', import.meta.url));
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** How long a Job's pod runs in simulated time (its real run takes about a second). */
const JOB_MS = MINUTE;
/** How long the CI takes from dispatch to the pushed image. */
export const BUILD_MS = 20 * MINUTE;

/** A managed image of the world: where it is published and the tags its CI pushes. */
export interface ManagedImage {
  readonly name: string;
  readonly repository: string;
  /** The moving tag dependents build FROM (`22`, `1`). */
  readonly movingTag: string;
  /** Its version tags are `<major>.<n>.0`. */
  readonly major: number;
  /** Its Dockerfile's FROM lines, each `{ref}` a repository on the test registry with its tag. */
  readonly bases: readonly { readonly repository: string; readonly tag: string; readonly as?: string }[];
}

/** One build the CI made. */
export interface Build {
  readonly image: string;
  readonly dispatchedAt: number;
  readonly pushedAt: number;
  readonly digest: string;
  readonly key: string | undefined;
  /** For each base: the digest the build used, and whether it was pinned by the trigger. */
  readonly bases: readonly { readonly reference: string; readonly digest: string; readonly pinned: boolean }[];
}

/** A line of what happened, at its simulated time. */
export interface Happening {
  readonly at: number;
  readonly what: string;
}

interface WarehouseState {
  readonly warehouse: Warehouse;
  lastDiscoveredAt: number | undefined;
  /** A push to its repository since the last discovery (the time of the first one). */
  dirtySince: number | undefined;
  readonly freight: Freight[];
}

export interface WorldOptions {
  readonly registry: TestRegistry;
  readonly github: GithubStub;
  readonly remote: string;
  readonly images: readonly ManagedImage[];
  readonly imagesYaml: string;
  readonly start: number;
  /**
   * Run the daily rescan CronJob `image-factory-rescan` at its schedule's ticks (off by default: each run is three
   * processes, and only the scenarios about scans look at what it records).
   */
  readonly rescan?: boolean;
  /** Secrets created in the cluster (name → key → content). */
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** The next time ≥ `after` whose minute is `minute` (a `M * * * *` schedule). */
function nextCronTick(after: number, minute: number): number {
  const hour = Math.floor(after / HOUR) * HOUR;
  const tick = hour + minute * MINUTE;
  return tick >= after ? tick : tick + HOUR;
}

export class World {
  now: number;
  readonly log: Happening[] = [];
  readonly builds: Build[] = [];
  readonly jobs: { readonly at: number; readonly kind: string; readonly run: JobRun; readonly args: string[] }[] = [];
  readonly analysisRuns: AnalysisRun[] = [];
  /** When each digest pushed was created (its release), by digest. */
  readonly released = new Map<string, number>();
  /** The repository (`host/repository`) each pushed digest was pushed to. */
  readonly repositoryOf = new Map<string, string>();
  private readonly warehouses = new Map<string, WarehouseState>();
  private readonly stages = new Map<string, Stage>();
  private objects: K8sObject[] = [];
  private readonly kustomized: K8sObject[];
  private readonly cluster: ClusterData;
  private readonly pending: { at: number; run: () => Promise<void> }[] = [];
  private githubSeen = 0;
  private versions = new Map<string, number>();
  private lastSweepAt: number | undefined;
  private sweptPuts = -1;
  private lastRescanAt: number | undefined;
  private sweptThresholds = new Set<string>();
  private chartInput = '';
  /** The git remote is unreachable while set (an outage): its path moved aside. */
  private outage: string | undefined;
  /** The folder of the Trivy stand-in: its `trivy`, the fixture chosen per digest, the calls it got. */
  private readonly trivy: string;
  private readonly scanFixtures: { default: string; byDigest: Record<string, string> } = {
    default: 'alpine-39-skip.json.golden',
    byDigest: {},
  };

  constructor(private readonly o: WorldOptions) {
    this.now = o.start;
    this.kustomized = renderKustomize(o.imagesYaml, {
      gitRepo: o.remote,
      insecureRegistry: o.registry.host,
      githubApiUrl: o.github.url,
      sourceRepo: o.remote,
    });
    const configMaps = new Map<string, Record<string, string | Uint8Array>>();
    for (const cm of this.kustomized.filter((x) => x.kind === 'ConfigMap'))
      configMaps.set(cm.name, { ...readData(cm.raw, 'data'), ...readBinaryData(cm.raw) });
    this.trivy = tempDir('if-e2e-trivy-');
    writeFileSync(
      join(this.trivy, 'trivy'),
      `#!/bin/sh\nTRIVY_STAND_IN_DIR='${this.trivy}' exec '${process.execPath}' '${TRIVY_STAND_IN}' "$@"\n`,
      { mode: 0o755 },
    );
    this.writeScanChoice();
    this.cluster = { secrets: o.secrets, configMaps, standIns: new Map([['aquasec/trivy', this.trivy]]) };
    for (const image of o.images) this.versions.set(image.name, 0);
    this.apply();
  }

  private say(what: string): void {
    this.log.push({ at: this.now, what });
  }

  /** The registry access a Warehouse has (the Project's credentials for it). */
  private access() {
    return {
      baseUrl: `http://${this.o.registry.host}`,
      authorization: `Basic ${Buffer.from('alice:correct-horse-battery-staple').toString('base64')}`,
    };
  }

  /** Apply the kustomize output and the chart rendered from the remote's current content (as Argo CD syncs). */
  private apply(): void {
    const checkout = tempDir('if-e2e-checkout-');
    git(checkout, 'clone', '--quiet', this.remotePath(), '.');
    this.objects = [...this.kustomized, ...renderChart(checkout)];
    this.chartInput = this.baseImageFiles().join(',');
    for (const object of this.objects) {
      if (object.kind === 'Warehouse' && !this.warehouses.has(object.name)) {
        this.warehouses.set(object.name, {
          warehouse: readWarehouse(object.raw),
          lastDiscoveredAt: undefined,
          dirtySince: this.now,
          freight: [],
        });
        this.say(`applied Warehouse ${object.name}`);
      }
      if (object.kind === 'Stage' && !this.stages.has(object.name)) {
        this.stages.set(object.name, readStage(object));
        this.say(`applied Stage ${object.name}`);
      }
    }
  }

  private remotePath(): string {
    return this.outage ?? this.o.remote;
  }

  private baseImageFiles(): string[] {
    return remoteFiles(this.remotePath(), 'image-factory/state/base-images');
  }

  /** Push an image (a test's own push, or the CI's) at the current time; marks the Warehouses of its repository. */
  async push(repository: string, tags: readonly string[], annotations: Record<string, string> = {}): Promise<Pushed> {
    const created = formatInstant(this.now);
    let pushed: Pushed | undefined;
    for (const tag of tags)
      pushed = await pushImage(this.o.registry, repository, tag, {
        created,
        annotations,
        layer: `${repository}-${created}`,
      });
    if (pushed === undefined) throw new Error('no tag');
    this.released.set(pushed.digest, this.now);
    const repoURL = `${this.o.registry.host}/${repository}`;
    this.repositoryOf.set(pushed.digest, repoURL);
    for (const state of this.warehouses.values())
      if (state.warehouse.subscription.repoURL === repoURL) state.dirtySince ??= this.now;
    this.say(`pushed ${repository}:${tags.join(',')} ${pushed.digest.slice(0, 19)}`);
    return pushed;
  }

  private writeScanChoice(): void {
    writeFileSync(join(this.trivy, 'reports.json'), JSON.stringify(this.scanFixtures));
  }

  /**
   * What Trivy finds in a digest: one of Trivy's golden reports (test/fixtures/trivy-golden); by default
   * alpine-39-skip (no vulnerabilities).
   */
  scanFinds(digest: string, fixture: string): void {
    this.scanFixtures.byDigest[digest] = fixture;
    this.writeScanChoice();
  }

  /** Every `trivy` call the pods made: its argv and the DOCKER_CONFIG it had (a path in the pod's volume). */
  trivyCalls(): { readonly argv: string[]; readonly dockerConfig: string | null }[] {
    let text = '';
    try {
      text = readFileSync(join(this.trivy, 'calls.jsonl'), 'utf8');
    } catch {
      return [];
    }
    return text
      .trimEnd()
      .split('\n')
      .map((line) => {
        const parsed: unknown = JSON.parse(line);
        return { argv: strings(parsed, 'argv'), dockerConfig: optStr(parsed, 'dockerConfig') ?? null };
      });
  }

  /** The digest a tag points to in the registry now. */
  async digestOf(repository: string, tag: string): Promise<string> {
    const found = await getImageByTag(this.access(), `${this.o.registry.host}/${repository}`, tag);
    if (found === undefined) throw new Error(`${repository}:${tag} does not exist`);
    return found.digest;
  }

  /** Schedule something at a simulated time. */
  at(time: number, run: () => Promise<void>): void {
    this.pending.push({ at: time, run });
  }

  /** Make the git remote unreachable from `from` to `until` (its path moved aside: every git command fails). */
  gitOutage(from: number, until: number): void {
    const aside = `${this.o.remote}.down`;
    this.at(from, async () => {
      execFileSync('mv', [this.o.remote, aside]);
      this.outage = aside;
      this.say('git remote down');
    });
    this.at(until, async () => {
      execFileSync('mv', [aside, this.o.remote]);
      this.outage = undefined;
      this.say('git remote up');
    });
  }

  /** The next time anything happens, or undefined. */
  private nextEvent(): number | undefined {
    const times: number[] = this.pending.map((p) => p.at);
    for (const state of this.warehouses.values()) {
      if (state.dirtySince === undefined) continue;
      if (state.lastDiscoveredAt === undefined) times.push(state.dirtySince);
      else {
        const interval = state.warehouse.intervalMs;
        const k = Math.max(1, Math.ceil((state.dirtySince - state.lastDiscoveredAt) / interval));
        times.push(state.lastDiscoveredAt + k * interval);
      }
    }
    for (const run of this.analysisRuns) {
      const next = nextMeasurementAt(run);
      if (next !== undefined) times.push(next);
    }
    const sweep = this.nextSweep();
    if (sweep !== undefined) times.push(sweep);
    const rescan = this.nextRescan();
    if (rescan !== undefined) times.push(rescan);
    return times.length === 0 ? undefined : Math.max(this.now, Math.min(...times));
  }

  /**
   * The CronJob's next tick that could do something (see the file's comment): the first after a push to the
   * registry since the last run, and the first at or after each time the state records that is new or still ahead
   * of the last run.
   */
  private nextSweep(): number | undefined {
    const cron = one(this.objects, 'CronJob', 'image-factory-rebuild-due');
    const minute = Number(str(cron.raw, 'spec', 'schedule').split(' ')[0]);
    const last = this.lastSweepAt ?? Number.NEGATIVE_INFINITY;
    const ticks: number[] = [];
    if (this.registryPuts() !== this.sweptPuts) ticks.push(nextCronTick(Math.max(this.now, last + 1), minute));
    for (const [id, t] of this.stateThresholds())
      if (t > last || !this.sweptThresholds.has(id)) ticks.push(nextCronTick(Math.max(t, this.now, last + 1), minute));
    return ticks.length === 0 ? undefined : Math.min(...ticks);
  }

  private registryPuts(): number {
    return this.o.registry.requests().filter((r) => r.method === 'PUT').length;
  }

  /**
   * Every time the state records that the sweep acts on, by an id: pending due times and ancestor waits, claims
   * plus the claim timeout (2h, `rebuild --help`).
   */
  private stateThresholds(): Map<string, number> {
    const times = new Map<string, number>();
    const claimTimeout = 2 * HOUR;
    for (const file of this.baseImageFiles()) {
      const state: unknown = parse(this.file(file) ?? '');
      for (const entry of list(state, 'rebuild', 'pending')) {
        const image = str(entry, 'image');
        times.set(`${file}:${image}:due`, Date.parse(str(entry, 'due')));
        const wait = optStr(entry, 'waitUntil');
        if (wait !== undefined) times.set(`${file}:${image}:wait`, Date.parse(wait));
      }
      for (const claim of list(state, 'rebuild', 'claims')) {
        const since = optStr(claim, 'resentAt') ?? str(claim, 'claimedAt');
        times.set(`${file}:${str(claim, 'key')}:${since}`, Date.parse(since) + claimTimeout);
      }
    }
    return times;
  }

  /** Run the simulation until `end`. */
  async runUntil(end: number): Promise<void> {
    for (let guard = 0; guard < 5000; guard++) {
      const next = this.nextEvent();
      if (next === undefined || next > end) break;
      this.now = next;
      await this.step();
    }
    this.now = end;
  }

  private async step(): Promise<void> {
    const due = this.pending.filter((p) => p.at <= this.now).sort((a, b) => a.at - b.at);
    for (const p of due) this.pending.splice(this.pending.indexOf(p), 1);
    for (const p of due) await p.run();
    await this.discoverDue();
    await this.measureDue();
    const rescan = this.nextRescan();
    if (rescan !== undefined && rescan <= this.now) await this.rescan();
    const sweep = this.nextSweep();
    if (sweep !== undefined && sweep <= this.now) await this.sweep();
    if (this.outage === undefined && this.baseImageFiles().join(',') !== this.chartInput) {
      this.apply();
      await this.discoverDue();
    }
  }

  private async discoverDue(): Promise<void> {
    for (const state of this.warehouses.values()) {
      if (state.dirtySince === undefined) continue;
      const interval = state.warehouse.intervalMs;
      const dueAt =
        state.lastDiscoveredAt === undefined
          ? state.dirtySince
          : state.lastDiscoveredAt +
            Math.max(1, Math.ceil((state.dirtySince - state.lastDiscoveredAt) / interval)) * interval;
      if (dueAt > this.now) continue;
      state.lastDiscoveredAt = this.now;
      state.dirtySince = undefined;
      const discovered = await discover(this.access(), state.warehouse.subscription);
      const freight = freightFromNewest(state.warehouse, discovered, this.now);
      if (freight === undefined || state.freight.some((f) => f.name === freight.name)) continue;
      state.freight.push(freight);
      this.say(
        `Freight ${freight.name.slice(0, 7)} of ${state.warehouse.name}: ${freight.tag}@${freight.digest.slice(0, 19)}`,
      );
      await this.reconcileStages();
    }
  }

  private subscriptions(): Map<string, string[]> {
    return new Map([...this.warehouses].map(([name, s]) => [name, [s.warehouse.subscription.repoURL]]));
  }

  /** Reconcile every Stage (Kargo's watches: new Freight, Freight verified upstream, AnalysisRun changes). */
  private async reconcileStages(): Promise<void> {
    const projectConfig = one(this.objects, 'ProjectConfig', 'image-factory-kargo').raw;
    for (let pass = 0; pass < 3; pass++) {
      for (const stage of this.stages.values()) {
        const available = availableFreight(
          stage,
          (w) => this.warehouses.get(w)?.freight ?? [],
          (s) => this.stages.get(s)?.verified ?? new Set(),
        );
        reconcileStage(stage, available, autoPromotionEnabled(projectConfig, stage), {
          subscriptions: this.subscriptions(),
          findAnalysisRun: (s, id) => this.analysisRuns.filter((r) => r.stage === s && r.collectionId === id).at(-1),
          startAnalysisRun: (s, template, args) => {
            const run = createAnalysisRun(one(this.objects, 'AnalysisTemplate', template).raw, args, {
              name: `${s.name}.${this.analysisRuns.length}`,
              stage: s.name,
              collectionId: s.current?.collectionId ?? '',
              createdAt: this.now,
            });
            this.analysisRuns.push(run);
            this.say(
              `AnalysisRun ${run.name} (${Object.entries(args)
                .map(([k, v]) => `${k}=${v.slice(0, 24)}`)
                .join(' ')})`,
            );
            return run;
          },
          log: (line) => this.say(line),
        });
      }
    }
  }

  private async measureDue(): Promise<void> {
    for (const run of this.analysisRuns) {
      const next = nextMeasurementAt(run);
      if (next === undefined || next > this.now) continue;
      run.phase = 'Running';
      const job = await this.runJob('verification', run.metric.jobSpec);
      recordMeasurement(run, job.condition, this.now + JOB_MS);
      this.say(`AnalysisRun ${run.name}: Job ${job.condition} → ${run.phase}`);
      await this.reconcileStages();
    }
  }

  private async sweep(): Promise<void> {
    this.lastSweepAt = this.now;
    const puts = this.registryPuts();
    const cron = one(this.objects, 'CronJob', 'image-factory-rebuild-due');
    const job = await this.runJob('cron', at(cron.raw, 'spec', 'jobTemplate', 'spec'));
    // A failed run changed nothing: the next tick runs again, as the CronJob would anyway.
    if (job.condition !== 'Complete') return;
    this.sweptPuts = puts;
    this.sweptThresholds = new Set(this.stateThresholds().keys());
  }

  /** The rescan CronJob's next tick (`M H * * *`), when the scenario runs it. */
  private nextRescan(): number | undefined {
    if (this.o.rescan !== true) return undefined;
    const cron = one(this.objects, 'CronJob', 'image-factory-rescan');
    const [minute, hour] = str(cron.raw, 'spec', 'schedule').split(' ').map(Number);
    const after = Math.max(this.now, (this.lastRescanAt ?? Number.NEGATIVE_INFINITY) + 1);
    const day = Math.floor(after / (24 * HOUR)) * 24 * HOUR;
    const tick = day + (hour ?? 0) * HOUR + (minute ?? 0) * MINUTE;
    return tick >= after ? tick : tick + 24 * HOUR;
  }

  /**
   * The daily rescan: it records scans in git, an input of every `rebuild` run, so the sweep runs at its next tick
   * (a stored fix can make a pending rebuild urgent).
   */
  private async rescan(): Promise<void> {
    this.lastRescanAt = this.now;
    const cron = one(this.objects, 'CronJob', 'image-factory-rescan');
    const job = await this.runJob('rescan', at(cron.raw, 'spec', 'jobTemplate', 'spec'));
    if (job.condition === 'Complete') this.sweptPuts = -1;
  }

  private async runJob(kind: string, jobSpec: unknown): Promise<JobRun> {
    const container = list(jobSpec, 'template', 'spec', 'containers')[0];
    // A shell step's first arg is its script: the record names the step (its $0) and its flags instead.
    const all = list(container, 'args').map((_, i, every) => str(every, i));
    const args = all[0]?.includes('\n') === true ? all.slice(1) : all;
    const run = await runJob(jobSpec, this.now, this.cluster);
    this.jobs.push({ at: this.now, kind, run, args });
    const last = run.pods.at(-1);
    const failedIn = run.condition === 'Failed' && last?.container !== undefined ? ` in ${last.container}` : '';
    this.say(
      `${kind} Job ${args[0] ?? ''}: ${run.condition}${failedIn}${last?.notStarted ? ` (${last.notStarted})` : ''}`,
    );
    await this.collectDispatches();
    return run;
  }

  /** Every dispatch the stub accepted since the last look becomes a build, pushed BUILD_MS later. */
  private async collectDispatches(): Promise<void> {
    const requests = this.o.github.requests;
    for (; this.githubSeen < requests.length; this.githubSeen++) {
      const request = requests[this.githubSeen];
      if (request === undefined || request.method !== 'POST') continue;
      const file = request.path.split('/').at(-2) ?? '';
      const image = this.o.images.find((i) => `${i.name}.yaml` === file);
      if (image === undefined) continue;
      const body = request.body;
      const inputs = readInputs(body);
      const dispatchedAt = this.now;
      this.say(`CI dispatch ${image.name} key ${inputs.image_factory_key ?? '-'}`);
      this.at(this.now + BUILD_MS, async () => this.build(image, inputs, dispatchedAt));
    }
  }

  /**
   * The CI "builds": each base from the `base_images` input's named context when there is one (BuildKit
   * `name=docker-image://repo@sha256:…`), else what its tag points to now; pushes `<major>.<n>.0` and the moving
   * tag with `org.opencontainers.image.base.digest` = the final stage's base digest.
   */
  private async build(image: ManagedImage, inputs: Record<string, string>, dispatchedAt: number): Promise<void> {
    const pins = new Map<string, string>();
    for (const line of (inputs.base_images ?? '').split('\n').filter(Boolean)) {
      const m = /^(.+?)=docker-image:\/\/(.+)@(sha256:[0-9a-f]{64})$/.exec(line);
      if (m === null) throw new Error(`base_images line is not a BuildKit named context: ${line}`);
      pins.set(m[1] ?? '', m[3] ?? '');
    }
    const bases: { reference: string; digest: string; pinned: boolean }[] = [];
    for (const base of image.bases) {
      const reference = `${this.o.registry.host}/${base.repository}:${base.tag}`;
      const pinned = pins.get(reference);
      const current = await getImageByTag(this.access(), `${this.o.registry.host}/${base.repository}`, base.tag);
      if (current === undefined) throw new Error(`${reference} does not exist`);
      bases.push({ reference, digest: pinned ?? current.digest, pinned: pinned !== undefined });
    }
    const version = (this.versions.get(image.name) ?? 0) + 1;
    this.versions.set(image.name, version);
    const final = bases.at(-1);
    const pushed = await this.push(image.repository, [`${image.major}.${version}.0`, image.movingTag], {
      'org.opencontainers.image.base.digest': final?.digest ?? '',
      'org.opencontainers.image.base.name': final?.reference ?? '',
    });
    this.builds.push({
      image: image.name,
      dispatchedAt,
      pushedAt: this.now,
      digest: pushed.digest,
      key: inputs.image_factory_key,
      bases,
    });
  }

  /** The base image state files at the remote's tip (paths from the repository's root). */
  baseImageFilesAtTip(): string[] {
    return this.baseImageFiles();
  }

  /** A file at the remote's tip. */
  file(path: string): string | null {
    return remoteFile(this.remotePath(), path);
  }

  /** What happened, one line each, for a failing test's message. */
  story(): string {
    return this.log.map((h) => `${formatInstant(h.at)} ${h.what}`).join('\n');
  }
}

function readData(raw: unknown, field: 'data' | 'binaryData'): Record<string, string> {
  const data = typeof raw === 'object' && raw !== null ? Reflect.get(raw, field) : undefined;
  const out: Record<string, string> = {};
  if (typeof data === 'object' && data !== null)
    for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A ConfigMap's `binaryData` as the kubelet writes it into the volume: base64 decoded to bytes. */
function readBinaryData(raw: unknown): Record<string, Uint8Array> {
  return Object.fromEntries(
    Object.entries(readData(raw, 'binaryData')).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
  );
}

function readInputs(body: unknown): Record<string, string> {
  const inputs = typeof body === 'object' && body !== null ? Reflect.get(body, 'inputs') : undefined;
  const out: Record<string, string> = {};
  if (typeof inputs === 'object' && inputs !== null)
    for (const [k, v] of Object.entries(inputs)) if (typeof v === 'string') out[k] = v;
  return out;
}
