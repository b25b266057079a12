/** Load the vendored CRDs: apiVersion + kind → the openAPIV3Schema Kubernetes validates against. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllYamlFast } from 'image-factory/internal';

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

interface CrdDocument {
  kind?: string;
  spec?: {
    group?: string;
    scope?: 'Namespaced' | 'Cluster';
    names?: { kind?: string };
    versions?: { name: string; schema?: { openAPIV3Schema?: OpenApiSchema } }[];
  };
}

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

/** Every CRD in the given folders (recursively, *.yaml). */
export function loadCrdSchemas(folders: readonly string[]): CrdSchemas {
  const schemas = new Map<string, CrdSchema>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.yaml')) {
        for (const document of parseAllYamlFast(readFileSync(path, 'utf8'))) {
          const crd = document as CrdDocument | null;
          if (crd?.kind !== 'CustomResourceDefinition' || crd.spec?.group === undefined) continue;
          for (const version of crd.spec.versions ?? []) {
            const schema = version.schema?.openAPIV3Schema;
            const kind = crd.spec.names?.kind;
            if (schema === undefined || kind === undefined) continue;
            const namespaced = crd.spec.scope !== 'Cluster';
            schemas.set(schemaKey(`${crd.spec.group}/${version.name}`, kind), { schema, namespaced });
          }
        }
      }
    }
  };
  for (const folder of folders) visit(folder);
  return schemas;
}
