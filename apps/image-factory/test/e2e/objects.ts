/**
 * Untyped Kubernetes YAML read safely: a path into parsed YAML gives `unknown`, and the readers say what they expected
 * and where (no `any`, no casts of what the manifests hold).
 */

/** A Kubernetes object as parsed: its identity read out, the rest left as parsed. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly raw: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at `path` (object keys and array indexes), or undefined. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isRecord(current) ? current[key] : undefined;
  }
  return current;
}

const where = (path: readonly (string | number)[]) => path.join('.');

/** The string at `path`; an error naming the path otherwise. */
export function str(value: unknown, ...path: (string | number)[]): string {
  const found = at(value, ...path);
  if (typeof found !== 'string') throw new Error(`${where(path)}: expected a string, found ${JSON.stringify(found)}`);
  return found;
}

/** The string at `path`, or undefined when absent. */
export function optStr(value: unknown, ...path: (string | number)[]): string | undefined {
  const found = at(value, ...path);
  if (found === undefined || found === null) return undefined;
  if (typeof found !== 'string') throw new Error(`${where(path)}: expected a string, found ${JSON.stringify(found)}`);
  return found;
}

/** The number at `path`, or undefined when absent. */
export function optNum(value: unknown, ...path: (string | number)[]): number | undefined {
  const found = at(value, ...path);
  if (found === undefined || found === null) return undefined;
  if (typeof found !== 'number') throw new Error(`${where(path)}: expected a number, found ${JSON.stringify(found)}`);
  return found;
}

/** The boolean at `path`, or undefined when absent. */
export function optBool(value: unknown, ...path: (string | number)[]): boolean | undefined {
  const found = at(value, ...path);
  if (found === undefined || found === null) return undefined;
  if (typeof found !== 'boolean') throw new Error(`${where(path)}: expected a boolean, found ${JSON.stringify(found)}`);
  return found;
}

/** The list at `path` (empty when absent). */
export function list(value: unknown, ...path: (string | number)[]): unknown[] {
  const found = at(value, ...path);
  if (found === undefined || found === null) return [];
  if (!Array.isArray(found)) throw new Error(`${where(path)}: expected a list, found ${JSON.stringify(found)}`);
  return found;
}

/** The list of strings at `path` (empty when absent). */
export function strings(value: unknown, ...path: (string | number)[]): string[] {
  return list(value, ...path).map((_, i, all) => str(all, i));
}

/** The string map at `path` (empty when absent). */
export function strMap(value: unknown, ...path: (string | number)[]): Record<string, string> {
  const found = at(value, ...path);
  if (found === undefined || found === null) return {};
  if (!isRecord(found)) throw new Error(`${where(path)}: expected a map, found ${JSON.stringify(found)}`);
  const out: Record<string, string> = {};
  for (const [k, _v] of Object.entries(found)) out[k] = str(found, k);
  return out;
}

/** A parsed YAML document as a K8sObject. */
export function toObject(raw: unknown): K8sObject {
  return {
    apiVersion: str(raw, 'apiVersion'),
    kind: str(raw, 'kind'),
    name: str(raw, 'metadata', 'name'),
    namespace: optStr(raw, 'metadata', 'namespace'),
    labels: strMap(raw, 'metadata', 'labels'),
    raw,
  };
}

/** The one object of `kind` named `name`; an error listing what there is otherwise. */
export function one(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.name === name);
  const [first] = found;
  if (first === undefined || found.length !== 1)
    throw new Error(
      `expected one ${kind}/${name}, found ${found.length} among ${objects.map((o) => `${o.kind}/${o.name}`).join(', ')}`,
    );
  return first;
}
