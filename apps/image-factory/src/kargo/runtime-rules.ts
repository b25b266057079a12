/**
 * Kargo's runtime rules that no CRD schema shows (read from Kargo v1.11.2's controllers and webhooks; DESIGN §9,
 * §10). Objects that break them install without an error and then do nothing (or the wrong thing), so they are
 * checked before anything is written: by the chart's synthesis, by `image-factory kustomize` / `enroll`, and by the
 * tests on `kubectl kustomize kustomize/image-factory`. Besides the Stage rules of §9: a `-rebuild` Stage takes
 * Freight from a Warehouse that follows the tag images are built FROM and that something is built on, a Stage whose
 * Job scans passes the repository its digest comes from, and no ServiceAccount of a Project namespace is granted a
 * role. A Warehouse's subscription rules (checkWarehouse) are read
 * by the chart's validator with Kargo's subscription schemas. Pure: objects in (as read from YAML), problems out.
 */

import { REBUILD_TEMPLATE } from './project.js';

/** One problem with one object; the message says what to change. */
export interface ManifestProblem {
  /** `Stage image-factory-kargo/api-analyze-dockerfile`. */
  readonly object: string;
  /** The image the object is about, when known. */
  readonly image?: string;
  /** Field path, e.g. `spec.verification.args[1].value`. */
  readonly field: string;
  readonly message: string;
}

/** One line for a person. */
export function formatManifestProblem(p: ManifestProblem): string {
  return `${p.object}${p.image ? ` (image ${p.image})` : ''}: ${p.field} ${p.message}`;
}

/** Options of {@link checkKargoRuntimeRules}. */
export interface RuntimeRuleOptions {
  /**
   * The objects are in apply order (`kubectl kustomize` output): check that the Project's namespace comes first.
   * @default true
   */
  readonly ordered?: boolean;
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const field = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((at, key) => (isRecord(at) ? at[key] : undefined), value);
const text = (value: unknown, ...path: string[]): string | undefined => {
  const found = field(value, ...path);
  return typeof found === 'string' ? found : undefined;
};
const list = (value: unknown, ...path: string[]): readonly unknown[] => {
  const found = field(value, ...path);
  return Array.isArray(found) ? found : [];
};

const KARGO = 'kargo.akuity.io/v1alpha1';
const RBAC = 'rbac.authorization.k8s.io/v1';
const DEPENDENTS = 'image-factory.io/dependents';
const REFERENCE = 'image-factory.io/reference';
const PROJECT_LABEL = 'kargo.akuity.io/project';
const DELIMITERS = ['${{', '${%'];
/** A value that is one expression whose result is forced to a string. */
const QUOTED = /^\$\{\{\s*(unsafeQuote|quote)\(.*\)\s*\}\}$/s;
/** `imageFrom("<repoURL>")` or `imageFrom("<repoURL>", warehouse("<name>"))`, with string literals only. */
const IMAGE_FROM = /imageFrom\(\s*"([^"]*)"\s*(?:,\s*warehouse\(\s*"([^"]*)"\s*\)\s*)?\)/g;

interface Located {
  readonly object: unknown;
  readonly label: string;
  readonly image?: string;
}

function locate(object: unknown): Located {
  const kind = text(object, 'kind') ?? '(no kind)';
  const name = text(object, 'metadata', 'name') ?? '(no name)';
  const namespace = text(object, 'metadata', 'namespace');
  const image = text(object, 'metadata', 'annotations', REFERENCE);
  return {
    object,
    label: `${kind} ${namespace === undefined ? '' : `${namespace}/`}${name}`,
    ...(image === undefined ? {} : { image }),
  };
}

const isKargo = (object: unknown, kind: string) =>
  text(object, 'apiVersion') === KARGO && text(object, 'kind') === kind;

