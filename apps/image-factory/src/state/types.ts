/** The state files under image-factory/state/: what the tool writes and the chart reads. */
import type { ImageSelectionStrategy } from '../enrolment/types.js';

/** How a managed image uses a base image (one entry per distinct reference, kind and stage). */
export interface BaseImageUse {
  /** Name of the base image's state file (base-images/<name>.yaml). */
  readonly name: string;
  readonly reference: string;
  readonly kind: 'from' | 'copy-from' | 'mount-from';
  /** The stage it is used in (null for an unnamed stage). */
  readonly stage: string | null;
  /** True when it is what the final stage (the published image) is built on. */
  readonly finalStage: boolean;
  /** The FROM --platform flag as written, if any. */
  readonly platform?: string;
}

/** The last analysed build of a managed image. */
export interface AnalysedBuild {
  readonly tag: string;
  readonly digest: string;
  readonly dockerfile: string;
  /** Source revision the Dockerfile was read at, when known. */
  readonly revision?: string;
}

/** images/<name>.yaml for a managed image: no Warehouse config (the managed pipeline watches it). */
export interface ManagedImageState {
  readonly name: string;
  readonly kind: 'managed';
  readonly registry: string;
  readonly repository: string;
  readonly source: {
    readonly provider: 'github' | 'gitlab';
    readonly repo: string;
    readonly branch: string;
    readonly dockerfile: string;
  };
  readonly build?: AnalysedBuild;
  readonly baseImages: readonly BaseImageUse[];
}

/** Kargo image-subscription fields, as Warehouses take them. */
export interface WarehouseConfig {
  readonly repoURL: string;
  readonly allowTags: string;
  readonly imageSelectionStrategy?: ImageSelectionStrategy;
  readonly constraint?: string;
  readonly strictSemvers?: boolean;
  readonly discoveryLimit?: number;
  readonly platform?: string;
  readonly interval?: string;
}

/** images/<name>.yaml for an external image: tracked only. */
export interface ExternalImageState extends WarehouseConfig {
  readonly name: string;
  readonly kind: 'external';
  readonly registry: string;
  readonly repository: string;
}

export type ImageState = ManagedImageState | ExternalImageState;

/** base-images/<name>.yaml: one per distinct normalised reference used by a managed image. */
export interface BaseImageState extends Partial<WarehouseConfig> {
  readonly name: string;
  readonly reference: string;
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | null;
  readonly digest: string | null;
  /** Why there is no Warehouse config: the reference is pinned by digest. */
  readonly untracked?: 'pinned-by-digest';
  /** Set when the base image is itself an enrolled managed image: its own pipeline watches it. */
  readonly managedImage?: string;
  /** Managed images built on it, sorted. */
  readonly dependents: readonly string[];
  /** Owned by the rebuild logic (current/pending digest, eligibility, history); carried over unchanged. */
  readonly rebuild?: Readonly<Record<string, unknown>>;
}

/** Every state file, keyed by name. */
export interface StateSnapshot {
  readonly images: ReadonlyMap<string, ImageState>;
  readonly baseImages: ReadonlyMap<string, BaseImageState>;
}

/** An empty state (a new GitOps repository). */
export const EMPTY_STATE: StateSnapshot = { images: new Map(), baseImages: new Map() };
