/** Human summaries of a state change, for commit messages and --dry-run. */
import type { StateSnapshot } from './types.js';

/** One line per base image added, removed, or whose dependents changed. Sorted by name. */
export function describeBaseImageChanges(before: StateSnapshot, after: StateSnapshot): string[] {
  const lines: string[] = [];
  const names = new Set([...before.baseImages.keys(), ...after.baseImages.keys()]);
  for (const name of [...names].sort()) {
    const old = before.baseImages.get(name);
    const now = after.baseImages.get(name);
    if (old === undefined && now !== undefined) {
      lines.push(`+ ${name} (${now.reference}) for ${now.dependents.join(', ')}`);
    } else if (old !== undefined && now === undefined) {
      lines.push(`- ${name} (${old.reference}): no dependents left`);
    } else if (old !== undefined && now !== undefined) {
      // Sets, not includes(): a base image such as node:22 can have thousands of dependents.
      const had = new Set(old.dependents);
      const has = new Set(now.dependents);
      const gained = now.dependents.filter((d) => !had.has(d));
      const lost = old.dependents.filter((d) => !has.has(d));
      if (gained.length > 0 || lost.length > 0) {
        const parts = [...gained.map((d) => `+${d}`), ...lost.map((d) => `-${d}`)];
        lines.push(`~ ${name} (${now.reference}): dependents ${parts.join(' ')}`);
      }
    }
  }
  return lines;
}

/** One line per enrolled image added, removed, or whose kind changed (external ⇄ managed). */
export function describeImageChanges(before: StateSnapshot, after: StateSnapshot): string[] {
  const lines: string[] = [];
  const names = new Set([...before.images.keys(), ...after.images.keys()]);
  for (const name of [...names].sort()) {
    const old = before.images.get(name);
    const now = after.images.get(name);
    if (old === undefined && now !== undefined) lines.push(`+ image ${name} (${now.kind})`);
    else if (old !== undefined && now === undefined) lines.push(`- image ${name}: no longer in images.yaml`);
    else if (old !== undefined && now !== undefined && old.kind !== now.kind) {
      lines.push(`~ image ${name}: ${old.kind} → ${now.kind}`);
    }
  }
  return lines;
}