/** Every string inside a value, with its field path. */
function strings(value: unknown, at: string): { field: string; value: string }[] {
  if (typeof value === 'string') return [{ field: at, value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => strings(item, `${at}[${i}]`));
  if (isRecord(value)) return Object.entries(value).flatMap(([key, item]) => strings(item, `${at}.${key}`));
  return [];
}

/** Check a set of objects (a kustomize build, a chart's output) against Kargo's runtime rules. */
export function checkKargoRuntimeRules(
  objects: readonly unknown[],
  options: RuntimeRuleOptions = {},
): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const add = (at: Located, path: string, message: string) =>
    problems.push({ object: at.label, ...(at.image === undefined ? {} : { image: at.image }), field: path, message });

  const warehouses = new Map<string, unknown>();
  for (const object of objects) {
    if (!isKargo(object, 'Warehouse')) continue;
    warehouses.set(`${text(object, 'metadata', 'namespace') ?? ''}/${text(object, 'metadata', 'name') ?? ''}`, object);
  }

  for (const object of objects) {
    if (!isKargo(object, 'Stage')) continue;
    checkStage(locate(object), warehouses, add);
    checkRebuildStage(locate(object), warehouses, add);
    checkScannedRepository(locate(object), add);
  }
  checkProjectNamespaces(objects, options.ordered ?? true, add);
  checkProjectIdentities(objects, add);
  return problems;
}

/** The kinds of Warehouse subscription Kargo knows; each subscription holds exactly one. */
export const SUBSCRIPTION_KINDS = ['image', 'git', 'chart'] as const;
export type SubscriptionKind = (typeof SUBSCRIPTION_KINDS)[number];
const isSubscriptionKind = (key: string | undefined): key is SubscriptionKind =>
  SUBSCRIPTION_KINDS.some((kind) => kind === key);

/** A problem with one field of an object whose label the caller knows. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** Options of {@link checkWarehouse}. */
export interface WarehouseRuleOptions {
  /** Accept the legacy allowTags / ignoreTags strings (Kargo < 1.11 only). @default false */
  readonly legacyAllowTags?: boolean;
  /**
   * Kargo's JSON Schema of a subscription kind, applied to each subscription's body before the rules below (the
   * chart's validator has the vendored schemas). @default none: the rules only
   */
  readonly subscriptionSchema?: (kind: SubscriptionKind, body: unknown, at: string) => readonly FieldProblem[];
}

/**
 * Kargo's rules for a Warehouse's subscriptions that its CRD schema does not show: each holds exactly one of image,
 * git or chart; an image subscription with the Digest strategy names the tag to follow in `constraint`;
 * `semverConstraint` and `constraint` are exclusive; the legacy `allowTags` / `ignoreTags` strings make Kargo >= 1.11
 * fail artifact discovery; `allowTagsRegexes` / `ignoreTagsRegexes` compile. Problems in subscription order.
 */
export function checkWarehouse(warehouse: unknown, options: WarehouseRuleOptions = {}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (path: string, message: string) => problems.push({ field: path, message });
  const subscriptions = field(warehouse, 'spec', 'subscriptions');
  if (!Array.isArray(subscriptions)) return problems;
  subscriptions.forEach((entry: unknown, index) => {
    const at = `spec.subscriptions[${index}]`;
    const kinds = isRecord(entry) ? Object.keys(entry) : [];
    const kind = kinds[0];
    if (kinds.length !== 1 || !isSubscriptionKind(kind)) {
      add(at, 'must hold exactly one of image, git or chart');
      return;
    }
    const given = field(entry, kind) ?? {};
    for (const p of options.subscriptionSchema?.(kind, given, `${at}.${kind}`) ?? []) add(p.field, p.message);
    if (kind !== 'image') return;
    const body = isRecord(given) ? given : {};
    const strategy = body.imageSelectionStrategy ?? 'SemVer';
    if (strategy === 'Digest' && (typeof body.constraint !== 'string' || body.constraint === '')) {
      add(`${at}.image.constraint`, 'is required with imageSelectionStrategy Digest (the tag whose digest to follow)');
    }
    if (body.constraint !== undefined && body.semverConstraint !== undefined) {
      add(
        `${at}.image.semverConstraint`,
        'and constraint are mutually exclusive (semverConstraint is replaced by constraint)',
      );
    }
    if (options.legacyAllowTags !== true) {
      for (const legacy of ['allowTags', 'ignoreTags'] as const) {
        const value = body[legacy];
        if (value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0)) {
          add(
            `${at}.image.${legacy}`,
            `is deprecated: Kargo >= 1.11 fails artifact discovery when it is set; use ${legacy}Regexes`,
          );
        }
      }
    }
    for (const regexes of ['allowTagsRegexes', 'ignoreTagsRegexes'] as const) {
      const patterns = body[regexes];
      if (!Array.isArray(patterns)) continue;
      patterns.forEach((regex: unknown, i) => {
        try {
          // Go's RE2 flags group and named groups, read as JavaScript's.
          new RegExp(
            String(regex)
              .replace(/^\(\?[imsU]+\)/, '')
              .replace(/\(\?P</g, '(?<'),
          );
        } catch {
          add(`${at}.image.${regexes}[${i}]`, 'is not a valid regular expression');
        }
      });
    }
  });
  return problems;
}

