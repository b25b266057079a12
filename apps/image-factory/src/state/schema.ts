/**
 * The state files, defined once (TypeBox): the JSON Schemas the store checks what git holds with before the tool
 * trusts it, and the TypeScript types of every file (state/types.ts names them).
 */
import { FormatRegistry, Type } from '@sinclair/typebox';
import { ImageSelectionStrategySchema, SUBSCRIPTION_FIELDS } from '../kargo/subscription.js';
import { INSTANT_PATTERN, isInstant } from '../util/time.js';

/** The formats the state schemas name, for every validator that compiles them (Ajv's `addFormat`, TypeBox). */
export const STATE_FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  /** A time in state is a real calendar instant (no 2026-02-30), not only the shape of one. */
  instant: isInstant,
};
for (const [name, check] of Object.entries(STATE_FORMATS))
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const Name = Type.String({ pattern: DNS_LABEL });
/** A time in state: UTC, whole seconds, a real calendar instant (util/time.ts compares them as instants). */
const Time = Type.String({ pattern: INSTANT_PATTERN, format: 'instant' });
const Digest = Type.String({ pattern: '^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$' });

/** How a managed image uses a base image (one entry per distinct reference, kind and stage). */
export const BaseImageUseSchema = Type.Object(
  {
    name: Name,
    reference: Type.String(),
    kind: Type.Unsafe<'from' | 'copy-from' | 'mount-from'>({ enum: ['from', 'copy-from', 'mount-from'] }),
    stage: Type.Union([Type.String(), Type.Null()]),
    finalStage: Type.Boolean(),
    platform: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** The last analysed build of a managed image. */
export const AnalysedBuildSchema = Type.Object(
  {
    tag: Type.String(),
    digest: Type.String(),
    dockerfile: Type.String(),
    revision: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** images/<name>.yaml for a managed image. */
export const ManagedImageStateSchema = Type.Object(
  {
    name: Name,
    kind: Type.Literal('managed'),
    registry: Type.String(),
    repository: Type.String(),
    source: Type.Object(
      {
        provider: Type.Unsafe<'github' | 'gitlab'>({ enum: ['github', 'gitlab'] }),
        repo: Type.String(),
        branch: Type.String(),
        dockerfile: Type.String(),
      },
      { additionalProperties: false },
    ),
    build: Type.Optional(AnalysedBuildSchema),
    baseImages: Type.Array(BaseImageUseSchema),
  },
  { additionalProperties: false },
);

/** The Warehouse config a state file carries: repoURL and the subscription fields. */
const WAREHOUSE_FIELDS = {
  repoURL: Type.Optional(Type.String({ minLength: 1 })),
  ...SUBSCRIPTION_FIELDS,
  imageSelectionStrategy: Type.Optional(ImageSelectionStrategySchema),
};

/** Scans kept per image (one per digest; older ones are in `git log -p`). */
export const MAX_VULNERABILITY_SCANS = 5;
/** Fixable findings kept per scan (an image with more is summarised by its counts; the first by id are listed). */
export const MAX_FIXABLE_FINDINGS = 200;

/** One scan of one digest, summarised as the Trivy Operator counts its VulnerabilityReport (one per finding). */
export const VulnerabilityScanSchema = Type.Object(
  {
    /** The digest scanned, as the image's Warehouse records it (an index digest for a multi-platform image). */
    digest: Digest,
    /** The platform manifest Trivy scanned, when it is not `digest` itself (absent: the same). */
    platformDigest: Type.Optional(Digest),
    scannedAt: Time,
    trivyVersion: Type.String(),
    /** When Trivy's vulnerability database was last updated (null: the report does not say). */
    dbUpdatedAt: Type.Union([Time, Type.Null()]),
    summary: Type.Object(
      {
        criticalCount: Type.Integer({ minimum: 0 }),
        highCount: Type.Integer({ minimum: 0 }),
        mediumCount: Type.Integer({ minimum: 0 }),
        lowCount: Type.Integer({ minimum: 0 }),
        unknownCount: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
    /** The CRITICAL and HIGH findings with a fixed version (`Status: fixed`), sorted by id then package. */
    fixable: Type.Array(
      Type.Object(
        {
          id: Type.String({ minLength: 1 }),
          severity: Type.Unsafe<'CRITICAL' | 'HIGH'>({ enum: ['CRITICAL', 'HIGH'] }),
          package: Type.String(),
          installed: Type.String(),
          fixed: Type.String(),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_FIXABLE_FINDINGS },
    ),
    /** The OS is end of service life (`Metadata.OS.EOSL`; false when the report does not say). */
    eosl: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** What Trivy found in an image's digests: the newest scans, one per digest (the current, the latest, a few older). */
export const VulnerabilitiesSchema = Type.Object(
  { scans: Type.Array(VulnerabilityScanSchema, { maxItems: MAX_VULNERABILITY_SCANS }) },
  { additionalProperties: false },
);

/** images/<name>.yaml for an external image. */
export const ExternalImageStateSchema = Type.Object(
  {
    name: Name,
    kind: Type.Literal('external'),
    registry: Type.String(),
    repository: Type.String(),
    ...WAREHOUSE_FIELDS,
    repoURL: Type.String({ minLength: 1 }),
    allowTags: Type.String({ minLength: 1 }),
    /** Owned by `scan record` (src/scan/); carried over unchanged by the analysis. Absent: never scanned. */
    vulnerabilities: Type.Optional(VulnerabilitiesSchema),
  },
  { additionalProperties: false },
);

/** images/<name>.yaml */
export const IMAGE_STATE_SCHEMA = Type.Union([ManagedImageStateSchema, ExternalImageStateSchema]);

/**
 * The longest signature-gate reason kept in state (`blocked`, `warning`): longer ones end in "…". Schema note: files
 * holding either field are refused by versions before the gate (every schema here refuses unknown fields), so the
 * rebuild Jobs, the CronJob and the chart move to this version together (one bundle); files without them read as
 * before, and this version reads every older file.
 */
export const MAX_GATE_REASON = 600;

/** A digest of a base image the factory has seen, and when it was released (null: unknown, an epoch date). */
export const SeenDigestSchema = Type.Object(
  {
    digest: Digest,
    released: Type.Union([Time, Type.Null()]),
    seen: Time,
    /** It fixes a CRITICAL vulnerability of what the dependents were built on (absent: not known to). */
    urgent: Type.Optional(Type.Literal(true)),
    /**
     * It failed the base's enforced signature policy (images.yaml `verify`, mode enforce): why — who signed it, if
     * anyone, and what the policy wanted. A blocked digest is never decided on or pinned (src/rebuild/gate.ts).
     * Absent: not blocked (it passed, or no policy covers the base).
     */
    blocked: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_GATE_REASON })),
    /**
     * It failed a signature policy in mode warn: why (as `blocked`); it is used all the same. Absent: no warning.
     */
    warning: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_GATE_REASON })),
  },
  { additionalProperties: false },
);

/** Base pins a rebuild is triggered with: each base of the image and the digest the build must use. */
const PinsSchema = Type.Array(Type.Object({ base: Name, digest: Digest }, { additionalProperties: false }));

/** A rebuild decided and not yet triggered (one per dependent image and base). */
export const PendingRebuildSchema = Type.Object(
  {
    image: Name,
    since: Time,
    due: Time,
    urgent: Type.Boolean(),
    causes: Type.Array(Type.Object({ base: Name, digest: Digest }, { additionalProperties: false })),
    waitFor: Type.Array(Name),
    waitUntil: Type.Union([Time, Type.Null()]),
    /**
     * Why the last sweep that found it due did not send it (no token, no workflow in images.yaml): it stays pending,
     * shown with this reason. Absent: nothing held it back.
     */
    notSent: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/**
 * A rebuild claimed (committed before its CI is called) whose answer is not recorded yet. Never evicted: a claim
 * whose answer was never recorded (the job killed between claim and answer) is sent again, with the same key, once
 * `claimedAt` is older than the claim timeout.
 */
export const RebuildClaimSchema = Type.Object(
  {
    image: Name,
    /** The idempotency key of the decision: the same on every re-send. */
    key: Type.String({ minLength: 1 }),
    /** This base's digest the rebuild was claimed on (the newest it had seen). */
    digest: Digest,
    since: Time,
    urgent: Type.Boolean(),
    causes: Type.Array(Type.Object({ base: Name, digest: Digest }, { additionalProperties: false })),
    /** When it was first claimed: a send was attempted right after (a run started for it is not older). */
    claimedAt: Time,
    /** When it was last claimed again after a timeout (absent: never); the timeout counts from here. */
    resentAt: Type.Optional(Time),
    /**
     * The digest decided for each base of the image (sent as BuildKit named contexts); the same on every re-send.
     * Absent: none known (the image's bases have no recorded digest).
     */
    pins: Type.Optional(PinsSchema),
    /** How many times it has been claimed (1, then 2 after the first timeout, …). */
    sends: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

/** What became of a decision: the audit trail, newest last. */
export const RebuildHistorySchema = Type.Object(
  {
    image: Name,
    /** The base digest the entry is about. */
    digest: Digest,
    result: Type.Unsafe<'fresh' | 'record-only' | 'claimed' | 'triggered' | 'failed' | 'transient' | 'requeued'>({
      enum: ['fresh', 'record-only', 'claimed', 'triggered', 'failed', 'transient', 'requeued'],
    }),
    at: Time,
    key: Type.Optional(Type.String()),
    answer: Type.Optional(Type.String()),
    /** A fingerprint of the trigger's settings in images.yaml when it was refused: a change to them retries it. */
    config: Type.Optional(Type.String()),
    /** The CI run or pipeline the trigger started, when the forge said (its web URL, or its id). */
    run: Type.Optional(Type.String()),
    /** The base digests the rebuild was pinned to (absent: the trigger carried none, the image is unpinned). */
    pins: Type.Optional(PinsSchema),
  },
  { additionalProperties: false },
);

/** Digests seen per base image, for the choice of the digest a rebuild is pinned to (older ones: `git log -p`). */
export const MAX_SEEN_DIGESTS = 20;

/** History entries kept per base image (older ones are in `git log -p`); claims and pending entries are not history. */
export const MAX_REBUILD_HISTORY = 50;

/** What the rebuild logic records in a base image's state file. */
export const RebuildRecordSchema = Type.Object(
  {
    /** The digest the dependents are built on (the first one recorded, then each one rebuilt onto). */
    current: Type.Optional(SeenDigestSchema),
    /** The newest digest seen, while it differs from current. */
    latest: Type.Optional(SeenDigestSchema),
    /**
     * The digests seen, oldest first, with their release (or first-seen) times: a rebuild is pinned to the newest one
     * released at least the image's rebuildDelay ago. Absent in files written before pins (then current and latest).
     */
    seen: Type.Optional(Type.Array(SeenDigestSchema, { maxItems: MAX_SEEN_DIGESTS })),
    pending: Type.Array(PendingRebuildSchema),
    /** Claimed, answer not recorded yet (absent: none; files written before claims were kept apart). */
    claims: Type.Optional(Type.Array(RebuildClaimSchema)),
    history: Type.Array(RebuildHistorySchema, { maxItems: MAX_REBUILD_HISTORY }),
  },
  { additionalProperties: false },
);

/** base-images/<name>.yaml */
export const BASE_IMAGE_STATE_SCHEMA = Type.Object(
  {
    name: Name,
    reference: Type.String(),
    registry: Type.String(),
    repository: Type.String(),
    tag: Type.Union([Type.String(), Type.Null()]),
    digest: Type.Union([Type.String(), Type.Null()]),
    untracked: Type.Optional(Type.Literal('pinned-by-digest')),
    managedImage: Type.Optional(Name),
    dependents: Type.Array(Name),
    /** Owned by the rebuild logic (src/rebuild/record.ts); carried over unchanged by the analysis. */
    rebuild: Type.Optional(RebuildRecordSchema),
    /** Owned by `scan record` (src/scan/); carried over unchanged by the analysis. Absent: never scanned. */
    vulnerabilities: Type.Optional(VulnerabilitiesSchema),
    ...WAREHOUSE_FIELDS,
  },
  { additionalProperties: false },
);
