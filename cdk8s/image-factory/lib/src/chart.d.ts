/** The chart: a thin composition of one ImageWarehouse per planned Warehouse. */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { WarehousePlan } from 'image-factory';
/** Props of {@link WarehouseChart}. */
export interface WarehouseChartProps {
    /** The Warehouses to render (from planWarehouses()). */
    readonly warehouses: readonly WarehousePlan[];
    /**
     * Namespace of the Kargo Project.
     * @default 'image-factory-kargo'
     */
    readonly namespace?: string;
    /**
     * Legacy `allowTags` for Kargo < 1.11.
     * @default false
     */
    readonly legacyAllowTags?: boolean;
}
/** Default Kargo Project namespace. */
export declare const DEFAULT_NAMESPACE = "image-factory-kargo";
/** Kargo Warehouses for the base and external images. */
export declare class WarehouseChart extends Chart {
    constructor(scope: Construct, id: string, props: WarehouseChartProps);
}
