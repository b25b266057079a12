/**
 * Compliance: each running container against what the factory knows. A managed image should run its last analysed
 * build (else `behind`), and that build should have no rebuild pending (else `stale`); an external or base image
 * should run the newest digest of its tag (from the registry with --live, else the digest state records), and what
 * the factory does not know is listed apart. Pure: the newest digests come in as a map, and the tags the registry
 * could not be asked about as another (their containers are unverified, never judged on the state's older word).
 * Beside the verdict, each container says what the scans recorded in git find in what it runs (issue 21): a managed
 * image running its last analysed build, its bases' fixable CRITICALs and end-of-life OSes and what a rebuild would
 * fix; an external or base image, the scan of the digest it runs. And whether the digest it runs fails its image's
 * signature policy (issue 22): as the rebuild gate recorded it, or as --live checks it.
 */

import { gatedDigests } from '../rebuild/index.js';
import { type NormalisedReference, normaliseReference } from '../reference/normalise.js';
import {
  carriedVulnerabilities,
  newestRecordedDigest,
  type OwedRebuild,
  owedRebuilds,
  scanOfDigest,
} from '../state/freshness.js';
import type { BaseImageState, ExternalImageState, ManagedImageState, StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import type { RunningContainer } from './pods.js';

export type Verdict = 'current' | 'behind' | 'stale' | 'unverified' | 'not-running' | 'untracked';

/** What the recorded scans find in what a container runs. */
export interface ContainerVulnerabilities {
  /** The fixable CRITICAL ids it carries (a managed image: its bases' current digests'), each once, sorted. */
  readonly fixableCritical: readonly string[];
  /** What runs on an end-of-life OS: the image itself, or the bases of a managed image, sorted. */
  readonly eosl: readonly string[];
  /** A managed image: the CRITICAL ids a rebuild onto its bases' newest digests would fix (else empty). */
  readonly rebuildWouldFix: readonly string[];
  /** What has no recorded scan: the image itself, or the bases of a managed image, sorted. */
  readonly notScanned: readonly string[];
}

export interface ContainerVerdict {
  readonly container: string;
  readonly init: boolean;
  readonly pod: string;
  readonly image: string;
  readonly running: string | null;
  /** What the factory calls it: `managed api`, `external postgres`, `base node-22-bookworm-slim`; null when unknown. */
  readonly known: string | null;
  readonly expected: string | null;
  readonly verdict: Verdict;
  readonly reason: string;
  /**
   * What the recorded scans find in what it runs; null when what it runs is not known to the state: not running, a
   * managed image not running its last analysed build (the bases of the build it runs are not recorded).
   */
  readonly vulnerabilities: ContainerVulnerabilities | null;
  /**
   * The digest it runs fails its image's signature policy (issue 22): blocked (enforced), warning (mode warn), or
   * unverifiable (--live could not check it). Absent: it passed, no policy covers it, or nothing is known.
   */
  readonly signature?: SignatureFinding;
}

/** A running digest that fails its image's signature policy, and why (rebuild/gate.ts words it). */
export interface SignatureFinding {
  readonly verdict: 'blocked' | 'warning' | 'unverifiable';
  readonly reason: string;
}

/** The key of a signature finding: `registry/repository@digest`. */
export const digestKey = (registry: string, repository: string, digest: string): string =>
  `${registry}/${repository}@${digest}`;

/** The findings state records: the base digests the rebuild gate recorded blocked or warned about. */
export function recordedSignatureFindings(state: StateSnapshot): Map<string, SignatureFinding> {
  const findings = new Map<string, SignatureFinding>();
  for (const g of gatedDigests(state)) {
    const base = state.baseImages.get(g.base);
    if (base === undefined) continue;
    findings.set(digestKey(base.registry, base.repository, g.digest), { verdict: g.verdict, reason: g.reason });
  }
  return findings;
}

export interface WorkloadReport {
  readonly namespace: string;
  readonly workload: string;
  readonly containers: readonly ContainerVerdict[];
}

export interface ComplianceReport {
  readonly workloads: readonly WorkloadReport[];
  /** Containers whose image the factory does not know, by image. */
  readonly untracked: readonly { readonly image: string; readonly containers: readonly string[] }[];
  readonly counts: Readonly<Record<Verdict, number>>;
  /** Containers (not untracked) that carry a fixable CRITICAL, and that run on an end-of-life OS. */
  readonly vulnerable: { readonly fixableCritical: number; readonly eosl: number };
  /** Containers whose running digest fails its image's signature policy: enforced, warn only, not checkable. */
  readonly signatures: { readonly blocked: number; readonly warning: number; readonly unverifiable: number };
}

/** `registry/repository:tag` of an image as the spec writes it (the key of `newest`). */
export function tagKey(image: string): string | null {
  const parsed = normaliseReference(image);
  if (!parsed.ok || parsed.value.tag === null) return null;
  return `${parsed.value.registry}/${parsed.value.repository}:${parsed.value.tag}`;
}

/** The state indexed by repository (`registry/repository`), so that each container costs a lookup, not a scan. */
interface StateIndex {
  readonly managed: ReadonlyMap<string, ManagedImageState>;
  readonly external: ReadonlyMap<string, ExternalImageState>;
  /** By `registry/repository:tag`. */
  readonly bases: ReadonlyMap<string, BaseImageState>;
}

function indexState(state: StateSnapshot): StateIndex {
  const managed = new Map<string, ManagedImageState>();
  const external = new Map<string, ExternalImageState>();
  for (const image of state.images.values()) {
    const key = `${image.registry}/${image.repository}`;
    if (image.kind === 'managed') managed.set(key, image);
    else external.set(key, image);
  }
  const bases = new Map<string, BaseImageState>();
  for (const base of state.baseImages.values()) {
    if (base.tag !== null) bases.set(`${base.registry}/${base.repository}:${base.tag}`, base);
  }
  return { managed, external, bases };
}

/** What the factory knows a container's image as, and the image's reference as the spec writes it. */
type Tracked = { readonly ref: NormalisedReference } & (
  | { readonly kind: 'managed'; readonly image: ManagedImageState }
  | { readonly kind: 'base'; readonly image: BaseImageState }
  | { readonly kind: 'external'; readonly image: ExternalImageState }
);

/**
 * A managed image by its repository; else a base image by its repository and tag; else an external image by its
 * repository. Null: not an image reference, or not in images.yaml or the state (the container is untracked).
 */
function trackedImage(image: string, index: StateIndex): Tracked | null {
  const parsed = normaliseReference(image);
  if (!parsed.ok) return null;
  const ref = parsed.value;
  const repository = `${ref.registry}/${ref.repository}`;
  const managed = index.managed.get(repository);
  if (managed !== undefined) return { ref, kind: 'managed', image: managed };
  const base = ref.tag === null ? undefined : index.bases.get(`${repository}:${ref.tag}`);
  if (base !== undefined) return { ref, kind: 'base', image: base };
  const external = index.external.get(repository);
  return external === undefined ? null : { ref, kind: 'external', image: external };
}

/** What a rebuild owed to a managed image makes of one that runs its last build: the reason it is stale. */
function owedReason(owed: OwedRebuild): string {
  const p = owed.pending;
  if (p !== null) {
    const notSent = p.notSent === null ? '' : `; not sent: ${p.notSent}`;
    return `a rebuild is pending (${p.causes.map((x) => x.base).join(', ')}; due ${p.due}${notSent})`;
  }
  const c = owed.claims[0];
  // Stryker disable next-line ConditionalExpression,StringLiteral: owedRebuilds lists an image only when it has a pending rebuild or a claim, so with no pending rebuild a claim is always here
  if (c === undefined) return 'a rebuild is owed';
  return `a rebuild was claimed ${c.claimedAt} (${c.sends} send${c.sends === 1 ? '' : 's'}) and its CI's answer is not recorded yet`;
}

/** A digest as the reasons show it: `sha256:` and its first 12 hexadecimal digits. */
const short = (digest: string): string => digest.slice(0, 19);

type Judgement = Pick<ContainerVerdict, 'known' | 'expected' | 'verdict' | 'reason'>;

function judge(
  c: RunningContainer,
  tracked: Tracked,
  newest: ReadonlyMap<string, string>,
  unchecked: ReadonlyMap<string, string>,
  owed: ReadonlyMap<string, OwedRebuild>,
): Judgement {
  const known = `${tracked.kind} ${tracked.image.name}`;
  const notRunning = (expected: string | null): Judgement => ({
    known,
    expected,
    verdict: c.pulling ? 'not-running' : 'unverified',
    reason: c.note ?? 'not running',
  });
  if (tracked.kind === 'managed') {
    const build = tracked.image.build;
    const expected = build?.digest ?? null;
    if (c.digest === null) return notRunning(expected);
    if (build === undefined) return { known, expected, verdict: 'unverified', reason: 'no build of it analysed yet' };
    if (c.digest !== build.digest)
      return {
        known,
        expected,
        verdict: 'behind',
        reason: `runs ${short(c.digest)}, the last analysed build is ${short(build.digest)} (${build.tag})`,
      };
    const due = owed.get(tracked.image.name);
    if (due !== undefined) return { known, expected, verdict: 'stale', reason: owedReason(due) };
    return { known, expected, verdict: 'current', reason: 'the last analysed build' };
  }
  const ref = tracked.ref;
  // Only an external image is known by a digest alone (a base image is known by its tag): no tag, no newest digest.
  if (ref.tag === null) {
    if (c.digest === null) return notRunning(null);
    const reason = 'pinned by digest with no tag: there is no newest digest to compare with';
    return { known, expected: null, verdict: 'unverified', reason };
  }
  const key = `${ref.registry}/${ref.repository}:${ref.tag}`;
  const failed = unchecked.get(key);
  // With --live the registry's answer is the newest digest; a lookup that failed is not replaced by the state's.
  const recorded = tracked.kind === 'base' ? newestRecordedDigest(tracked.image)?.digest : undefined;
  const expected = failed !== undefined ? null : (newest.get(key) ?? recorded ?? null);
  if (c.digest === null) return notRunning(expected);
  if (failed !== undefined)
    return {
      known,
      expected,
      verdict: 'unverified',
      reason: `the registry could not be asked for the newest digest of ${ref.tag}: ${failed}`,
    };
  if (expected === null)
    return {
      known,
      expected,
      verdict: 'unverified',
      reason: 'the newest digest of its tag is not known: run with --live',
    };
  if (c.digest === expected) return { known, expected, verdict: 'current', reason: `the newest digest of ${ref.tag}` };
  // A spec pinned by digest is judged like any other: against the newest digest of its tag (moving it means
  // editing the pin, which the reason says).
  const pinned = ref.digest === null ? '' : ' (pinned by digest in the spec: update the pin)';
  return {
    known,
    expected,
    verdict: 'behind',
    reason: `runs ${short(c.digest)}, ${ref.tag} is now ${short(expected)}${pinned}`,
  };
}

/** What the recorded scans find in the digest a container runs (see ContainerVerdict.vulnerabilities). */
function vulnerabilitiesOf(digest: string, tracked: Tracked, state: StateSnapshot): ContainerVulnerabilities | null {
  if (tracked.kind === 'managed') {
    if (tracked.image.build?.digest !== digest) return null;
    const carried = carriedVulnerabilities(tracked.image, state, null);
    return {
      fixableCritical: carried.fixableCritical,
      eosl: carried.eoslBases,
      rebuildWouldFix: carried.rebuildWouldFix,
      notScanned: carried.notScanned,
    };
  }
  const scan = scanOfDigest(tracked.image, digest, null);
  return {
    fixableCritical: scan?.fixableCritical ?? [],
    eosl: scan?.eosl === true ? [tracked.image.name] : [],
    rebuildWouldFix: [],
    notScanned: scan === null ? [tracked.image.name] : [],
  };
}

/**
 * Judge every container; group them by namespace and workload (sorted), the untracked ones by image. `newest`: the
 * registry's newest digest by `registry/repository:tag` (--live); `unchecked`: the tags whose lookup failed, with why.
 */
export function checkCompliance(
  containers: readonly RunningContainer[],
  state: StateSnapshot,
  newest: ReadonlyMap<string, string>,
  unchecked: ReadonlyMap<string, string> = new Map(),
  /** Signature findings by `registry/repository@digest` (recordedSignatureFindings, and --live's own checks). */
  signatureFindings: ReadonlyMap<string, SignatureFinding> = new Map(),
): ComplianceReport {
  const owed = owedRebuilds(state);
  const index = indexState(state);
  const groups = new Map<string, { namespace: string; workload: string; containers: ContainerVerdict[] }>();
  const untracked = new Map<string, string[]>();
  const counts: Record<Verdict, number> = {
    current: 0,
    behind: 0,
    stale: 0,
    unverified: 0,
    'not-running': 0,
    untracked: 0,
  };
  const vulnerable = { fixableCritical: 0, eosl: 0 };
  const signatures = { blocked: 0, warning: 0, unverifiable: 0 };
  for (const c of containers) {
    const tracked = trackedImage(c.image, index);
    if (tracked === null) {
      counts.untracked += 1;
      untracked.set(c.image, [...(untracked.get(c.image) ?? []), `${c.namespace}/${c.pod}/${c.container}`]);
      continue;
    }
    const j = judge(c, tracked, newest, unchecked, owed);
    counts[j.verdict] += 1;
    const where = `${c.namespace}/${c.workload}`;
    const group = groups.get(where) ?? { namespace: c.namespace, workload: c.workload, containers: [] };
    // What it runs (nothing while no digest runs): what the scans find in it, and whether it fails a policy.
    const runs =
      c.digest === null
        ? null
        : {
            vulnerabilities: vulnerabilitiesOf(c.digest, tracked, state),
            signature: signatureFindings.get(digestKey(tracked.ref.registry, tracked.ref.repository, c.digest)),
          };
    const vulnerabilities = runs?.vulnerabilities ?? null;
    const signature = runs?.signature;
    if ((vulnerabilities?.fixableCritical.length ?? 0) > 0) vulnerable.fixableCritical += 1;
    if ((vulnerabilities?.eosl.length ?? 0) > 0) vulnerable.eosl += 1;
    if (signature !== undefined) signatures[signature.verdict] += 1;
    group.containers.push({
      container: c.container,
      init: c.init,
      pod: c.pod,
      image: c.image,
      running: c.digest,
      ...j,
      vulnerabilities,
      ...(signature === undefined ? {} : { signature }),
    });
    groups.set(where, group);
  }
  return {
    workloads: [...groups.values()]
      .map((g) => ({
        ...g,
        containers: g.containers.sort((a, b) => compareCodeUnits(`${a.pod}/${a.container}`, `${b.pod}/${b.container}`)),
      }))
      .sort((a, b) => compareCodeUnits(`${a.namespace}/${a.workload}`, `${b.namespace}/${b.workload}`)),
    untracked: [...untracked]
      .sort(([a], [b]) => compareCodeUnits(a, b))
      .map(([image, where]) => ({ image, containers: where.sort(compareCodeUnits) })),
    counts,
    vulnerable,
    signatures,
  };
}
