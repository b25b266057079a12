/** Load the vendored CRDs: apiVersion + kind → the openAPIV3Schema Kubernetes validates against. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FactoryError, parseAllYamlFast } from 'image-factory/internal';

/**
 * An OpenAPI v3 schema node as CRDs spell it: the keywords structural defaulting and pruning read, typed; every other
 * keyword (pattern, enum, x-kubernetes-*) kept for Ajv.
 */
const OpenApiSchemaSchema = Type.Recursive((Self) =>
  Type.Object(
    {
      type: Type.Optional(Type.String()),
      properties: Type.Optional(Type.Record(Type.String(), Self)),
      items: Type.Optional(Self),
      additionalProperties: Type.Optional(Type.Union([Self, Type.Boolean()])),
      default: Type.Optional(Type.Unknown()),
      required: Type.Optional(Type.Array(Type.String())),
      'x-kubernetes-preserve-unknown-fields': Type.Optional(Type.Boolean()),
    },
    { additionalProperties: true },
  ),
);

/** An OpenAPI v3 schema node as CRDs spell it. */
export type OpenApiSchema = Static<typeof OpenApiSchemaSchema>;

/** The part of a CustomResourceDefinition the validator reads (`apiextensions.k8s.io/v1`). */
const CrdSchema = Type.Object({
  kind: Type.Literal('CustomResourceDefinition'),
  spec: Type.Object({
    group: Type.String({ minLength: 1 }),
    scope: Type.Union([Type.Literal('Namespaced'), Type.Literal('Cluster')]),
    names: Type.Object({ kind: Type.String({ minLength: 1 }) }),
    versions: Type.Array(
      Type.Object({
        name: Type.String({ minLength: 1 }),
        schema: Type.Optional(Type.Object({ openAPIV3Schema: OpenApiSchemaSchema })),
      }),
    ),
  }),
});

/** A CRD version's schema and whether its objects live in a namespace. */
export interface CrdSchema {
  readonly schema: OpenApiSchema;
  readonly namespaced: boolean;
}

/** `kargo.akuity.io/v1alpha1/Warehouse` → schema. */
export type CrdSchemas = ReadonlyMap<string, CrdSchema>;

/** Key of a schema for an object's apiVersion and kind. */
export function schemaKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/** `value` checked against `schema`, or a FactoryError naming the file, the field and what is wrong. */
export function parseVendored<S extends TSchema>(schema: S, value: unknown, file: string, what: string): Static<S> {
  if (Value.Check(schema, value)) return value;
  const first = Value.Errors(schema, value).First();
  throw new FactoryError(
    'invalid-config',
    `${file}: not ${what}: ${first?.path || '/'} ${first?.message ?? ''}`.trim(),
  );
}

/** Is this YAML document a CustomResourceDefinition (the vendored files hold nothing else that matters)? */
function isCrd(document: unknown): boolean {
  return Value.Check(Type.Object({ kind: Type.Literal('CustomResourceDefinition') }), document);
}

/** Every CRD in the given folders (recursively, *.yaml); a CRD not in apiextensions' shape is an error naming its file. */
export function loadCrdSchemas(folders: readonly string[]): CrdSchemas {
  const schemas = new Map<string, CrdSchema>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.yaml')) {
        for (const document of parseAllYamlFast(readFileSync(path, 'utf8'))) {
          if (!isCrd(document)) continue;
          const crd = parseVendored(CrdSchema, document, path, 'a CustomResourceDefinition');
          const namespaced = crd.spec.scope !== 'Cluster';
          for (const version of crd.spec.versions) {
            const schema = version.schema?.openAPIV3Schema;
            if (schema === undefined) continue;
            schemas.set(schemaKey(`${crd.spec.group}/${version.name}`, crd.spec.names.kind), { schema, namespaced });
          }
        }
      }
    }
  };
  for (const folder of folders) visit(folder);
  return schemas;
}
