/** One Kargo Warehouse for one tracked image reference. */
import { Construct } from 'constructs';
import type { WarehousePlan } from 'image-factory';
import { Warehouse } from '../imports/kargo.akuity.io.js';
/** Kargo v1.11 image subscription (validated against kargo/subscriptions/image.json). */
export interface ImageSubscription {
    readonly repoURL: string;
    readonly allowTagsRegexes?: readonly string[];
    /** Legacy single regex: makes discovery fail on Kargo >= 1.11; only with `legacyAllowTags`. */
    readonly allowTags?: string;
    readonly imageSelectionStrategy: string;
    readonly constraint?: string;
    readonly strictSemvers?: boolean;
    readonly discoveryLimit: number;
    readonly platform?: string;
}
/** Longest annotation value we write; Kubernetes allows 256 KiB for all annotations together. */
export declare const MAX_DEPENDENTS_ANNOTATION = 1024;
/** Labels every generated object carries. */
export declare const MANAGED_BY: {
    readonly 'app.kubernetes.io/managed-by': "image-factory";
};
/** Props of {@link ImageWarehouse}. */
export interface ImageWarehouseProps {
    /** What to watch, as planned by image-factory's planWarehouses(). */
    readonly plan: WarehousePlan;
    /** The Kargo Project namespace. */
    readonly namespace: string;
    /**
     * Write the legacy `allowTags` string instead of `allowTagsRegexes` (Kargo < 1.11 only).
     * @default false
     */
    readonly legacyAllowTags?: boolean;
}
/** The dependents annotation: comma-separated, cut at a name boundary with a count of what was left out. */
export declare function dependentsAnnotation(dependents: readonly string[], limit?: number): string;
/** The image subscription Kargo gets for a plan. */
export declare function imageSubscription(plan: WarehousePlan, legacyAllowTags: boolean): ImageSubscription;
/** A Warehouse watching one base or external image. */
export declare class ImageWarehouse extends Construct {
    /** The underlying Kargo object. */
    readonly warehouse: Warehouse;
    constructor(scope: Construct, id: string, props: ImageWarehouseProps);
}
