/** `image-factory status`: one screen on what the factory knows about a GitOps repository. */
import { resolve } from 'node:path';
import type { Enrolment } from '../../enrolment/types.js';
import { EXIT, FactoryError, messageOf } from '../../errors.js';
import { gatedDigests, verdictOf } from '../../rebuild/index.js';
import { type LiveStatus, liveStatus } from '../../registry/live-status.js';
import { readReleaseCache, writeReleaseCache } from '../../registry/release-cache.js';
import { policyFor, type TrustRoot, verifyImageSignatures } from '../../signatures/index.js';
import {
  baseNamesOf,
  buildFreshness,
  type CarriedVulnerabilities,
  carriedVulnerabilities,
  claimsInFlight,
  latestHistoryByImage,
  mergedPendingByImage,
  type SeverityCounts,
  scanFacts,
  type VulnerabilityFacts,
} from '../../state/freshness.js';
import { dependencyTree } from '../../state/graph.js';
import type { StateSnapshot } from '../../state/types.js';
import { compareCodeUnits } from '../../util/compare.js';
import { readConfinedFile } from '../../util/confined.js';
import { mapLimit } from '../../util/map-limit.js';
import { formatInstant } from '../../util/time.js';
import { planWarehouses } from '../../warehouses/plan.js';
import { formatTable } from '../format-table.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { CHECKOUT_OPTIONS, readCheckout } from '../repository-options.js';
import { readTrustRootOption, trustRootOption } from '../trust-root-option.js';
import {
  type CommandIO,
  defineCommand,
  EXIT_OK,
  HELP_OPTION,
  type OptionSpecs,
  renderHelp,
  writeJson,
} from '../usage.js';

const DEFAULT_CONCURRENCY = 8;

