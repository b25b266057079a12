/**
 * What the renderers draw: one Kargo Warehouse per tracked reference (base and external images, rendered by the
 * chart) and one per managed image (its pipeline, rendered into kustomize/image-factory).
 */
import type { ImageSelectionStrategy } from '../enrolment/types.js';
import type { ObjectKind } from '../kargo/project.js';

/** The image subscription, with the state's field names (allowTags is one regex here). */
export interface PlannedSubscription {
  readonly repoURL: string;
  /** Always set for base and external images; a managed image without it accepts every tag its strategy reads. */
  readonly allowTags?: string;
  readonly imageSelectionStrategy: ImageSelectionStrategy;
  readonly constraint?: string;
  readonly strictSemvers?: boolean;
  readonly discoveryLimit: number;
  readonly platform?: string;
}

/** One Warehouse to create. */
export interface WarehousePlan {
  /** DNS-1123 name: the external or managed image's name, or the base image's state name. */
  readonly name: string;
  readonly kind: ObjectKind;
  /** The tracked reference: `registry/repository:tag` for a base image, `registry/repository` otherwise. */
  readonly reference: string;
  readonly interval: string;
  readonly subscription: PlannedSubscription;
  /** Managed images built on it (base images), sorted. */
  readonly dependents: readonly string[];
}

/** The Warehouses, and why some images got none. */
export interface WarehouseSelection {
  readonly warehouses: readonly WarehousePlan[];
  readonly warnings: readonly string[];
}