/** The repoURLs a Warehouse object subscribes to, as written. */
const subscribedRepoURLs = (warehouse: unknown): string[] =>
  list(warehouse, 'spec', 'subscriptions').flatMap((s) => text(s, 'image', 'repoURL') ?? []);

type Add = (at: Located, field: string, message: string) => void;

function checkStage(at: Located, warehouses: ReadonlyMap<string, unknown>, add: Add): void {
  const stage = at.object;
  const namespace = text(stage, 'metadata', 'namespace') ?? '';
  const steps = list(stage, 'spec', 'promotionTemplate', 'spec', 'steps');
  const verifies = list(stage, 'spec', 'verification', 'analysisTemplates').length > 0;
  if (verifies && steps.length === 0) {
    add(
      at,
      'spec.promotionTemplate.spec.steps',
      'is empty, so Kargo treats this Stage as a control-flow Stage: it marks Freight verified without ever running ' +
        'the verification, and refuses promotions to it. Add a promotion step (e.g. `uses: compose-output`).',
    );
  }
  steps.forEach((step, i) => {
    const config = field(step, 'config');
    if (text(step, 'uses') === 'compose-output' && !(isRecord(config) && Object.keys(config).length > 0)) {
      add(
        at,
        `spec.promotionTemplate.spec.steps[${i}].config`,
        'needs at least one output (compose-output requires it)',
      );
    }
  });

  const requested = new Set<string>();
  list(stage, 'spec', 'requestedFreight').forEach((request, i) => {
    const kind = text(request, 'origin', 'kind');
    const name = text(request, 'origin', 'name') ?? '';
    if (kind !== 'Warehouse') return;
    if (requested.has(name)) {
      add(
        at,
        `spec.requestedFreight[${i}].origin`,
        `requests Freight from Warehouse ${name} twice (Kargo's webhook refuses it)`,
      );
    }
    requested.add(name);
  });

  list(stage, 'spec', 'verification', 'args').forEach((arg, i) => {
    const value = text(arg, 'value');
    if (value === undefined || !DELIMITERS.some((d) => value.includes(d)) || QUOTED.test(value)) return;
    add(
      at,
      `spec.verification.args[${i}].value`,
      `is read as JSON after evaluation (a tag like 16.4 becomes a number and the AnalysisRun fails with "not a ` +
        `string"): make it one expression wrapped in quote(), e.g. \${{ quote(imageFrom("<repoURL>", warehouse("<name>")).Tag) }}`,
    );
  });

  const expressions = [
    ...strings(field(stage, 'spec', 'verification', 'args'), 'spec.verification.args'),
    ...strings(field(stage, 'spec', 'promotionTemplate', 'spec', 'steps'), 'spec.promotionTemplate.spec.steps'),
  ];
  for (const { field: path, value } of expressions) {
    for (const match of value.matchAll(IMAGE_FROM)) {
      const repoURL = match[1] ?? '';
      const origin = match[2];
      if (origin === undefined) {
        add(
          at,
          path,
          `calls imageFrom("${repoURL}") without an origin: name it, imageFrom("${repoURL}", warehouse("<name>")), ` +
            'so the image cannot come from another Warehouse the Stage requests',
        );
        continue;
      }
      if (!requested.has(origin)) {
        add(
          at,
          path,
          `names warehouse("${origin}"), but the Stage does not request Freight from it (spec.requestedFreight)`,
        );
        continue;
      }
      const warehouse = warehouses.get(`${namespace}/${origin}`);
      const subscribed = warehouse === undefined ? undefined : subscribedRepoURLs(warehouse);
      if (subscribed === undefined) {
        add(at, path, `names Warehouse ${origin}, which is not among the objects checked: apply it with the Stage`);
      } else if (!subscribed.includes(repoURL)) {
        add(
          at,
          path,
          `calls imageFrom("${repoURL}"), but Warehouse ${origin} subscribes to ${subscribed.join(', ') || 'no image'}: ` +
            'imageFrom() matches the repoURL exactly as the Warehouse writes it',
        );
      }
    }
  }
}

