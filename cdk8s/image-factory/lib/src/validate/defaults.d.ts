/** Structural defaulting as the Kubernetes API server applies it before validation. */
import type { OpenApiSchema } from './crd-schemas.js';
/**
 * A copy of `value` with the schema's `default`s filled in: for a missing property of an object that is
 * present, and recursively into objects, arrays and additionalProperties.
 */
export declare function applyDefaults(value: unknown, schema: OpenApiSchema): unknown;
/**
 * Fields the API server would prune: keys of an object whose schema lists properties, has no
 * additionalProperties and does not preserve unknown fields. Paths like `spec.intervall`.
 */
export declare function unknownFields(value: unknown, schema: OpenApiSchema, path?: string): string[];