const OPTIONS = {
  ...CHECKOUT_OPTIONS,
  json: { type: 'boolean', default: false, help: 'print the same facts as JSON (shape in docs/cli.md)' },
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const LIVE_OPTIONS = {
  live: {
    type: 'boolean',
    default: false,
    help: 'ask the registries: current digest and release time of every base and external image, age and\nstaleness of every managed image (one HEAD per distinct reference)',
  },
  concurrency: {
    type: 'string',
    value: 'N',
    help: `registry lookups in flight with --live (default ${DEFAULT_CONCURRENCY})`,
  },
  'release-cache': {
    type: 'string',
    value: 'FILE',
    help: 'read and update release times by digest in FILE (a digest never changes, so neither does its time):\na known digest costs one HEAD and no GETs (which Docker Hub counts as pulls)',
  },
  ...trustRootOption('', " the live digests' signatures are\nverified against"),
  ...REGISTRY_OPTIONS,
} as const satisfies OptionSpecs;

const ALL_OPTIONS = { ...OPTIONS, ...LIVE_OPTIONS } as const;

const HELP = renderHelp({
  usage: [
    'status [--root DIR] [--images FILE] [--image-factory-dir DIR] [--json]',
    'status --live [--concurrency N] [--release-cache FILE] [--registry-config FILE] [--insecure-registry HOST:PORT]\n              [--trust-root FILE] [--json]',
  ],
  description: `Print a one-screen summary of a GitOps repository: images enrolled (managed / external), base
images found, the Warehouses the chart would generate, and the dependency graph as a tree
(base image → images built on it → images built on those), and what the scans recorded in git say: per base
and external image the counts by severity of its current digest's scan, fixable CRITICALs, EOSL and scan age;
per managed image what its bases carry and what a rebuild would fix ("not scanned" where no scan is recorded).

With --live, ask the registries instead: for every base and external image its current digest and release
time, for every managed image the age of its last analysed build and whether a base was released after it
(stale). Nothing is written.`,
  sections: [
    ['Options', OPTIONS],
    ['Registry (--live)', LIVE_OPTIONS],
  ],
  exit: '0 printed, 1 invalid images.yaml or state (--live: a lookup was refused or found nothing), 2 usage error\nor unreadable file, 3 (--live) a registry kept failing until the retries ran out: safe to run again.',
  examples: [
    'image-factory status --root ../gitops',
    'image-factory status --json',
    'image-factory status --live --registry-config ~/.docker/config.json',
  ],
});

/** The `status` command. */
export const statusCommand = defineCommand({
  name: 'status',
  summary: 'summarise images, base images, Warehouses and the dependency graph',
  help: HELP,
  options: ALL_OPTIONS,
  async run(values, _positionals, io) {
    const trust = await readTrustRootOption('status', values['trust-root'], io, {
      option: '--live',
      given: values.live === true,
    });
    const { enrolment, state } = await readCheckout(values, io);
    if (values.live) return runLive(values, state, enrolment, io, trust);
    const { warehouses, warnings } = planWarehouses(enrolment, state);
    const managed = enrolment.images.filter((i) => i.kind === 'managed').length;
    const bases = [...state.baseImages.values()];
    const managedBases = bases.filter((b) => b.managedImage !== undefined).length;
    const pinned = bases.filter((b) => b.untracked !== undefined).length;
    const baseWarehouses = warehouses.filter((w) => w.kind === 'base').length;
    const vulnerabilities = vulnerabilitiesOf(state, formatInstant(io.now?.() ?? new Date()));
    if (values.json) {
      writeJson(io, {
        images: { total: enrolment.images.length, managed, external: enrolment.images.length - managed },
        baseImages: {
          total: bases.length,
          external: bases.length - managedBases - pinned,
          builtHere: managedBases,
          pinnedByDigest: pinned,
        },
        warehouses: { base: baseWarehouses, external: warehouses.length - baseWarehouses, managedPipelines: managed },
        // Every base image with the images built on it: the graph as edges, sorted by reference.
        graph: bases
          .map((b) => ({
            name: b.name,
            reference: b.reference,
            ...(b.managedImage === undefined ? {} : { managedImage: b.managedImage }),
            ...(b.untracked === undefined ? {} : { untracked: b.untracked }),
            dependents: b.dependents,
          }))
          .sort((a, b) => compareCodeUnits(a.reference, b.reference)),
        warnings,
        rebuilds: rebuildsOf(state),
        signatures: signaturesOf(state),
        vulnerabilities,
      });
      return EXIT_OK;
    }
    const lines = [
      `images enrolled:      ${enrolment.images.length} (${managed} managed, ${enrolment.images.length - managed} external)`,
      `base images found:    ${bases.length} (${bases.length - managedBases - pinned} external, ${managedBases} built here, ${pinned} pinned by digest)`,
      `Warehouses generated: ${warehouses.length} (${baseWarehouses} base, ${warehouses.length - baseWarehouses} external) + ${managed} managed pipeline(s)`,
      '',
      'dependency graph:',
      ...dependencyTree(state, enrolment).map((line) => `  ${line}`),
      ...rebuildLines(rebuildsOf(state)),
      ...signatureLines(signaturesOf(state)),
      ...vulnerabilityLines(vulnerabilities),
      ...warnings.map((w) => `warning: ${w}`),
    ];
    io.stdout(`${lines.join('\n')}\n`);
    return EXIT_OK;
  },
});

type LiveValues = Parameters<typeof registryClientFrom>[1] & {
  concurrency?: string;
  json?: boolean;
  'release-cache'?: string;
  root?: string;
  'trust-root'?: string;
};

/** A live digest's signature verdict under its image's policy (only for images a policy covers). */
interface LiveSignature {
  readonly verdict: 'passed' | 'blocked' | 'warning' | 'unverifiable';
  /** Why it failed (who signed it, what the policy wanted); null when it passed. */
  readonly reason: string | null;
}

/**
 * Verify the live digest of every base and external image a `verify` policy covers (keys read under `root`), by
 * state name. The verdict is the rebuild gate's (rebuild/gate.ts): the same digest would be blocked there.
 */
async function liveSignatures(
  client: Awaited<ReturnType<typeof registryClientFrom>>,
  state: StateSnapshot,
  enrolment: Enrolment,
  live: LiveStatus,
  root: string,
  concurrency: number,
  trust: TrustRoot | undefined,
): Promise<Map<string, LiveSignature>> {
  const targets = [
    ...live.baseImages.map((b) => ({ name: b.name, digest: b.digest, at: state.baseImages.get(b.name) })),
    ...live.externalImages.map((e) => ({ name: e.name, digest: e.digest, at: state.images.get(e.name) })),
  ];
  const found = new Map<string, LiveSignature>();
  await mapLimit(targets, concurrency, async ({ name, digest, at }) => {
    if (digest === null || at === undefined) return;
    const policy = policyFor(enrolment, at.registry, at.repository);
    if (policy === null) return;
    try {
      const repo = { registry: at.registry, repository: at.repository };
      const readKeyFile = (file: string) => readConfinedFile(root, file, 'verify key file', 'invalid-enrolment');
      const verification = await verifyImageSignatures(client, repo, digest, policy, readKeyFile, trust);
      const verdict = verdictOf(verification, policy);
      found.set(name, { verdict: verdict.status, reason: verdict.status === 'passed' ? null : verdict.reason });
    } catch (error) {
      if (error instanceof FactoryError && error.code === 'invalid-enrolment') throw error;
      found.set(name, { verdict: 'unverifiable', reason: `signature not verified: ${messageOf(error)}` });
    }
  });
  return found;
}

async function runLive(
  values: LiveValues,
  state: StateSnapshot,
  enrolment: Enrolment,
  io: CommandIO,
  trust: TrustRoot | undefined,
): Promise<number> {
  const concurrency = values.concurrency === undefined ? DEFAULT_CONCURRENCY : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new FactoryError('usage', 'image-factory status: --concurrency must be a whole number from 1 to 64');
  }
  const client = await registryClientFrom('status', values, io);
  const cacheFile = values['release-cache'] === undefined ? undefined : resolve(io.cwd, values['release-cache']);
  const known = cacheFile === undefined ? new Map<string, string | null>() : await readReleaseCache(cacheFile);
  const now = io.now?.() ?? new Date();
  const live = await liveStatus(client, state, { concurrency, now, knownReleases: known });
  const { exitCode, releases } = live;
  if (cacheFile !== undefined) await writeReleaseCache(cacheFile, releases, known);
  const signatures = await liveSignatures(
    client,
    state,
    enrolment,
    live.status,
    resolve(io.cwd, values.root ?? '.'),
    concurrency,
    trust,
  );
  const signed = <T extends { name: string }>(entry: T) => {
    const signature = signatures.get(entry.name);
    return signature === undefined ? entry : { ...entry, signature };
  };
  const fresh = withFreshness(live.status, state, formatInstant(now));
  const status = {
    ...fresh,
    baseImages: fresh.baseImages.map(signed),
    externalImages: fresh.externalImages.map(signed),
  };
  // A signature that could not be checked is a check not made, like a registry that kept failing.
  const unverified = [...signatures.values()].some((v) => v.verdict === 'unverifiable');
  const exit = exitCode === EXIT_OK && unverified ? EXIT.transient : exitCode;
  if (values.json) {
    writeJson(io, status);
    return exit;
  }
  const signatureNote = (name: string) => {
    const v = signatures.get(name);
    return v === undefined ? '' : v.verdict === 'passed' ? 'signature verified' : `signature ${v.verdict}: ${v.reason}`;
  };
  const note = (...parts: string[]) => parts.filter((p) => p !== '').join('; ');
  const short = (digest: string | null) => (digest === null ? '-' : digest.slice(0, 19));
  const lines = [
    'base images:',
    formatTable(
      ['NAME', 'DIGEST', 'RELEASED', 'NOTE'],
      status.baseImages.map((b) => [
        b.name,
        short(b.digest),
        b.released ?? '-',
        b.error ?? note(b.pinned ? 'pinned by digest' : '', signatureNote(b.name)),
      ]),
    ),
    '',
    'external images:',
    formatTable(
      ['NAME', 'REFERENCE', 'DIGEST', 'RELEASED', 'NOTE'],
      status.externalImages.map((e) => [
        e.name,
        e.reference,
        short(e.digest),
        e.released ?? '-',
        e.error ?? signatureNote(e.name),
      ]),
    ),
    '',
    'managed images:',
    formatTable(
      ['NAME', 'BUILT', 'AGE', 'STALE', 'NOTE'],
      status.managedImages.map((m) => [
        m.name,
        m.created ?? '-',
        m.ageDays === null ? '-' : `${m.ageDays}d`,
        m.stale === null ? '?' : m.stale ? 'yes' : 'no',
        m.error ??
          (m.build === null
            ? 'no build analysed yet'
            : m.newerBases.length > 0
              ? `newer: ${m.newerBases.join(', ')}`
              : ''),
      ]),
    ),
    '',
    `requests: ${status.requests.head} HEAD, ${status.requests.get} GET, ${status.requests.token} token, ${status.requests.ping} ping`,
    ...status.rateLimits.map((r) => `rate limit ${r.registry}: ${r.remaining} of ${r.limit} pulls left`),
    ...status.failedRegistries.map((f) => `registry ${f.registry} failed for ${f.images.join(', ')}: ${f.error}`),
  ];
  io.stdout(`${lines.join('\n')}\n`);
  return exit;
}

