/** The dependency graph in the state, as a tree for people: base image → images built on it → … */

import type { Enrolment } from '../enrolment/types.js';
import { compareCodeUnits } from '../util/compare.js';
import type { StateSnapshot } from './types.js';

/** Lines of the tree (box-drawing characters), roots sorted by reference. */
export function dependencyTree(state: StateSnapshot, enrolment: Enrolment): string[] {
  const dependentsOf = new Map<string, string[]>();
  const roots: { label: string; dependents: readonly string[] }[] = [];
  for (const base of [...state.baseImages.values()].sort((a, b) => compareCodeUnits(a.reference, b.reference))) {
    if (base.managedImage !== undefined) {
      dependentsOf.set(base.managedImage, [...(dependentsOf.get(base.managedImage) ?? []), ...base.dependents]);
      continue;
    }
    const note = base.untracked !== undefined ? ` [${base.untracked}]` : '';
    roots.push({ label: `${base.reference}${note}`, dependents: base.dependents });
  }
  const enrolled = new Set(enrolment.images.map((i) => i.name));
  const lines: string[] = [];
  const walk = (names: readonly string[], prefix: string, path: readonly string[]) => {
    const sorted = [...new Set(names)].sort();
    sorted.forEach((name, i) => {
      const last = i === sorted.length - 1;
      const cycle = path.includes(name);
      const stale = enrolled.has(name) ? '' : ' (not in images.yaml)';
      lines.push(`${prefix}${last ? '└── ' : '├── '}${name}${stale}${cycle ? ' (cycle!)' : ''}`);
      if (!cycle) walk(dependentsOf.get(name) ?? [], `${prefix}${last ? '    ' : '│   '}`, [...path, name]);
    });
  };
  for (const root of roots) {
    lines.push(root.label);
    walk(root.dependents, '', []);
  }
  return lines;
}
