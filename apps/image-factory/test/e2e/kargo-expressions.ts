/**
 * Kargo v1.11.2's expressions as a Stage's verification args and promotion step config use them
 * (pkg/expressions/json_templates.go, pkg/expressions/function/functions.go, pkg/controller/freight/finder.go),
 * for the part of expr-lang the factory's templates use: calls, string literals and member access. Anything else is
 * refused as unsupported (the harness never guesses what an expression means).
 */
import type { Freight } from './kargo-warehouse.js';

/** kargoapi.FreightOrigin, as `warehouse(name)` returns it (functions.go:543-561). */
interface Origin {
  readonly kind: 'origin';
  readonly name: string;
}

/** kargoapi.Image, as `imageFrom()` returns it. */
interface ImageValue {
  readonly kind: 'image';
  readonly RepoURL: string;
  readonly Tag: string;
  readonly Digest: string;
}

type Value = string | Origin | ImageValue | null;

/** What the expressions may read: the Stage's requested Freight and the Freight being verified or promoted. */
export interface ExpressionEnv {
  /** The Warehouse names the Stage requests Freight from (spec.requestedFreight[].origin.name). */
  readonly requestedWarehouses: readonly string[];
  /** Each requested Warehouse's subscribed repoURLs (for imageFrom without an origin, finder.go:110-143). */
  readonly subscriptions: ReadonlyMap<string, readonly string[]>;
  /** The Freight of the collection (FreightReferences). */
  readonly freight: readonly Freight[];
}

// ---- a small parser: call(args) | "string" | identifier | primary.Member ----

type Node =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'call'; readonly name: string; readonly args: readonly Node[] }
  | { readonly type: 'member'; readonly object: Node; readonly name: string };

function parse(source: string): Node {
  let i = 0;
  const skip = () => {
    while (source[i] === ' ') i++;
  };
  const identifier = () => {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (m === null) throw new Error(`unsupported expression: ${source}`);
    i += m[0].length;
    return m[0];
  };
  const primary = (): Node => {
    skip();
    let node: Node;
    if (source[i] === '"') {
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(source.slice(i));
      if (m === null) throw new Error(`unterminated string in ${source}`);
      i += m[0].length;
      node = { type: 'string', value: JSON.parse(m[0]) };
    } else {
      const name = identifier();
      skip();
      if (source[i] !== '(') throw new Error(`unsupported expression (only calls): ${source}`);
      i++;
      const args: Node[] = [];
      skip();
      while (source[i] !== ')') {
        args.push(primary());
        skip();
        if (source[i] === ',') i++;
        else if (source[i] !== ')') throw new Error(`unsupported expression: ${source}`);
      }
      i++;
      node = { type: 'call', name, args };
    }
    skip();
    while (source[i] === '.') {
      i++;
      node = { type: 'member', object: node, name: identifier() };
      skip();
    }
    return node;
  };
  const node = primary();
  skip();
  if (i !== source.length) throw new Error(`unsupported expression: ${source}`);
  return node;
}

/**
 * imageFrom(repoURL, origin?): functions.go:640-677 → finder.go:97-165 (FindImage). Without an origin, the one
 * requested Warehouse subscribing to exactly `repoURL` (more than one is an error); then the collection's Freight
 * from that origin with an image of exactly that repoURL; none is nil.
 */
function imageFrom(env: ExpressionEnv, repoURL: string, origin: Origin | undefined): ImageValue | null {
  let desired = origin?.name;
  if (desired === undefined) {
    for (const name of env.requestedWarehouses) {
      if ((env.subscriptions.get(name) ?? []).includes(repoURL)) {
        if (desired !== undefined)
          throw new Error(`multiple requested Freight could potentially provide a container image from ${repoURL}`);
        desired = name;
      }
    }
  }
  if (desired === undefined) return null;
  const found = env.freight.find((f) => f.origin === `Warehouse/${desired}` && f.repoURL === repoURL);
  return found === undefined ? null : { kind: 'image', RepoURL: found.repoURL, Tag: found.tag, Digest: found.digest };
}

