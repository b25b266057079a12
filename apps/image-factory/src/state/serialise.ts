/** Deterministic YAML for state files: sorted keys, no empty fields, no timestamps, one trailing newline. */
import { stringify } from 'yaml';
import { FactoryError } from '../errors.js';
import { FastYamlError, parseYamlFast } from '../yaml/fast-parse.js';

const HEADER = '# Written by image-factory from images.yaml and Dockerfile analyses. Do not edit by hand.\n';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) out[key] = sortKeys(child);
    }
    return out;
  }
  return value;
}

/** The YAML text of one state object: the same object always gives the same bytes. */
export function serialiseState(value: object): string {
  return HEADER + stringify(sortKeys(value), { lineWidth: 0, minContentWidth: 0, indentSeq: true });
}

/** Parse a state file's YAML (structure is checked by the caller's schema). */
export function parseStateYaml(text: string, file: string): unknown {
  try {
    return parseYamlFast(text);
  } catch (error) {
    if (error instanceof FastYamlError) {
      throw new FactoryError(
        'invalid-state',
        `${file}:${error.line}:${error.column}: not valid YAML: ${error.message}`,
      );
    }
    throw error;
  }
}