/** The tag of a `registry/repository:tag` reference, or undefined when it names none. */
function tagOf(reference: string): string | undefined {
  const name = reference.split('@')[0] ?? '';
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
}

/**
 * A Stage verified by `image-factory-rebuild` hands `rebuild --reference <repo>:<Freight tag>` to the tool, so it
 * must take Freight from a Warehouse whose Freight tag is the tag images are built FROM, and that something is built
 * on (DESIGN §10). Kargo v1.11.2: Freight carries the newest image a subscription discovers
 * (pkg/controller/warehouses/warehouses.go:662); only the Digest strategy reads exactly one tag, the one in
 * `constraint` (pkg/image/digest_selector.go:53-55,71); SemVer skips a tag like `22` under strictSemvers, which
 * defaults to true (pkg/subscription/image.go:92-94).
 */
function checkRebuildStage(at: Located, warehouses: ReadonlyMap<string, unknown>, add: Add): void {
  const stage = at.object;
  const templates = list(stage, 'spec', 'verification', 'analysisTemplates');
  if (!templates.some((t) => text(t, 'name') === REBUILD_TEMPLATE)) return;
  const namespace = text(stage, 'metadata', 'namespace') ?? '';
  list(stage, 'spec', 'requestedFreight').forEach((request, i) => {
    const name = text(request, 'origin', 'name') ?? '';
    const warehouse = warehouses.get(`${namespace}/${name}`);
    // A Warehouse not among the objects is reported by the imageFrom() rule.
    if (text(request, 'origin', 'kind') !== 'Warehouse' || warehouse === undefined) return;
    const path = `spec.requestedFreight[${i}].origin`;
    if ((text(warehouse, 'metadata', 'annotations', DEPENDENTS) ?? '').trim() === '') {
      add(
        at,
        path,
        `takes Freight from Warehouse ${name}, which has no dependents (annotation ${DEPENDENTS}): every new Freight ` +
          'would run a rebuild Job that finds nothing built on it. A -rebuild Stage exists only for a Warehouse ' +
          'something enrolled is built on: remove the Stage',
      );
    }
    const reference = text(warehouse, 'metadata', 'annotations', REFERENCE);
    const builtFrom = reference === undefined ? undefined : tagOf(reference);
    for (const subscription of list(warehouse, 'spec', 'subscriptions')) {
      const strategy = text(subscription, 'image', 'imageSelectionStrategy') ?? 'SemVer';
      const constraint = text(subscription, 'image', 'constraint');
      if (strategy !== 'Digest' || constraint === undefined) {
        add(
          at,
          path,
          `takes Freight from Warehouse ${name}, which selects images by ${strategy}: its Freight carries the newest ` +
            'tag it discovers (e.g. 22.3.0), never the tag images are built FROM, so `rebuild --reference` finds ' +
            'nothing built on it. Watch that one tag: imageSelectionStrategy: Digest with constraint: <the tag>',
        );
      } else if (builtFrom !== undefined && constraint !== builtFrom) {
        add(
          at,
          path,
          `takes Freight from Warehouse ${name}, which follows the tag ${constraint}, but its reference ${reference} ` +
            `is built FROM the tag ${builtFrom}: set constraint: ${builtFrom}`,
        );
      }
    }
  });
}

/**
 * The verification Jobs that scan (image-factory-rebuild's and image-factory-scan's) give Trivy
 * `<repo>@<digest>`, and `scan record` matches the report to an image by that repository: so where a Stage passes a
 * `digest` from `imageFrom("<repoURL>", …)`, its `repo` must be that repoURL as written. Another one makes Trivy scan
 * a digest of one repository in another (no such manifest: no scan, ever) or, for a mirror, record the scan under the
 * wrong image.
 */
function checkScannedRepository(at: Located, add: Add): void {
  const args = list(at.object, 'spec', 'verification', 'args');
  const index = (name: string) => args.findIndex((arg) => text(arg, 'name') === name);
  const repoAt = index('repo');
  const digest = text(args[index('digest')], 'value');
  const repo = text(args[repoAt], 'value');
  if (repo === undefined || digest === undefined) return;
  for (const match of digest.matchAll(IMAGE_FROM)) {
    const repoURL = match[1] ?? '';
    if (repo === repoURL) continue;
    add(
      at,
      `spec.verification.args[${repoAt}].value`,
      `is "${repo}", but the digest comes from imageFrom("${repoURL}"): Trivy would scan ${repo}@<a digest of ` +
        `${repoURL}>, which that repository does not hold. Pass the repository the Warehouse watches: ${repoURL}`,
    );
  }
}

