/** Load the vendored CRDs: apiVersion + kind → the openAPIV3Schema Kubernetes validates against. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllYamlFast } from 'image-factory';
/** Key of a schema for an object's apiVersion and kind. */
export function schemaKey(apiVersion, kind) {
    return `${apiVersion}/${kind}`;
}
/** Every CRD in the given folders (recursively, *.yaml). */
export function loadCrdSchemas(folders) {
    const schemas = new Map();
    const visit = (dir) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            if (entry.isDirectory())
                visit(path);
            else if (entry.name.endsWith('.yaml')) {
                for (const document of parseAllYamlFast(readFileSync(path, 'utf8'))) {
                    const crd = document;
                    if (crd?.kind !== 'CustomResourceDefinition' || crd.spec?.group === undefined)
                        continue;
                    for (const version of crd.spec.versions ?? []) {
                        const schema = version.schema?.openAPIV3Schema;
                        const kind = crd.spec.names?.kind;
                        if (schema !== undefined && kind !== undefined)
                            schemas.set(schemaKey(`${crd.spec.group}/${version.name}`, kind), schema);
                    }
                }
            }
        }
    };
    for (const folder of folders)
        visit(folder);
    return schemas;
}
//# sourceMappingURL=crd-schemas.js.map