/**
 * The `status --live` view: the registries' facts with each managed build's age and staleness (state/freshness.ts
 * decides; the base release times are the registries' answers).
 */
function withFreshness(live: LiveStatus, state: StateSnapshot, now: string) {
  const released = new Map(live.baseImages.map((b) => [b.name, b.released]));
  return {
    ...live,
    managedImages: live.managedImages.map((m) => {
      const image = state.images.get(m.name);
      const names = image?.kind === 'managed' ? baseNamesOf(image) : [];
      const fresh = buildFreshness(
        m.created,
        names.map((name) => ({ name, released: released.get(name) ?? null })),
        now,
      );
      return {
        name: m.name,
        build: m.build,
        created: m.created,
        ageDays: fresh.ageDays,
        stale: fresh.stale,
        newerBases: fresh.newerBases,
        error: m.error,
      };
    }),
  };
}

/**
 * Every rebuild still owed, per image: pending (merged as it will be triggered, with why the last sweep did not send
 * it), claimed and not answered (when, how many sends), and the last refused trigger of each image.
 */
function rebuildsOf(state: StateSnapshot) {
  const pending = [...mergedPendingByImage(state).values()]
    .sort((a, b) => compareCodeUnits(a.image, b.image))
    .map((p) => ({
      image: p.image,
      due: p.due,
      urgent: p.urgent,
      waitFor: p.waitFor,
      waitUntil: p.waitUntil,
      causes: p.causes,
      notSent: p.notSent,
    }));
  const claimed = claimsInFlight(state).map((c) => ({
    image: c.image,
    key: c.key,
    claimedAt: c.claimedAt,
    sends: c.sends,
    urgent: c.urgent,
    causes: c.causes,
  }));
  const failed = [...latestHistoryByImage(state, (h) => h.result === 'failed').values()]
    .map((h) => ({ image: h.image, at: h.at, answer: h.answer ?? '' }))
    .sort((a, b) => compareCodeUnits(a.image, b.image));
  return { pending, claimed, failed };
}