/**
 * A ServiceAccount in a Kargo Project namespace is anyone's who administers the Project: Kargo v1.11.2's
 * project-admin Role grants `*` on AnalysisTemplates and ServiceAccounts there
 * (pkg/controller/management/projects/projects.go:885-925), and an AnalysisTemplate's Job runs as any
 * ServiceAccount of the namespace. So no binding among the objects may grant one a role.
 */
function checkProjectIdentities(objects: readonly unknown[], add: Add): void {
  const projectNamespaces = new Set<string>();
  for (const object of objects) {
    const name = text(object, 'metadata', 'name');
    if (name === undefined) continue;
    if (isKargo(object, 'Project')) projectNamespaces.add(name);
    if (
      text(object, 'apiVersion') === 'v1' &&
      text(object, 'kind') === 'Namespace' &&
      text(object, 'metadata', 'labels', PROJECT_LABEL) === 'true'
    ) {
      projectNamespaces.add(name);
    }
  }
  for (const binding of objects) {
    const kind = text(binding, 'kind');
    if (text(binding, 'apiVersion') !== RBAC || (kind !== 'RoleBinding' && kind !== 'ClusterRoleBinding')) continue;
    const role = `${text(binding, 'roleRef', 'kind') ?? 'role'} ${text(binding, 'roleRef', 'name') ?? ''}`;
    list(binding, 'subjects').forEach((subject, i) => {
      if (text(subject, 'kind') !== 'ServiceAccount') return;
      const namespace = text(subject, 'namespace') ?? text(binding, 'metadata', 'namespace') ?? '';
      if (!projectNamespaces.has(namespace)) return;
      add(
        locate(binding),
        `subjects[${i}]`,
        `grants ${role} to ServiceAccount ${namespace}/${text(subject, 'name') ?? ''}, in the Kargo Project ` +
          `namespace ${namespace}, where every project admin may create AnalysisTemplates whose Jobs run as it ` +
          "(Kargo's project-admin Role): give the ServiceAccount a namespace of its own",
      );
    });
  }
}

function checkProjectNamespaces(objects: readonly unknown[], ordered: boolean, add: Add): void {
  objects.forEach((project, projectIndex) => {
    if (!isKargo(project, 'Project')) return;
    const name = text(project, 'metadata', 'name');
    if (name === undefined) return;
    const at = locate(project);
    const namespaceIndex = objects.findIndex(
      (o) => text(o, 'apiVersion') === 'v1' && text(o, 'kind') === 'Namespace' && text(o, 'metadata', 'name') === name,
    );
    const inside = objects.flatMap((o, i) => (text(o, 'metadata', 'namespace') === name ? [i] : []));
    if (namespaceIndex < 0) {
      if (inside.length > 0) {
        add(
          at,
          'metadata.name',
          `is also the namespace of ${inside.length} object(s), but no Namespace ${name} is among them: on a first ` +
            'apply those fail with "namespace not found" (kustomize orders them before the Project). Add a Namespace ' +
            `${name} labelled ${PROJECT_LABEL}: "true"`,
        );
      }
      return;
    }
    const namespace = objects[namespaceIndex];
    const nsAt = locate(namespace);
    if (text(namespace, 'metadata', 'labels', PROJECT_LABEL) !== 'true') {
      add(
        nsAt,
        `metadata.labels["${PROJECT_LABEL}"]`,
        `must be "true": Kargo's Project webhook answers 409 Conflict for an existing namespace without it`,
      );
    }
    if (!ordered) return;
    const early = [projectIndex, ...inside].filter((i) => i < namespaceIndex).sort((a, b) => a - b);
    if (early.length > 0) {
      const named = early.slice(0, 3).map((i) => locate(objects[i]).label);
      const more = early.length > 3 ? ` (+${early.length - 3} more)` : '';
      add(nsAt, '(order)', `comes after ${named.join(', ')}${more}: the Namespace must be applied first`);
    }
  });
}
