import { type WarehousePlan } from 'image-factory';
/** Options of {@link synthesise}. */
export interface SynthOptions {
    /** The GitOps repository root holding images.yaml and the state. */
    readonly root: string;
    /** Output folder; the manifest is `<out>/image-factory.k8s.yaml`. */
    readonly out: string;
    /** @default 'images.yaml' */
    readonly images?: string;
    /** Folder holding state/, relative to root. @default 'image-factory' */
    readonly imageFactoryDir?: string;
    /** @default 'image-factory-kargo' */
    readonly namespace?: string;
    /** @default false */
    readonly legacyAllowTags?: boolean;
}
/** What synthesis produced. */
export interface SynthResult {
    readonly file: string;
    readonly warehouses: readonly WarehousePlan[];
    readonly warnings: readonly string[];
    readonly yaml: string;
}
/** The manifest file name cdk8s gives the chart. */
export declare const OUTPUT_FILE = "image-factory.k8s.yaml";
/** Render Warehouses to YAML and validate every object; throws FactoryError listing every problem. */
export declare function renderWarehouses(warehouses: readonly WarehousePlan[], namespace: string, legacyAllowTags: boolean): string;
/** Synthesise the chart for a GitOps repository. */
export declare function synthesise(options: SynthOptions): Promise<SynthResult>;
