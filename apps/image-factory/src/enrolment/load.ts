/** Load images.yaml: YAML → JSON Schema → semantic checks → typed Enrolment, with file:line:column errors. */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument } from 'yaml';
import { FactoryError } from '../errors.js';
import { normaliseReference } from '../reference/normalise.js';
import { checkRequestsPolicy } from '../requests/policy.js';
import { type RequestsPolicy, type RequestsPolicyEntry, RequestsPolicySchema } from '../requests/schema.js';
import { checkVerifyPolicy, type VerifyEntry, type VerifyPolicy, VerifySchema } from '../signatures/index.js';
import { pickDefined } from '../util/pick-defined.js';
import { parseYamlFast } from '../yaml/fast-parse.js';
import { parseDelay } from './duration.js';
import { checkGithubWorkflow, reduceSourceRepo } from './forge-coordinates.js';
import {
  type BaseImagePoliciesEntry,
  BaseImagePoliciesSchema,
  type DefaultsEntry,
  DefaultsSchema,
  IMAGES_SCHEMA,
  type ImageEntry,
  ImageEntrySchema,
  type ImagesFile,
  NOT_AN_OPTION,
} from './schema.js';
import type {
  BaseImagePolicy,
  EnrolledImage,
  Enrolment,
  EnrolmentDefaults,
  ExternalImage,
  ManagedImage,
} from './types.js';
import { OPTIONAL_SUBSCRIPTION_FIELDS } from './types.js';
import { fieldPath, positionOf } from './yaml-position.js';

/** One thing wrong with images.yaml, located. */
export interface EnrolmentProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;
  readonly message: string;
}

/** images.yaml is invalid; `problems` lists every problem found, in file order. */
export class EnrolmentError extends FactoryError {
  readonly problems: readonly EnrolmentProblem[];

