/**
 * The image-factory cdk8s chart: Kargo Warehouses for base and external images, the rebuild Stages of the bases and
 * the scan Stages of the externals.
 */
export { DEFAULT_NAMESPACE, stageKinds, WarehouseChart, type WarehouseChartProps } from './chart.js';
export { stageProps, warehouseProps } from './kargo-props.js';
export { SYNTH_OPTIONS, type SynthOptionSpec, synthHelp } from './options.js';
export { CRD_FOLDERS, SUBSCRIPTION_SCHEMAS } from './paths.js';
export { RebuildStage, type RebuildStageProps } from './rebuild-stage.js';
export { ScanStage, type ScanStageProps } from './scan-stage.js';
export { OUTPUT_FILE, renderWarehouses, type SynthOptions, type SynthResult, synthesise } from './synth.js';
export { applyDefaults } from './validate/defaults.js';
export { ManifestValidator, type ValidatorOptions } from './validate/validate.js';
export { ImageWarehouse, type ImageWarehouseProps } from './warehouse.js';
export { WarehouseStage, type WarehouseStageProps, type WarehouseStageRenderer } from './warehouse-stage.js';
