/**
 * The state files under image-factory/state/: what the tool writes and the chart reads. Each type is the static
 * type of its schema in state/schema.ts (one definition), read-only.
 */
import type { Static } from '@sinclair/typebox';
import type {
  AnalysedBuildSchema,
  BASE_IMAGE_STATE_SCHEMA,
  BaseImageUseSchema,
  ExternalImageStateSchema,
  ManagedImageStateSchema,
  PendingRebuildSchema,
  RebuildClaimSchema,
  RebuildHistorySchema,
  RebuildRecordSchema,
  SeenDigestSchema,
  VulnerabilitiesSchema,
  VulnerabilityScanSchema,
} from './schema.js';

/** Read-only all the way down: state values are planned, never patched. */
type Frozen<T> = T extends readonly (infer U)[]
  ? readonly Frozen<U>[]
  : T extends object
    ? { readonly [K in keyof T]: Frozen<T[K]> }
    : T;

/** How a managed image uses a base image (one entry per distinct reference, kind and stage). */
export type BaseImageUse = Frozen<Static<typeof BaseImageUseSchema>>;
/** The last analysed build of a managed image. */
export type AnalysedBuild = Frozen<Static<typeof AnalysedBuildSchema>>;
/** images/<name>.yaml for a managed image: no Warehouse config (the managed pipeline watches it). */
export type ManagedImageState = Frozen<Static<typeof ManagedImageStateSchema>>;
/** images/<name>.yaml for an external image: tracked only. */
export type ExternalImageState = Frozen<Static<typeof ExternalImageStateSchema>>;
export type ImageState = ManagedImageState | ExternalImageState;
/** base-images/<name>.yaml: one per distinct normalised reference used by a managed image. */
export type BaseImageState = Frozen<Static<typeof BASE_IMAGE_STATE_SCHEMA>>;

/** What the rebuild logic records in a base image's file, and its parts. */
export type RebuildRecord = Frozen<Static<typeof RebuildRecordSchema>>;
export type SeenDigest = Frozen<Static<typeof SeenDigestSchema>>;
export type PendingRebuildState = Frozen<Static<typeof PendingRebuildSchema>>;
export type RebuildHistoryEntry = Frozen<Static<typeof RebuildHistorySchema>>;
export type RebuildClaim = Frozen<Static<typeof RebuildClaimSchema>>;
/** What Trivy found in an image's digests (base and external images). */
export type Vulnerabilities = Frozen<Static<typeof VulnerabilitiesSchema>>;
export type VulnerabilityScan = Frozen<Static<typeof VulnerabilityScanSchema>>;

/** Every state file, keyed by name. */
export interface StateSnapshot {
  readonly images: ReadonlyMap<string, ImageState>;
  readonly baseImages: ReadonlyMap<string, BaseImageState>;
}

/** An empty state (a new GitOps repository). */
export const EMPTY_STATE: StateSnapshot = { images: new Map(), baseImages: new Map() };
