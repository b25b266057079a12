/** An OpenAPI v3 schema node as CRDs spell it. */
export interface OpenApiSchema {
    readonly type?: string;
    readonly properties?: Readonly<Record<string, OpenApiSchema>>;
    readonly items?: OpenApiSchema;
    readonly additionalProperties?: OpenApiSchema | boolean;
    readonly default?: unknown;
    readonly required?: readonly string[];
    readonly [keyword: string]: unknown;
}
/** `kargo.akuity.io/v1alpha1/Warehouse` → schema. */
export type CrdSchemas = ReadonlyMap<string, OpenApiSchema>;
/** Key of a schema for an object's apiVersion and kind. */
export declare function schemaKey(apiVersion: string, kind: string): string;
/** Every CRD in the given folders (recursively, *.yaml). */
export declare function loadCrdSchemas(folders: readonly string[]): CrdSchemas;
