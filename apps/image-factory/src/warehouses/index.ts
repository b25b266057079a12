/**
 * Which Kargo Warehouses exist, with which subscription: images.yaml ⊕ state → plans (pure). One rule and one set
 * of defaults for base, external and managed images; the renderers (kargo/manifests.ts, the chart) only draw plans.
 */
export { planManagedWarehouse, planWarehouses } from './plan.js';
export type * from './types.js';
