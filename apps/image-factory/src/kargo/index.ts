/**
 * Kargo's vocabulary and objects: the image subscription (one definition), the Project's names, Warehouses and
 * Stages as typed data, the managed pipelines, Kargo's runtime rules (what no CRD schema shows), and the writer of
 * kustomize/image-factory. Pure except kustomize-dir.ts, which reads and writes that folder.
 */

export * from './managed-pipeline.js';
export * from './manifests.js';
export * from './project.js';
export * from './rebuild-stage.js';
export * from './runtime-rules.js';
export * from './scan-stage.js';
export * from './subscription.js';
export * from './warehouse-stage.js';