function evaluate(node: Node, env: ExpressionEnv): Value {
  if (node.type === 'string') return node.value;
  if (node.type === 'member') {
    const object = evaluate(node.object, env);
    // expr-lang fetching a field of a nil pointer is a runtime error.
    if (object === null || typeof object === 'string' || object.kind !== 'image')
      throw new Error(`cannot fetch ${node.name} from ${JSON.stringify(object)}`);
    if (node.name !== 'Tag' && node.name !== 'Digest' && node.name !== 'RepoURL')
      throw new Error(`unsupported member ${node.name}`);
    return object[node.name];
  }
  const args = node.args.map((a) => evaluate(a, env));
  switch (node.name) {
    case 'warehouse': {
      // functions.go:543-561: one non-empty string.
      const [name] = args;
      if (args.length !== 1 || typeof name !== 'string' || name === '') throw new Error('warehouse(name)');
      return { kind: 'origin', name };
    }
    case 'imageFrom': {
      const [repoURL, origin] = args;
      if (typeof repoURL !== 'string') throw new Error('first argument must be string');
      if (origin !== undefined && (origin === null || typeof origin === 'string' || origin.kind !== 'origin'))
        throw new Error('second argument must be FreightOrigin');
      return imageFrom(env, repoURL, origin);
    }
    case 'quote': {
      // json_templates.go:308-313: a string becomes Go's %q of it; anything else its JSON, quoted.
      const [value] = args;
      return typeof value === 'string' ? JSON.stringify(value) : `"${JSON.stringify(value)}"`;
    }
    default:
      throw new Error(`unsupported function ${node.name}`);
  }
}

/** json_templates.go:283-303 (evaluateExpression): a string result as is; any other as its JSON. */
const resultText = (value: Value) => (typeof value === 'string' ? value : JSON.stringify(value));

/** Go's strconv.ParseFloat over the forms that matter (decimal, exponent, inf, nan). */
const GO_FLOAT = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)$/i;
/** strconv.ParseBool. */
const GO_BOOL = /^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/;

/**
 * json_templates.go:116-211 (EvaluateTemplate): a value without `${{`/`${%` is returned as is (:117-130); otherwise
 * each expression is evaluated and spliced in (:213-244), and the result is read JSON-first: a trailing newline
 * dropped (:166-170), surrounding quotes stripped and the rest kept as a string (:181-187), else a float (:194-196),
 * a bool (:198-200), any JSON value (:202-205), else the string.
 */
export function evaluateTemplate(template: string, env: ExpressionEnv): unknown {
  if (!template.includes('${{') && !template.includes('${%')) return template;
  let result = '';
  let rest = template;
  for (;;) {
    const start = rest.indexOf('${{');
    if (start < 0) {
      result += rest;
      break;
    }
    const end = rest.indexOf('}}', start + 3);
    if (end < 0) throw new Error('unclosed expression: expected "}}" but reached end of template');
    result += rest.slice(0, start) + resultText(evaluate(parse(rest.slice(start + 3, end).trim()), env));
    rest = rest.slice(end + 2);
  }
  let removedNewline = false;
  if (result.endsWith('\n')) {
    result = result.slice(0, -1);
    removedNewline = true;
  }
  if (result.length > 1 && result.startsWith('"') && result.endsWith('"'))
    return result.slice(1, -1) + (removedNewline ? '\n' : '');
  if (GO_FLOAT.test(result)) return Number(result);
  if (GO_BOOL.test(result)) return /^(1|t|T|TRUE|true|True)$/.test(result);
  try {
    return JSON.parse(result);
  } catch {
    return result + (removedNewline ? '\n' : '');
  }
}

/**
 * pkg/rollouts/analysis_run_builder.go:220-236 (buildArgs): each arg with a value is evaluated; a value that is not a
 * string afterwards is an error ("evaluated argument %q value is not a string but %T"), which Kargo records as the
 * verification's Error (regular_stages.go:1547-1557).
 */
export function evaluateArg(name: string, template: string, env: ExpressionEnv): string {
  const value = evaluateTemplate(template, env);
  if (typeof value !== 'string')
    throw new Error(`evaluated argument "${name}" value is not a string but ${value === null ? 'nil' : typeof value}`);
  return value;
}
