/**
 * Validate Kubernetes objects the way the cluster would: CRD openAPIV3Schema after defaulting, Kargo's own
 * subscription JSON Schemas, and the Kargo rules that matter here. Errors name the object, the image and the field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadCrdSchemas, schemaKey } from './crd-schemas.js';
import { applyDefaults, unknownFields } from './defaults.js';
/** One line for a person. */
export function formatManifestProblem(p) {
    return `${p.object}${p.image ? ` (image ${p.image})` : ''}: ${p.field} ${p.message}`;
}
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBSCRIPTION_KINDS = ['image', 'git', 'chart'];
function pointerToPath(pointer) {
    return pointer
        .split('/')
        .slice(1)
        .map((part) => (/^[0-9]+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
        .join('')
        .replace(/^\./, '');
}
function describe(error, prefix) {
    const base = pointerToPath(error.instancePath);
    const params = error.params;
    const join = (a, b) => [a, b].filter(Boolean).join(a && b.startsWith('[') ? '' : '.');
    const at = join(prefix, base);
    switch (error.keyword) {
        case 'required':
            return { field: join(at, String(params.missingProperty)), message: 'is required' };
        case 'additionalProperties':
            return { field: join(at, String(params.additionalProperty)), message: 'is not a field of this schema' };
        case 'enum':
            return { field: at || '(root)', message: `must be one of ${params.allowedValues.join(', ')}` };
        default:
            return { field: at || '(root)', message: error.message ?? 'is invalid' };
    }
}
/** A reusable validator (schemas compiled once). */
export class ManifestValidator {
    crds;
    compiled = new Map();
    // CRD patterns are Go regexes: compile them without the u flag (Go accepts escapes like \_ that unicode mode rejects).
    ajv = new Ajv({
        strict: false,
        allErrors: true,
        validateFormats: false,
        unicodeRegExp: false,
        // The vendored schemas are trusted data: skip checking them against the meta-schema (a third of the cost).
        validateSchema: false,
    });
    ajv2020 = new Ajv2020({
        strict: false,
        allErrors: true,
        validateFormats: false,
        unicodeRegExp: false,
        validateSchema: false,
    });
    subscriptionFolder;
    subscriptions = new Map();
    legacyAllowTags;
    constructor(options) {
        this.crds = loadCrdSchemas(options.crdFolders);
        this.legacyAllowTags = options.legacyAllowTags ?? false;
        this.subscriptionFolder = options.subscriptionSchemas;
    }
    /** Kargo's JSON Schema for one subscription kind, compiled on first use. */
    subscriptionValidator(kind) {
        let validate = this.subscriptions.get(kind);
        if (validate === undefined) {
            const schema = JSON.parse(readFileSync(join(this.subscriptionFolder, `${kind}.json`), 'utf8'));
            validate = this.ajv2020.compile(schema);
            this.subscriptions.set(kind, validate);
        }
        return validate;
    }
    /** Kinds this validator knows a schema for. */
    knows(apiVersion, kind) {
        return this.crds.has(schemaKey(apiVersion, kind));
    }
    validatorFor(key, schema) {
        let validate = this.compiled.get(key);
        if (validate === undefined) {
            validate = this.ajv.compile(schema);
            this.compiled.set(key, validate);
        }
        return validate;
    }
    /** Validate one object; `requireKnown` makes an object of an unknown CRD kind a problem. */
    validate(raw, requireKnown = true) {
        const object = raw;
        const kind = typeof object?.kind === 'string' ? object.kind : '(no kind)';
        const apiVersion = typeof object?.apiVersion === 'string' ? object.apiVersion : '(no apiVersion)';
        const name = typeof object?.metadata?.name === 'string' ? object.metadata.name : '(no name)';
        const namespace = typeof object?.metadata?.namespace === 'string' ? `${object.metadata.namespace}/` : '';
        const reference = object?.metadata?.annotations?.['image-factory.io/reference'];
        const label = {
            object: `${kind} ${namespace}${name}`,
            ...(typeof reference === 'string' ? { image: reference } : {}),
        };
        const problems = [];
        const add = (field, message) => problems.push({ ...label, field, message });
        if (typeof object?.metadata?.name !== 'string' ||
            !DNS_SUBDOMAIN.test(object.metadata.name) ||
            object.metadata.name.length > 253) {
            add('metadata.name', 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")');
        }
        if (object?.metadata?.namespace !== undefined &&
            (typeof object.metadata.namespace !== 'string' || !DNS_LABEL.test(object.metadata.namespace))) {
            add('metadata.namespace', 'must be a DNS-1123 label');
        }
        const key = schemaKey(apiVersion, kind);
        const schema = this.crds.get(key);
        if (schema === undefined) {
            if (requireKnown)
                add('kind', `no vendored CRD defines ${apiVersion} ${kind}`);
            return problems;
        }
        const defaulted = applyDefaults(raw, schema);
        const validate = this.validatorFor(key, schema);
        if (!validate(defaulted)) {
            for (const error of validate.errors ?? []) {
                const { field, message } = describe(error, '');
                add(field, message);
            }
        }
        for (const field of unknownFields(defaulted, schema)) {
            add(field, 'is not a field of this schema (the API server would drop it)');
        }
        if (kind === 'Warehouse')
            this.checkWarehouse(defaulted, add);
        return problems;
    }
    checkWarehouse(object, add) {
        const subscriptions = object.spec?.subscriptions;
        if (!Array.isArray(subscriptions))
            return;
        subscriptions.forEach((entry, index) => {
            const at = `spec.subscriptions[${index}]`;
            const kinds = entry !== null && typeof entry === 'object' ? Object.keys(entry) : [];
            const known = kinds.filter((k) => SUBSCRIPTION_KINDS.includes(k));
            if (kinds.length !== 1 || known.length !== 1) {
                add(at, 'must hold exactly one of image, git or chart');
                return;
            }
            const kind = known[0];
            const body = entry[kind] ?? {};
            const validate = this.subscriptionValidator(kind);
            if (!validate(body)) {
                for (const error of validate.errors ?? []) {
                    const { field, message } = describe(error, `${at}.${kind}`);
                    add(field, message);
                }
            }
            if (kind !== 'image')
                return;
            const strategy = body.imageSelectionStrategy ?? 'SemVer';
            if (strategy === 'Digest' && (typeof body.constraint !== 'string' || body.constraint === '')) {
                add(`${at}.image.constraint`, 'is required with imageSelectionStrategy Digest (the tag whose digest to follow)');
            }
            if (body.constraint !== undefined && body.semverConstraint !== undefined) {
                add(`${at}.image.semverConstraint`, 'and constraint are mutually exclusive (semverConstraint is replaced by constraint)');
            }
            if (!this.legacyAllowTags) {
                for (const legacy of ['allowTags', 'ignoreTags']) {
                    const value = body[legacy];
                    if (value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0)) {
                        add(`${at}.image.${legacy}`, `is deprecated: Kargo >= 1.11 fails artifact discovery when it is set; use ${legacy}Regexes`);
                    }
                }
            }
            for (const field of ['allowTagsRegexes', 'ignoreTagsRegexes']) {
                const list = body[field];
                if (!Array.isArray(list))
                    continue;
                list.forEach((regex, i) => {
                    try {
                        new RegExp(String(regex)
                            .replace(/^\(\?[imsU]+\)/, '')
                            .replace(/\(\?P</g, '(?<'));
                    }
                    catch {
                        add(`${at}.image.${field}[${i}]`, 'is not a valid regular expression');
                    }
                });
            }
        });
    }
}
//# sourceMappingURL=validate.js.map