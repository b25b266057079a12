function isObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
}
/**
 * A copy of `value` with the schema's `default`s filled in: for a missing property of an object that is
 * present, and recursively into objects, arrays and additionalProperties.
 */
export function applyDefaults(value, schema) {
    if (Array.isArray(value)) {
        return schema.items === undefined ? value : value.map((item) => applyDefaults(item, schema.items));
    }
    if (!isObject(value))
        return value;
    const out = { ...value };
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
        if (out[key] === undefined && child.default !== undefined)
            out[key] = structuredClone(child.default);
        if (out[key] !== undefined)
            out[key] = applyDefaults(out[key], child);
    }
    if (isObject(schema.additionalProperties)) {
        const extra = schema.additionalProperties;
        for (const key of Object.keys(out)) {
            if (schema.properties?.[key] === undefined)
                out[key] = applyDefaults(out[key], extra);
        }
    }
    return out;
}
/**
 * Fields the API server would prune: keys of an object whose schema lists properties, has no
 * additionalProperties and does not preserve unknown fields. Paths like `spec.intervall`.
 */
export function unknownFields(value, schema, path = '') {
    const at = (key) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    if (Array.isArray(value)) {
        return schema.items === undefined
            ? []
            : value.flatMap((item, i) => unknownFields(item, schema.items, at(i)));
    }
    if (!isObject(value) || schema['x-kubernetes-preserve-unknown-fields'] === true)
        return [];
    const out = [];
    const properties = schema.properties;
    for (const [key, child] of Object.entries(value)) {
        const childSchema = properties?.[key] ?? (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
        if (childSchema !== undefined)
            out.push(...unknownFields(child, childSchema, at(key)));
        else if (properties !== undefined && schema.additionalProperties === undefined)
            out.push(at(key));
    }
    return out;
}
//# sourceMappingURL=defaults.js.map