/** Folders of vendored CRDs (Kargo and Argo Rollouts, unmodified; see crds/SOURCE.md). */
export declare const CRD_FOLDERS: readonly [`${string}crds/kargo`, `${string}crds/argo-rollouts`];
/** Kargo's subscription JSON Schemas. */
export declare const SUBSCRIPTION_SCHEMAS: string;
