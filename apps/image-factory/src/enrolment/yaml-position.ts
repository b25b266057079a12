/** Map a JSON-pointer-like path in a parsed YAML document back to file:line:column. */
import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';

/** A 1-based position in a file. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** `['images', 2, 'source', 'provider']` → `images[2].source.provider`. */
export function fieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}

function childPair(node: unknown, key: string | number): Pair | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === String(key));
}

/**
 * Where a path points in the document: the value's node, or for a key that is not allowed the key itself.
 * Falls back to the nearest ancestor that exists.
 */
export function positionOf(
  doc: Document,
  counter: LineCounter,
  path: readonly (string | number)[],
  pointAtKey = false,
): Position {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string | number;
    if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
    } else {
      const pair = childPair(node, key);
      if (pair === undefined) break;
      if (pointAtKey && i === path.length - 1) {
        offset = (pair.key as Node | null)?.range?.[0] ?? offset;
        node = undefined;
        break;
      }
      node = pair.value;
    }
    const range = (node as Node | null | undefined)?.range;
    if (range === undefined || range === null) break;
    offset = range[0];
  }
  const { line, col } = counter.linePos(offset);
  return { line, column: col };
}