/** The base digests the signature gate recorded (rebuild/gate.ts decides): blocked, and warned about. */
function signaturesOf(state: StateSnapshot) {
  const gated = gatedDigests(state);
  return {
    blocked: gated.filter((g) => g.verdict === 'blocked').map(({ verdict: _v, ...g }) => g),
    warnings: gated.filter((g) => g.verdict === 'warning').map(({ verdict: _v, ...g }) => g),
  };
}

function signatureLines(signatures: ReturnType<typeof signaturesOf>): string[] {
  const { blocked, warnings } = signatures;
  if (blocked.length === 0 && warnings.length === 0) return [];
  return [
    '',
    'signatures (base digests that failed their policy):',
    ...blocked.map(
      (b) =>
        `  ${b.base} ${b.digest.slice(0, 19)}: blocked${b.unsigned ? ' (unsigned)' : ''}, seen ${b.seen}: ${b.reason}`,
    ),
    ...warnings.map(
      (w) =>
        `  ${w.base} ${w.digest.slice(0, 19)}: used with a warning${w.unsigned ? ' (unsigned)' : ''}, seen ${w.seen}: ${w.reason}`,
    ),
  ];
}

const causesText = (causes: readonly { base: string; digest: string }[]) =>
  causes.map((c) => `${c.base} ${c.digest.slice(0, 19)}`).join(', ');

function pendingLine(p: ReturnType<typeof rebuildsOf>['pending'][number]): string {
  const urgent = p.urgent ? ' (urgent)' : '';
  const waits = p.waitFor.length > 0 ? `, waits for ${p.waitFor.join(', ')} until ${p.waitUntil ?? '-'}` : '';
  const notSent = p.notSent === null ? '' : `, not sent: ${p.notSent}`;
  return `  ${p.image}: due ${p.due}${urgent}${waits}${notSent} (${causesText(p.causes)})`;
}

