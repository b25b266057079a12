/** One problem with one object. */
export interface ManifestProblem {
    /** `Warehouse image-factory-kargo/node-22`. */
    readonly object: string;
    /** The image the object is about, when known. */
    readonly image?: string;
    /** Field path, e.g. `spec.subscriptions[0].image.constraint`. */
    readonly field: string;
    readonly message: string;
}
/** One line for a person. */
export declare function formatManifestProblem(p: ManifestProblem): string;
/** Options for the validator. */
export interface ValidatorOptions {
    /** Folders holding CRD YAML files. */
    readonly crdFolders: readonly string[];
    /** Folder holding Kargo's subscription JSON Schemas (image.json, git.json, chart.json). */
    readonly subscriptionSchemas: string;
    /**
     * Accept the legacy allowTags / ignoreTags strings (Kargo < 1.11 only).
     * @default false
     */
    readonly legacyAllowTags?: boolean;
}
/** A reusable validator (schemas compiled once). */
export declare class ManifestValidator {
    private readonly crds;
    private readonly compiled;
    private readonly ajv;
    private readonly ajv2020;
    private readonly subscriptionFolder;
    private readonly subscriptions;
    private readonly legacyAllowTags;
    constructor(options: ValidatorOptions);
    /** Kargo's JSON Schema for one subscription kind, compiled on first use. */
    private subscriptionValidator;
    /** Kinds this validator knows a schema for. */
    knows(apiVersion: string, kind: string): boolean;
    private validatorFor;
    /** Validate one object; `requireKnown` makes an object of an unknown CRD kind a problem. */
    validate(raw: unknown, requireKnown?: boolean): ManifestProblem[];
    private checkWarehouse;
}
