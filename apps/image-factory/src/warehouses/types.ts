/** What the chart renders: one Kargo Warehouse per tracked reference (base and external images). */
import type { ImageSelectionStrategy } from '../enrolment/types.js';

/** The image subscription, with the state's field names (allowTags is one regex here). */
export interface PlannedSubscription {
  readonly repoURL: string;
  readonly allowTags: string;
  readonly imageSelectionStrategy: ImageSelectionStrategy;
  readonly constraint?: string;
  readonly strictSemvers?: boolean;
  readonly discoveryLimit: number;
  readonly platform?: string;
}

/** One Warehouse to create. */
export interface WarehousePlan {
  /** DNS-1123 name: the external image's name, or the base image's state name. */
  readonly name: string;
  readonly kind: 'base' | 'external';
  /** The tracked reference: `registry/repository:tag` for a base image, `registry/repository` for an external one. */
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