function rebuildLines(rebuilds: ReturnType<typeof rebuildsOf>): string[] {
  const { pending, claimed, failed } = rebuilds;
  if (pending.length === 0 && claimed.length === 0 && failed.length === 0) return [];
  return [
    '',
    'rebuilds:',
    ...pending.map(pendingLine),
    ...claimed.map(
      (c) =>
        `  ${c.image}: claimed ${c.claimedAt} (${c.sends} send${c.sends === 1 ? '' : 's'}), no answer recorded yet, key ${c.key} (${causesText(c.causes)})`,
    ),
    ...failed.map((f) => `  ${f.image}: trigger failed ${f.at}: ${f.answer}`),
  ];
}

/**
 * What the scans in git say, per image (state/freshness.ts decides): each base and external image's current digest's
 * scan (counts, fixable CRITICALs, EOSL, age) and, for a base, its newest digest's and what that would fix; each
 * managed image's bases, what they carry and what a rebuild would fix. Sorted by name.
 */
function vulnerabilitiesOf(state: StateSnapshot, now: string) {
  const byName = <T extends { name: string }>(list: T[]) => list.sort((a, b) => compareCodeUnits(a.name, b.name));
  const images = [...state.images.values()];
  return {
    baseImages: byName([...state.baseImages.values()].map((b) => ({ name: b.name, ...scanFacts(b, now) }))),
    externalImages: byName(
      images.flatMap((i) => (i.kind === 'external' ? [{ name: i.name, ...scanFacts(i, now) }] : [])),
    ),
    managedImages: byName(
      images.flatMap((i) => (i.kind === 'managed' ? [{ name: i.name, ...carriedVulnerabilities(i, state, now) }] : [])),
    ),
  };
}

const countsText = (s: SeverityCounts | null) =>
  s === null ? '-' : `${s.criticalCount}/${s.highCount}/${s.mediumCount}/${s.lowCount}/${s.unknownCount}`;
const idsText = (ids: readonly string[]) => (ids.length === 0 ? '-' : ids.join(', '));

function scannedRow(kind: string, v: { name: string } & VulnerabilityFacts): string[] {
  const s = v.scan;
  const notes = [
    ...(s === null ? [v.digest === null ? 'not scanned (no digest known)' : 'not scanned'] : []),
    ...(v.latest !== null && v.latest.scan === null ? ['newest digest not scanned'] : []),
    ...(v.fixedByLatest.length === 0 ? [] : [`newest digest fixes ${v.fixedByLatest.join(', ')}`]),
  ];
  return [
    v.name,
    kind,
    v.digest === null ? '-' : v.digest.slice(0, 19),
    countsText(s?.summary ?? null),
    idsText(s?.fixableCritical ?? []),
    s === null ? '-' : s.eosl ? 'EOSL' : 'no',
    s === null ? '-' : s.ageDays === null ? s.scannedAt : `${s.ageDays}d ago`,
    notes.join('; '),
  ];
}

function carriedRow(m: { name: string } & CarriedVulnerabilities): string[] {
  return [
    m.name,
    countsText(m.summary),
    idsText(m.fixableCritical),
    idsText(m.eoslBases),
    idsText(m.rebuildWouldFix),
    m.notScanned.length === 0 ? '' : `not scanned: ${m.notScanned.join(', ')}`,
  ];
}

function vulnerabilityLines(v: ReturnType<typeof vulnerabilitiesOf>): string[] {
  const scanned = [...v.baseImages, ...v.externalImages].some((i) => i.scan !== null || i.latest?.scan);
  if (!scanned) return ['', 'vulnerabilities: no scan recorded yet (`image-factory scan record` writes them)'];
  return [
    '',
    'vulnerabilities (the scan of the digest in use; counts CRITICAL/HIGH/MEDIUM/LOW/UNKNOWN):',
    formatTable(
      ['NAME', 'KIND', 'DIGEST', 'C/H/M/L/U', 'FIXABLE CRITICAL', 'EOSL', 'SCANNED', 'NOTE'],
      [...v.baseImages.map((b) => scannedRow('base', b)), ...v.externalImages.map((e) => scannedRow('external', e))],
    ),
    '',
    'what the bases of managed images carry:',
    formatTable(
      ['NAME', 'C/H/M/L/U', 'FIXABLE CRITICAL', 'EOSL BASES', 'A REBUILD WOULD FIX', 'NOTE'],
      v.managedImages.map(carriedRow),
    ),
  ];
}
