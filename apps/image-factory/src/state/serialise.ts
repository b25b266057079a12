/** Deterministic YAML for state files: sorted keys, no empty fields, no timestamps, one trailing newline. */
import { FactoryError } from '../errors.js';
import { FastYamlError, parseYamlFast, stringifyYamlFast } from '../yaml/fast-parse.js';

const HEADER = '# Written by image-factory from images.yaml and Dockerfile analyses. Do not edit by hand.\n';

/** The YAML text of one state object: the same object always gives the same bytes. */
export function serialiseState(value: object): string {
  return HEADER + stringifyYamlFast(value);
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
