/**
 * `<warehouse>-rebuild`: the Stage through which base-image Freight reaches `image-factory rebuild` (DESIGN §10).
 * One exists exactly for each base Warehouse with dependents (the chart renders it): a third-party base's, or the
 * tag of a managed image others build FROM; none for a managed image's own Warehouse (its Freight names the newest
 * build's tag, never the tag built FROM) and none where nothing is built on the image (a Job per build that finds
 * nothing to do). A Warehouse's Stage (warehouse-stage.ts) verified with the AnalysisTemplate `image-factory-rebuild`,
 * passing the repository, tag and digest; `rebuild --reference repo:tag` finds the base image in state. Pure.
 */
import { REBUILD_TEMPLATE } from './project.js';
import { warehouseStage } from './warehouse-stage.js';

const rebuild = warehouseStage({ kind: 'rebuild', template: REBUILD_TEMPLATE, freight: ['tag', 'digest'] });

/** `<warehouse>-rebuild`. */
export const rebuildStageName = rebuild.name;

/** The rebuild Stage of one Warehouse watching `repoURL`. */
export const rebuildStageManifest = rebuild.manifest;
