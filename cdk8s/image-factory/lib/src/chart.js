/** The chart: a thin composition of one ImageWarehouse per planned Warehouse. */
import { Chart } from 'cdk8s';
import { ImageWarehouse } from './warehouse.js';
/** Default Kargo Project namespace. */
export const DEFAULT_NAMESPACE = 'image-factory-kargo';
/** Kargo Warehouses for the base and external images. */
export class WarehouseChart extends Chart {
    constructor(scope, id, props) {
        super(scope, id, { disableResourceNameHashes: true });
        for (const plan of props.warehouses) {
            new ImageWarehouse(this, plan.name, {
                plan,
                namespace: props.namespace ?? DEFAULT_NAMESPACE,
                legacyAllowTags: props.legacyAllowTags ?? false,
            });
        }
    }
}
//# sourceMappingURL=chart.js.map