/** Where the chart package keeps its vendored CRDs and subscription schemas. */
import { fileURLToPath } from 'node:url';
/** The chart package's root (works from src/ under ts and lib/src/ compiled). */
const PACKAGE_ROOT = fileURLToPath(new URL(import.meta.url.includes('/lib/') ? '../../' : '../', import.meta.url));
/** Folders of vendored CRDs (Kargo and Argo Rollouts, unmodified; see crds/SOURCE.md). */
export const CRD_FOLDERS = [`${PACKAGE_ROOT}crds/kargo`, `${PACKAGE_ROOT}crds/argo-rollouts`];
/** Kargo's subscription JSON Schemas. */
export const SUBSCRIPTION_SCHEMAS = `${PACKAGE_ROOT}crds/kargo/subscriptions`;
//# sourceMappingURL=paths.js.map