/** Structural defaulting as the Kubernetes API server applies it before validation. */
import type { OpenApiSchema } from './crd-schemas.js';

/** Is `value` a JSON object (not null, not an array)? */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `value` when it is a JSON object, else an empty one: for reading fields of an object that may be malformed. */
export function fieldsOf(value: unknown): Readonly<Record<string, unknown>> {
  return isObject(value) ? value : {};
}

/**
 * A copy of `value` with the schema's `default`s filled in: for a missing property of an object that is
 * present, and recursively into objects, arrays and additionalProperties.
 */
export function applyDefaults(value: unknown, schema: OpenApiSchema): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items === undefined ? value : value.map((item) => applyDefaults(item, items));
  }
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && child.default !== undefined) out[key] = structuredClone(child.default);
    if (out[key] !== undefined) out[key] = applyDefaults(out[key], child);
  }
  if (isObject(schema.additionalProperties)) {
    const extra = schema.additionalProperties;
    for (const key of Object.keys(out)) {
      if (schema.properties?.[key] === undefined) out[key] = applyDefaults(out[key], extra);
    }
  }
  return out;
}

/**
 * Fields the API server would prune: keys of an object whose schema lists properties, has no
 * additionalProperties and does not preserve unknown fields. Paths like `spec.intervall`.
 */
export function unknownFields(value: unknown, schema: OpenApiSchema, path = ''): string[] {
  const at = (key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);
  if (Array.isArray(value)) {
    const items = schema.items;
    return items === undefined ? [] : value.flatMap((item, i) => unknownFields(item, items, at(i)));
  }
  if (!isObject(value) || schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  const out: string[] = [];
  const properties = schema.properties;
  for (const [key, child] of Object.entries(value)) {
    const childSchema =
      properties?.[key] ?? (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
    if (childSchema !== undefined) out.push(...unknownFields(child, childSchema, at(key)));
    else if (properties !== undefined && schema.additionalProperties === undefined) out.push(at(key));
  }
  return out;
}
