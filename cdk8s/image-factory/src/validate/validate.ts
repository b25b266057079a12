/**
 * Validate Kubernetes objects the way the cluster would: CRD openAPIV3Schema after defaulting, Kargo's own
 * subscription JSON Schemas, and Kargo's Warehouse rules (the tool's runtime rules, checkWarehouse). Errors name the object, the image and the field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  checkWarehouse,
  FactoryError,
  type FieldProblem,
  type ManifestProblem,
  type SubscriptionKind,
} from 'image-factory/internal';
import { type CrdSchemas, loadCrdSchemas, type OpenApiSchema, parseVendored, schemaKey } from './crd-schemas.js';
import { applyDefaults, fieldsOf, unknownFields } from './defaults.js';

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

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A JSON Schema document, as far as Ajv needs it: an object. */
const JsonSchemaDocument = Type.Record(Type.String(), Type.Unknown());

/** Read and parse one of Kargo's vendored JSON Schemas; a missing or broken file names itself. */
function readJsonSchema(file: string): Readonly<Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FactoryError('io', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new FactoryError(
      'invalid-config',
      `${file}: not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseVendored(JsonSchemaDocument, data, file, 'a JSON Schema');
}

function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => (/^[0-9]+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
}

function describe(error: ErrorObject, prefix: string): { field: string; message: string } {
  const base = pointerToPath(error.instancePath);
  const params = error.params;
  const join = (a: string, b: string) => [a, b].filter(Boolean).join(a && b.startsWith('[') ? '' : '.');
  const at = join(prefix, base);
  switch (error.keyword) {
    case 'required':
      return { field: join(at, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { field: join(at, String(params.additionalProperty)), message: 'is not a field of this schema' };
    case 'enum':
      return {
        field: at || '(root)',
        message: `must be one of ${Array.isArray(params.allowedValues) ? params.allowedValues.join(', ') : '(none)'}`,
      };
    default:
      return { field: at || '(root)', message: error.message ?? 'is invalid' };
  }
}

/** A reusable validator (schemas compiled once). */
export class ManifestValidator {
  private readonly crds: CrdSchemas;
  private readonly compiled = new Map<string, ValidateFunction>();
  // CRD patterns are Go regexes: compile them without the u flag (Go accepts escapes like \_ that unicode mode rejects).
  private readonly ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: false,
    unicodeRegExp: false,
    // The vendored schemas are trusted data: skip checking them against the meta-schema (a third of the cost).
    validateSchema: false,
  });
  private readonly ajv2020 = new Ajv2020({
    strict: false,
    allErrors: true,
    validateFormats: false,
    unicodeRegExp: false,
    validateSchema: false,
  });
  private readonly subscriptionFolder: string;
  private readonly subscriptions = new Map<string, ValidateFunction>();
  private readonly legacyAllowTags: boolean;

  constructor(options: ValidatorOptions) {
    this.crds = loadCrdSchemas(options.crdFolders);
    this.legacyAllowTags = options.legacyAllowTags ?? false;
    this.subscriptionFolder = options.subscriptionSchemas;
  }

  /** Kargo's JSON Schema for one subscription kind, compiled on first use. */
  private subscriptionValidator(kind: SubscriptionKind): ValidateFunction {
    let validate = this.subscriptions.get(kind);
    if (validate === undefined) {
      validate = this.ajv2020.compile(readJsonSchema(join(this.subscriptionFolder, `${kind}.json`)));
      this.subscriptions.set(kind, validate);
    }
    return validate;
  }

  /** Kinds this validator knows a schema for. */
  knows(apiVersion: string, kind: string): boolean {
    return this.crds.has(schemaKey(apiVersion, kind));
  }

  private validatorFor(key: string, schema: OpenApiSchema): ValidateFunction {
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** Validate one object; `requireKnown` makes an object of an unknown CRD kind a problem. */
  validate(raw: unknown, requireKnown = true): ManifestProblem[] {
    const object = fieldsOf(raw);
    const metadata = fieldsOf(object.metadata);
    const kind = typeof object.kind === 'string' ? object.kind : '(no kind)';
    const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '(no apiVersion)';
    const name = typeof metadata.name === 'string' ? metadata.name : '(no name)';
    const namespace = typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
    const reference = fieldsOf(metadata.annotations)['image-factory.io/reference'];
    const label = {
      object: `${kind} ${namespace}${name}`,
      ...(typeof reference === 'string' ? { image: reference } : {}),
    };
    const problems: ManifestProblem[] = [];
    const add = (field: string, message: string) => problems.push({ ...label, field, message });

    if (typeof metadata.name !== 'string' || !DNS_SUBDOMAIN.test(metadata.name) || metadata.name.length > 253) {
      add('metadata.name', 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")');
    }
    if (
      metadata.namespace !== undefined &&
      (typeof metadata.namespace !== 'string' || !DNS_LABEL.test(metadata.namespace))
    ) {
      add('metadata.namespace', 'must be a DNS-1123 label');
    }
    const key = schemaKey(apiVersion, kind);
    const crd = this.crds.get(key);
    if (crd === undefined) {
      if (requireKnown) add('kind', `no vendored CRD defines ${apiVersion} ${kind}`);
      return problems;
    }
    const { schema } = crd;
    if (crd.namespaced && metadata.namespace === undefined) {
      add('metadata.namespace', `is required: ${kind} is namespaced`);
    }
    if (!crd.namespaced && metadata.namespace !== undefined) {
      add('metadata.namespace', `must not be set: ${kind} is cluster-scoped`);
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
    if (kind === 'Warehouse') {
      const rules = checkWarehouse(defaulted, {
        legacyAllowTags: this.legacyAllowTags,
        subscriptionSchema: (subscription, body, at) => this.subscriptionProblems(subscription, body, at),
      });
      for (const { field, message } of rules) add(field, message);
    }
    return problems;
  }

  /** Kargo's JSON Schema for one subscription kind, applied by the runtime rules' checkWarehouse. */
  private subscriptionProblems(kind: SubscriptionKind, body: unknown, at: string): FieldProblem[] {
    const validate = this.subscriptionValidator(kind);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((error) => describe(error, at));
  }
}
