/**
 * Kargo objects as plain, typed data: the Warehouse of any plan and the pieces of a Stage. The chart wraps
 * Warehouses in its typed cdk8s constructs; the kustomize folder writes managed pipelines from the same functions,
 * so there is one rendering of every field. Field names are Kargo's (`api/v1alpha1`).
 */
import type { PlannedSubscription, WarehousePlan } from '../warehouses/types.js';
import { MANAGED_BY } from './project.js';

/** Kubernetes object metadata, as far as the factory writes it. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * Kargo v1.11 image subscription (validated against Kargo's `subscriptions/image.json`): the planned subscription,
 * with its one `allowTags` regex written as Kargo reads it.
 */
export type ImageSubscription = Omit<PlannedSubscription, 'allowTags'> & {
  readonly allowTagsRegexes?: readonly string[];
  /** Legacy single regex: makes discovery fail on Kargo >= 1.11; only with `legacyAllowTags`. */
  readonly allowTags?: string;
};

/** A Kargo Warehouse with one image subscription. */
export interface WarehouseManifest {
  readonly apiVersion: 'kargo.akuity.io/v1alpha1';
  readonly kind: 'Warehouse';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly interval: string;
    readonly subscriptions: readonly { readonly image: ImageSubscription }[];
  };
}

/** Where a Stage takes Freight from. */
export interface FreightRequest {
  readonly origin: { readonly kind: 'Warehouse'; readonly name: string };
  readonly sources: { readonly direct: true } | { readonly stages: readonly string[] };
}

/** One promotion step (`uses` a built-in step runner such as `compose-output`). */
export interface PromotionStep {
  readonly uses: string;
  readonly as?: string;
  readonly config?: Readonly<Record<string, string>>;
}

/** A Kargo Stage, with the fields the factory uses. */
export interface StageManifest {
  readonly apiVersion: 'kargo.akuity.io/v1alpha1';
  readonly kind: 'Stage';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly requestedFreight: readonly FreightRequest[];
    readonly promotionTemplate?: { readonly spec: { readonly steps: readonly PromotionStep[] } };
    readonly verification?: {
      readonly analysisTemplates: readonly { readonly name: string }[];
      readonly args: readonly { readonly name: string; readonly value: string }[];
    };
  };
}

/** Longest annotation value we write; Kubernetes allows 256 KiB for all annotations together. */
export const MAX_DEPENDENTS_ANNOTATION = 1024;

/** The dependents annotation: comma-separated, cut at a name boundary with a count of what was left out. */
export function dependentsAnnotation(dependents: readonly string[], limit = MAX_DEPENDENTS_ANNOTATION): string {
  const full = dependents.join(',');
  if (full.length <= limit) return full;
  const kept: string[] = [];
  let length = 0;
  for (const name of dependents) {
    const suffix = ` (+${dependents.length - kept.length - 1} more)`;
    if (length + name.length + 1 + suffix.length > limit) break;
    kept.push(name);
    length += name.length + 1;
  }
  return `${kept.join(',')} (+${dependents.length - kept.length} more)`;
}

/** The image subscription Kargo gets for a plan. */
export function imageSubscription(plan: WarehousePlan, legacyAllowTags = false): ImageSubscription {
  const s = plan.subscription;
  const tags =
    s.allowTags === undefined ? {} : legacyAllowTags ? { allowTags: s.allowTags } : { allowTagsRegexes: [s.allowTags] };
  return {
    repoURL: s.repoURL,
    ...tags,
    imageSelectionStrategy: s.imageSelectionStrategy,
    ...(s.constraint === undefined ? {} : { constraint: s.constraint }),
    ...(s.strictSemvers === undefined ? {} : { strictSemvers: s.strictSemvers }),
    discoveryLimit: s.discoveryLimit,
    ...(s.platform === undefined ? {} : { platform: s.platform }),
  };
}

/** Options of {@link warehouseManifest}. */
export interface WarehouseManifestOptions {
  readonly namespace: string;
  /** @default false */
  readonly legacyAllowTags?: boolean;
  /** Extra labels (a managed pipeline labels every object with its image). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The Warehouse of one plan. */
export function warehouseManifest(plan: WarehousePlan, options: WarehouseManifestOptions): WarehouseManifest {
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Warehouse',
    metadata: {
      name: plan.name,
      namespace: options.namespace,
      labels: { ...MANAGED_BY, 'image-factory.io/kind': plan.kind, ...options.labels },
      annotations: {
        'image-factory.io/reference': plan.reference,
        ...(plan.dependents.length > 0 ? { 'image-factory.io/dependents': dependentsAnnotation(plan.dependents) } : {}),
        ...(plan.managedImage === undefined ? {} : { 'image-factory.io/managed-image': plan.managedImage }),
      },
    },
    spec: {
      interval: plan.interval,
      subscriptions: [{ image: imageSubscription(plan, options.legacyAllowTags ?? false) }],
    },
  };
}

/**
 * A Kargo expression that yields a string: `${{ quote(<expression>) }}`. Kargo parses an evaluated value as JSON
 * first, so an unquoted `16.4` would become a number and fail where a string is expected.
 */
export function quotedExpression(expression: string): string {
  return `\${{ quote(${expression}) }}`;
}

/** `imageFrom("<repoURL>", warehouse("<name>"))`: the image of the Freight from that Warehouse. */
export function imageFromWarehouse(repoURL: string, warehouse: string): string {
  return `imageFrom(${JSON.stringify(repoURL)}, warehouse(${JSON.stringify(warehouse)}))`;
}
