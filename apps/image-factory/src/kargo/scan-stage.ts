/**
 * `<warehouse>-scan`: the Stage through which an external image's Freight reaches Trivy and `image-factory scan record`
 * (issue 21: every external image is scanned in the cluster at every digest its Warehouse finds). One exists for each
 * external image's Warehouse (the chart renders it); base images are scanned by their `-rebuild` Stage's Job instead.
 * A Warehouse's Stage (warehouse-stage.ts) verified with the AnalysisTemplate `image-factory-scan`
 * (kustomize/image-factory/scan-analysis-template.yaml), passing the repository as the Warehouse watches it and the
 * Freight's digest: Trivy scans `<repo>@<digest>`, and `scan record` finds the external image by that repository. Pure.
 */
import { SCAN_TEMPLATE } from './project.js';
import { warehouseStage } from './warehouse-stage.js';

const scan = warehouseStage({ kind: 'scan', template: SCAN_TEMPLATE, freight: ['digest'] });

/** `<warehouse>-scan`. */
export const scanStageName = scan.name;

/** The scan Stage of one external image's Warehouse watching `repoURL`. */
export const scanStageManifest = scan.manifest;
