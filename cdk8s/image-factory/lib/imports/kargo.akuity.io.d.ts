import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';
import { Construct } from 'constructs';
/**
 * Warehouse is a source of Freight.
 *
 * @schema Warehouse
 */
export declare class Warehouse extends ApiObject {
    /**
     * Returns the apiVersion and kind for "Warehouse"
     */
    static readonly GVK: GroupVersionKind;
    /**
     * Renders a Kubernetes manifest for "Warehouse".
     *
     * This can be used to inline resource manifests inside other objects (e.g. as templates).
     *
     * @param props initialization props
     */
    static manifest(props: WarehouseProps): any;
    /**
     * Defines a "Warehouse" API object
     * @param scope the scope in which to define this object
     * @param id a scope-local name for the object
     * @param props initialization props
     */
    constructor(scope: Construct, id: string, props: WarehouseProps);
    /**
     * Renders the object to Kubernetes JSON.
     */
    toJson(): any;
}
/**
 * Warehouse is a source of Freight.
 *
 * @schema Warehouse
 */
export interface WarehouseProps {
    /**
     * @schema Warehouse#metadata
     */
    readonly metadata?: ApiObjectMetadata;
    /**
     * Spec describes sources of artifacts.
     *
     * @schema Warehouse#spec
     */
    readonly spec: WarehouseSpec;
}
/**
 * Converts an object of type 'WarehouseProps' to JSON representation.
 */
export declare function toJson_WarehouseProps(obj: WarehouseProps | undefined): Record<string, any> | undefined;
/**
 * Spec describes sources of artifacts.
 *
 * @schema WarehouseSpec
 */
export interface WarehouseSpec {
    /**
     * FreightCreationCriteria defines criteria that must be satisfied for Freight
     * to be created automatically from new artifacts following discovery. This
     * field has no effect when the FreightCreationPolicy is `Manual`.
     *
     * @schema WarehouseSpec#freightCreationCriteria
     */
    readonly freightCreationCriteria?: WarehouseSpecFreightCreationCriteria;
    /**
     * FreightCreationPolicy describes how Freight is created by this Warehouse.
     * This field is optional. When left unspecified, the field is implicitly
     * treated as if its value were "Automatic".
     *
     * Accepted values:
     *
     * - "Automatic": New Freight is created automatically when any new artifact
     * is discovered.
     * - "Manual": New Freight is never created automatically.
     *
     * @schema WarehouseSpec#freightCreationPolicy
     */
    readonly freightCreationPolicy?: WarehouseSpecFreightCreationPolicy;
    /**
     * Interval is the reconciliation interval for this Warehouse. On each
     * reconciliation, the Warehouse will discover new artifacts and optionally
     * produce new Freight. This field is optional. When left unspecified, the
     * field is implicitly treated as if its value were "5m0s".
     *
     * @schema WarehouseSpec#interval
     */
    readonly interval: string;
    /**
     * Shard is the name of the shard that this Warehouse belongs to. This is an
     * optional field. If not specified, the Warehouse will belong to the default
     * shard. A defaulting webhook will sync this field with the value of the
     * kargo.akuity.io/shard label. When the shard label is not present or differs
     * from the value of this field, the defaulting webhook will set the label to
     * the value of this field. If the shard label is present and this field is
     * empty, the defaulting webhook will set the value of this field to the value
     * of the shard label.
     *
     * @schema WarehouseSpec#shard
     */
    readonly shard?: string;
    /**
     * Subscriptions describes sources of artifacts to be included in Freight
     * produced by this Warehouse.
     *
     * @schema WarehouseSpec#subscriptions
     */
    readonly subscriptions: any[];
}
/**
 * Converts an object of type 'WarehouseSpec' to JSON representation.
 */
export declare function toJson_WarehouseSpec(obj: WarehouseSpec | undefined): Record<string, any> | undefined;
/**
 * FreightCreationCriteria defines criteria that must be satisfied for Freight
 * to be created automatically from new artifacts following discovery. This
 * field has no effect when the FreightCreationPolicy is `Manual`.
 *
 * @schema WarehouseSpecFreightCreationCriteria
 */
export interface WarehouseSpecFreightCreationCriteria {
    /**
     * Expression is an expr-lang expression that must evaluate to true for
     * Freight to be created automatically from new artifacts following discovery.
     *
     * @schema WarehouseSpecFreightCreationCriteria#expression
     */
    readonly expression?: string;
}
/**
 * Converts an object of type 'WarehouseSpecFreightCreationCriteria' to JSON representation.
 */
export declare function toJson_WarehouseSpecFreightCreationCriteria(obj: WarehouseSpecFreightCreationCriteria | undefined): Record<string, any> | undefined;
/**
 * FreightCreationPolicy describes how Freight is created by this Warehouse.
 * This field is optional. When left unspecified, the field is implicitly
 * treated as if its value were "Automatic".
 *
 * Accepted values:
 *
 * - "Automatic": New Freight is created automatically when any new artifact
 * is discovered.
 * - "Manual": New Freight is never created automatically.
 *
 * @schema WarehouseSpecFreightCreationPolicy
 */
export declare enum WarehouseSpecFreightCreationPolicy {
    /** Automatic */
    AUTOMATIC = "Automatic",
    /** Manual */
    MANUAL = "Manual"
}
