/** The image-factory cdk8s chart: Kargo Warehouses for base and external images. */
export { DEFAULT_NAMESPACE, WarehouseChart } from './chart.js';
export { CRD_FOLDERS, SUBSCRIPTION_SCHEMAS } from './paths.js';
export { OUTPUT_FILE, renderWarehouses, synthesise } from './synth.js';
export { applyDefaults } from './validate/defaults.js';
export { formatManifestProblem, ManifestValidator, } from './validate/validate.js';
export { dependentsAnnotation, ImageWarehouse, imageSubscription, MANAGED_BY, } from './warehouse.js';
//# sourceMappingURL=index.js.map