  constructor(problems: readonly EnrolmentProblem[]) {
    super('invalid-enrolment', problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

/** `images.yaml:14:7: images[2].source.provider must be github or gitlab` */
export function formatProblem(p: EnrolmentProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.field} ${p.message}`;
}

const DEFAULTS: EnrolmentDefaults = {
  rebuildDelaySeconds: 7 * 86_400,
  autoRebuild: true,
  interval: '5m0s',
  baseImageInterval: '1h0m0s',
  discoveryLimit: 20,
};

let ajv: Ajv2020 | undefined;
let compiled: ValidateFunction<ImagesFile> | undefined;
let compiledItem: ValidateFunction<ImageEntry> | undefined;
let compiledDefaults: ValidateFunction<DefaultsEntry> | undefined;
let compiledBasePolicy: ValidateFunction<BaseImagePoliciesEntry[number]> | undefined;
let compiledVerify: ValidateFunction<VerifyEntry> | undefined;
let compiledRequests: ValidateFunction<RequestsPolicyEntry> | undefined;

/**
 * The one Ajv instance for images.yaml, created on first use (compiling costs tens of milliseconds at start-up).
 * validateSchema: false skips checking our own schema against the meta-schema at every start;
 * test/schemas.test.ts does that once. `code.optimize: false` skips Ajv's pass over the generated code: compiling
 * costs a third less CPU, and one file is validated once per run.
 */
function schemaAjv(): Ajv2020 {
  ajv ??= new Ajv2020({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    validateSchema: false,
    code: { optimize: false },
  });
  return ajv;
}

/** The whole file against the schema. */
function validateSchema(data: unknown): data is ImagesFile {
  compiled ??= schemaAjv().compile<ImagesFile>(IMAGES_SCHEMA);
  return compiled(data);
}

/** The errors of the last validateSchema() call. */
function schemaErrors(): ErrorObject[] {
  return compiled?.errors ?? [];
}

/** One images[] entry against its part of the schema: entries that pass are checked further even when others fail. */
function validItem(entry: unknown): entry is ImageEntry {
  compiledItem ??= schemaAjv().compile<ImageEntry>(ImageEntrySchema);
  return compiledItem(entry);
}

/** `defaults` against its part of the schema. */
function validDefaults(defaults: unknown): defaults is DefaultsEntry {
  compiledDefaults ??= schemaAjv().compile<DefaultsEntry>(DefaultsSchema);
  return compiledDefaults(defaults);
}

/** One `baseImagePolicies` entry against its part of the schema (valid entries are checked further). */
function validBasePolicy(policy: unknown): policy is BaseImagePoliciesEntry[number] {
  compiledBasePolicy ??= schemaAjv().compile<BaseImagePoliciesEntry[number]>(BaseImagePoliciesSchema.items);
  return compiledBasePolicy(policy);
}

/** `requests:` against its part of the schema (a valid block is checked further). */
function validRequests(block: unknown): block is RequestsPolicyEntry {
  compiledRequests ??= schemaAjv().compile<RequestsPolicyEntry>(RequestsPolicySchema);
  return compiledRequests(block);
}

function pathOf(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^[0-9]+$/.test(part) ? Number(part) : part));
}

/** The value at `path` in parsed YAML, or undefined. */
function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let value = data;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = Reflect.get(value, part);
  }
  return value;
}

/** Why a `source.repo` / `source.workflow` the schema refused is wrong, in forge-coordinates' words. */
function forgeCoordinateMessage(data: unknown, path: readonly (string | number)[]): string | null {
  const field = path[path.length - 1];
  const value = valueAt(data, path);
  const provider = valueAt(data, [...path.slice(0, -1), 'provider']);
  if (typeof value !== 'string' || path[path.length - 2] !== 'source') return null;
  if (provider !== 'github' && provider !== 'gitlab') return null;
  // A value git would read as an option or a comment: that reason first (it is the dangerous one).
  if (!new RegExp(NOT_AN_OPTION, 'u').test(value)) return null;
  if (field === 'repo') {
    const result = reduceSourceRepo(provider, value);
    return result.ok ? null : result.error;
  }
  if (field === 'workflow' && provider === 'github') {
    const result = checkGithubWorkflow(value);
    return result.ok ? null : result.error;
  }
  return null;
}

function describeSchemaError(
  error: ErrorObject,
  data: unknown,
): { path: (string | number)[]; atKey: boolean; message: string } | null {
  const path = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'if':
      // "must match then": the failing keyword inside `then` is reported on its own, at the field.
      return null;
    case 'type':
      if (path[path.length - 1] === 'rebuildDelay' && typeof valueAt(data, path) === 'number') {
        return {
          path,
          atKey: false,
          message: `must be a string: write "0" (quoted) for no delay, or a number with a unit such as 12h or 7d`,
        };
      }
      return { path, atKey: false, message: error.message ?? 'is invalid' };
    case 'required':
      return { path: [...path, String(params.missingProperty)], atKey: false, message: 'is required' };
    case 'additionalProperties':
      return {
        path: [...path, String(params.additionalProperty)],
        atKey: true,
        message: 'is not a known field (check the spelling; see image-factory/schema/images.schema.json)',
      };
    case 'enum':
      return {
        path,
        atKey: false,
        message: `must be ${(params.allowedValues as unknown[]).map(String).join(' or ')}`,
      };
    case 'pattern': {
      const field = path[path.length - 1];
      const coordinate = forgeCoordinateMessage(data, path);
      if (coordinate !== null) return { path, atKey: false, message: coordinate };
      const hint =
        path[0] === 'requests'
          ? requestsPatternHint(path)
          : field === 'name'
            ? 'must be a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters'
            : field === 'rebuildDelay'
              ? 'must be "0" (quoted) or a number with a unit s, m, h, d or w (e.g. 12h, 7d)'
              : field === 'interval' || field === 'baseImageInterval'
                ? 'must be a duration such as 30m, 1h or 5m0s'
                : field === 'match'
                  ? 'must be a lowercase registry/repository pattern with * or ** wildcards (e.g. docker.io/library/node, cgr.dev/chainguard/*)'
                  : field === 'file'
                    ? 'must be a relative path inside the repository (no leading "/" or "-")'
                    : field === 'branch'
                      ? 'must be a valid git branch name (no spaces, no leading "-", no "..", "~", "^", ":", "?", "*", "[")'
                      : field === 'dockerfile'
                        ? 'must be a relative path inside the source repository (no leading "/" or "-")'
                        : field === 'repo' || field === 'workflow' || field === 'registry' || field === 'repository'
                          ? 'must not start with "-" or contain spaces or "#" (git would read it as an option or a comment)'
                          : `must match ${String(params.pattern)}`;
      return { path, atKey: false, message: hint };
    }
    default:
      return { path, atKey: false, message: error.message ?? 'is invalid' };
  }
}

/** What a `requests:` value the schema's pattern refused must look like. */
function requestsPatternHint(path: readonly (string | number)[]): string {
  const named = path.filter((part): part is string => typeof part === 'string');
  const field = named[named.length - 1];
  const parent = named[named.length - 2];
  if (parent === 'github' && field === 'teams') return 'must be organisation/team-slug';
  if (parent === 'github' && field === 'users') return 'must be a GitHub login';
  if (parent === 'gitlab' && field === 'users') return 'must be a GitLab username';
  if (parent === 'gitlab' && field === 'groups') return 'must be a GitLab group path (group/subgroup)';
  if (field === 'name') return 'must be a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters';
  if (field === 'repository')
    return 'must be a lowercase registry/repository pattern with * or ** wildcards (e.g. cgr.dev/acme/**)';
  if (field === 'sla') return 'must be "0" (quoted) or a number with a unit s, m, h, d or w (e.g. 4h, 2d)';
  if (field === 'environments' || field === 'teams' || field === 'environment' || field === 'team')
    return 'must be lowercase letters, digits, "-", "_" or "." (at most 63 characters)';
  if (field === 'api') return 'must be an https:// URL';
  if (field === 'parent')
    return 'must be a Chainguard organisation or folder id (40 hex digits, then /16 hex per folder)';
  return 'is not valid here';
}

/** Kargo evaluates allowTags with Go's RE2; reject what RE2 or JavaScript cannot compile. */
function checkAllowTags(pattern: string): string | null {
  if (/\(\?[=!<]|\\[1-9]/.test(pattern.replace(/\(\?P<|\(\?<[A-Za-z]/g, ''))) {
    return 'uses lookaround or a backreference, which Kargo (Go RE2) does not support';
  }
  const forJs = pattern.replace(/^\(\?([imsU]+)\)/, '').replace(/\(\?P</g, '(?<');
  try {
    new RegExp(forJs);
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  return null;
}

/** A problem found by path, before it is located in the file. */
interface PathProblem {
  readonly path: (string | number)[];
  readonly message: string;
  readonly atKey?: boolean;
}

/** Locate problems in the text (parsed again with source positions: only on the error path). */
function located(text: string, file: string, problems: readonly PathProblem[]): EnrolmentError {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const out: EnrolmentProblem[] = [];
  for (const error of doc.errors) {
    const { line, col } = counter.linePos(error.pos[0]);
    out.push({ file, line, column: col, field: '(yaml)', message: error.message.split('\n')[0] ?? 'syntax error' });
  }
  if (out.length === 0) {
    for (const p of problems) {
      const { line, column } = positionOf(doc, counter, p.path, p.atKey ?? false);
      out.push({ file, line, column, field: fieldPath(p.path), message: p.message });
    }
  }
  return new EnrolmentError(dedupeProblems(out));
}

/** `line:column` of a path in images.yaml (for messages about an entry found valid, e.g. its Dockerfile). */
export function positionOfPath(text: string, path: readonly (string | number)[]): string {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const { line, column } = positionOf(doc, counter, path);
  return `${line}:${column}`;
}

/**
 * Parse and validate images.yaml. Throws EnrolmentError listing every problem with file:line:column.
 * @param text the file's content
 * @param file the name to use in messages
 */
export function loadEnrolment(text: string, file = 'images.yaml'): Enrolment {
  let data: unknown;
  try {
    data = parseYamlFast(text);
  } catch {
    throw located(text, file, [{ path: [], message: 'is not valid YAML' }]);
  }
  const problems: PathProblem[] = [];
  const at = (path: (string | number)[], message: string, atKey = false) => problems.push({ path, message, atKey });

  // Every problem at once: with schema errors, the parts that are well-formed are still checked below.
  let raw: ImagesFile;
  let entries: [ImageEntry, number][];
  let basePolicies: [BaseImagePoliciesEntry[number], number][];
  let requestsBlock: RequestsPolicyEntry | undefined;
  if (validateSchema(data)) {
    raw = data;
    entries = raw.images.map((image, index): [ImageEntry, number] => [image, index]);
    requestsBlock = raw.requests;
    basePolicies = (raw.baseImagePolicies ?? []).map((policy, index): [BaseImagePoliciesEntry[number], number] => [
      policy,
      index,
    ]);
  } else {
    for (const error of schemaErrors()) {
      const described = describeSchemaError(error, data);
      if (described !== null) at(described.path, described.message, described.atKey);
    }
    const part = (key: 'defaults' | 'images' | 'baseImagePolicies' | 'requests'): unknown =>
      data !== null && typeof data === 'object' && !Array.isArray(data) ? Reflect.get(data, key) : undefined;
    const rawDefaults = part('defaults');
    const rawImages = part('images');
    const rawBasePolicies = part('baseImagePolicies');
    const rawRequests = part('requests');
    requestsBlock = validRequests(rawRequests) ? rawRequests : undefined;
    raw = {
      ...(validDefaults(rawDefaults) ? { defaults: rawDefaults } : {}),
      ...(Array.isArray(rawBasePolicies) ? { baseImagePolicies: [] } : {}),
      images: [],
    };
    basePolicies = (Array.isArray(rawBasePolicies) ? rawBasePolicies : []).flatMap(
      (policy: unknown, index): [BaseImagePoliciesEntry[number], number][] =>
        validBasePolicy(policy) ? [[policy, index]] : [],
    );
    entries = (Array.isArray(rawImages) ? rawImages : []).flatMap((image: unknown, index): [ImageEntry, number][] =>
      validItem(image) ? [[image, index]] : [],
    );
  }

  /** A `verify` block checked, its problems located under `path`. */
  const policyAt = (entry: VerifyEntry | undefined, path: (string | number)[]): { verify?: VerifyPolicy } => {
    if (entry === undefined) return {};
    const checked = checkVerifyPolicy(entry);
    if (checked.ok) return { verify: checked.value };
    for (const problem of checked.problems) at([...path, ...problem.path], problem.message);
    return {};
  };

  const defaults: EnrolmentDefaults = {
    rebuildDelaySeconds:
      raw.defaults?.rebuildDelay === undefined
        ? DEFAULTS.rebuildDelaySeconds
        : (parseDelay(raw.defaults.rebuildDelay) ?? DEFAULTS.rebuildDelaySeconds),
    autoRebuild: raw.defaults?.autoRebuild ?? DEFAULTS.autoRebuild,
    interval: raw.defaults?.interval ?? DEFAULTS.interval,
    baseImageInterval: raw.defaults?.baseImageInterval ?? DEFAULTS.baseImageInterval,
    discoveryLimit: raw.defaults?.discoveryLimit ?? DEFAULTS.discoveryLimit,
    ...policyAt(raw.defaults?.verify, ['defaults', 'verify']),
  };
  const baseImagePolicies: BaseImagePolicy[] = [];
  for (const [entry, index] of basePolicies) {
    const { verify } = policyAt(entry.verify, ['baseImagePolicies', index, 'verify']);
    if (verify !== undefined) baseImagePolicies.push({ match: entry.match, verify });
  }

  let requests: RequestsPolicy | undefined;
  if (requestsBlock !== undefined) {
    const checked = checkRequestsPolicy(requestsBlock);
    if (checked.ok) requests = checked.value;
    else for (const problem of checked.problems) at(['requests', ...problem.path], problem.message);
  }

  const seen = new Map<string, number>();
  const published = new Map<string, number>();
  const images: EnrolledImage[] = [];
  for (const [image, index] of entries) {
    const first = seen.get(image.name);
    if (first !== undefined) {
      at(['images', index, 'name'], `"${image.name}" is already used by images[${first}]; names must be unique`);
    } else {
      seen.set(image.name, index);
    }
    const reference = normaliseReference(`${image.registry}/${image.repository}`);
    if (!reference.ok) {
      at(['images', index, 'repository'], `with registry "${image.registry}" is not a valid image: ${reference.error}`);
      continue;
    }
    const { registry, repository } = reference.value;
    const key = `${registry}/${repository}`;
    const other = published.get(key);
    if (other !== undefined) {
      at(['images', index, 'repository'], `${key} is already enrolled as images[${other}]`);
    } else {
      published.set(key, index);
    }
    const rebuildDelaySeconds =
      image.rebuildDelay === undefined
        ? defaults.rebuildDelaySeconds
        : (parseDelay(image.rebuildDelay) ?? defaults.rebuildDelaySeconds);
    const common = {
      name: image.name,
      registry,
      repository,
      rebuildDelaySeconds,
      autoRebuild: image.autoRebuild ?? defaults.autoRebuild,
      ...policyAt(image.verify, ['images', index, 'verify']),
    };
    if (image.allowTags !== undefined) {
      const problem = checkAllowTags(image.allowTags);
      if (problem !== null) at(['images', index, 'allowTags'], problem);
    }
    if (image.imageSelectionStrategy === 'Digest' && image.constraint === undefined) {
      at(['images', index, 'constraint'], 'is required with imageSelectionStrategy Digest (the tag to follow)');
    }
    if (image.source !== undefined && image.request !== undefined) {
      at(['images', index, 'request'], 'is only for external images (request add enrols external images)');
    }
    if (image.source !== undefined) {
      // The schema has refused what forge-coordinates refuses; here the URL forms become the short one, once.
      const repo = reduceSourceRepo(image.source.provider, image.source.repo);
      if (!repo.ok) at(['images', index, 'source', 'repo'], repo.error);
      const managed: ManagedImage = {
        ...common,
        kind: 'managed',
        source: {
          provider: image.source.provider,
          repo: repo.ok ? repo.value : image.source.repo,
          branch: image.source.branch ?? 'main',
          dockerfile: image.source.dockerfile,
          ...(image.source.workflow === undefined ? {} : { workflow: image.source.workflow }),
          buildArgs: image.source.buildArgs ?? {},
          triggerInputs: image.source.triggerInputs ?? {},
          ...(image.source.triggerKeyInput === undefined ? {} : { triggerKeyInput: image.source.triggerKeyInput }),
          ...(image.source.baseImagesInput === undefined ? {} : { baseImagesInput: image.source.baseImagesInput }),
        },
        subscription: pickDefined(image, ['allowTags', ...OPTIONAL_SUBSCRIPTION_FIELDS]),
      };
      // One input, one meaning: the key, the pins and the fixed inputs never share a name (the last would win).
      const named = [image.source.triggerKeyInput, image.source.baseImagesInput];
      for (const field of ['triggerKeyInput', 'baseImagesInput'] as const) {
        const name = image.source[field];
        if (name === undefined) continue;
        if (name in (image.source.triggerInputs ?? {}) || named.filter((n) => n === name).length > 1) {
          at(
            ['images', index, 'source', field],
            `"${name}" is already another input of this source: name each input once`,
          );
        }
      }
      if (/(^|\/)\.\.(\/|$)/.test(image.source.dockerfile) || image.source.dockerfile.startsWith('/')) {
        at(['images', index, 'source', 'dockerfile'], 'must be a relative path inside the source repository');
      }
      images.push(managed);
      continue;
    }
    if (image.allowTags === undefined) {
      at(['images', index, 'allowTags'], 'is required for an external image (an image without source)');
      continue;
    }
    const external: ExternalImage = {
      ...common,
      kind: 'external',
      allowTags: image.allowTags,
      ...pickDefined(image, OPTIONAL_SUBSCRIPTION_FIELDS),
      ...(image.request === undefined ? {} : { request: image.request }),
    };
    images.push(external);
  }

  if (problems.length > 0) throw located(text, file, problems);
  return {
    defaults,
    images,
    ...(raw.baseImagePolicies === undefined ? {} : { baseImagePolicies }),
    ...(requests === undefined ? {} : { requests }),
  };
}

/**
 * Parse and check a file holding one `verify` block (what `inspect --policy FILE` reads: the same block as in
 * images.yaml). Throws EnrolmentError with file:line:column.
 */
export function loadVerifyPolicy(text: string, file: string): VerifyPolicy {
  let data: unknown;
  try {
    data = parseYamlFast(text);
  } catch {
    throw located(text, file, [{ path: [], message: 'is not valid YAML' }]);
  }
  compiledVerify ??= schemaAjv().compile<VerifyEntry>(VerifySchema);
  if (!compiledVerify(data)) {
    const problems: PathProblem[] = [];
    for (const error of compiledVerify.errors ?? []) {
      const described = describeSchemaError(error, data);
      if (described !== null) problems.push(described);
    }
    throw located(text, file, problems);
  }
  const checked = checkVerifyPolicy(data);
  if (!checked.ok)
    throw located(
      text,
      file,
      checked.problems.map((p) => ({ path: [...p.path], message: p.message })),
    );
  return checked.value;
}

function dedupeProblems(problems: EnrolmentProblem[]): EnrolmentProblem[] {
  const seen = new Set<string>();
  const out: EnrolmentProblem[] = [];
  for (const p of problems) {
    const key = formatProblem(p);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}
