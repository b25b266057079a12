/**
 * The Kargo Project every factory object lives in, and the names and labels the tool, the chart and the static
 * kustomize resources share. One definition: the chart imports these rather than repeating them.
 */

/** The Kargo Project, and so the namespace Kargo gives it. */
export const KARGO_PROJECT = 'image-factory-kargo';

/** The label Kargo's Project webhook requires on a namespace that already exists when the Project is created. */
export const PROJECT_NAMESPACE_LABEL = { 'kargo.akuity.io/project': 'true' } as const;

/** The AnalysisTemplate whose Job runs `image-factory analyze`. */
export const ANALYSIS_TEMPLATE = 'image-factory-analyze';

/** The AnalysisTemplate of every `<warehouse>-rebuild` Stage (kustomize/image-factory/rebuild-analysis-template.yaml). */
export const REBUILD_TEMPLATE = 'image-factory-rebuild';

/** The AnalysisTemplate of every `<warehouse>-scan` Stage (kustomize/image-factory/scan-analysis-template.yaml). */
export const SCAN_TEMPLATE = 'image-factory-scan';

/** Labels every generated object carries (the ProjectConfig auto-promotes Stages that have it). */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'image-factory' } as const;

/** Kind label values. */
export type ObjectKind = 'base' | 'external' | 'managed';
