/**
 * What the renderers draw: one Kargo Warehouse per tracked reference (base and external images, rendered by the
 * chart) and one per managed image (its pipeline, rendered into kustomize/image-factory).
 */
import type { ObjectKind } from '../kargo/project.js';
import type { ImageSubscriptionFields } from '../kargo/subscription.js';

/**
 * The image subscription a Warehouse gets: the one subscription type, with `repoURL`, and the strategy and
 * discoveryLimit decided (the interval is the Warehouse's, not the subscription's). `allowTags` is always set for
 * base and external images; a managed image without it accepts every tag its strategy reads.
 */
export type PlannedSubscription = Omit<
  ImageSubscriptionFields,
  'interval' | 'imageSelectionStrategy' | 'discoveryLimit'
> &
  Required<Pick<ImageSubscriptionFields, 'imageSelectionStrategy' | 'discoveryLimit'>> & { readonly repoURL: string };

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
  /**
   * The managed image whose build this base is (a base FROM `ghcr.io/acme/node-base:22`, node-base enrolled as
   * managed). Unset: a third-party base, or not a base.
   */
  readonly managedImage?: string;
}

/** The Warehouses, and why some images got none. */
export interface WarehouseSelection {
  readonly warehouses: readonly WarehousePlan[];
  readonly warnings: readonly string[];
}
