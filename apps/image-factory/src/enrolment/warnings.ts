/**
 * What is valid in images.yaml but probably not meant: `validate` prints these as warnings (exit 0), located like
 * problems (file:line:column, field).
 */
import { LineCounter, parseDocument } from 'yaml';
import type { EnrolmentProblem } from './load.js';
import type { Enrolment } from './types.js';
import { fieldPath, positionOf } from './yaml-position.js';

/** Why a managed image should name the input that carries the rebuild's idempotency key. */
export const NO_TRIGGER_KEY_INPUT =
  'has no triggerKeyInput: rebuild repeats after a crash cannot be told apart by the CI: declare an input for the idempotency key and name it in source.triggerKeyInput';
/** Why a managed image should name the input that carries the base digests decided. */
export const NO_BASE_IMAGES_INPUT =
  'has no baseImagesInput: its rebuilds are unpinned (built on whatever its FROM tags point to when the CI runs, not the aged digests decided): declare an input for them and name it in source.baseImagesInput';
/** Why `workflow` on a GitLab source does nothing. */
export const GITLAB_WORKFLOW_UNUSED =
  "is not used for GitLab: a rebuild creates a pipeline of the project's .gitlab-ci.yml on source.branch (remove it)";

/**
 * The warnings for a loaded enrolment (its images are in file order, so index i is images[i]).
 * @param text the file the enrolment was loaded from, to locate each warning
 */
export function enrolmentWarnings(text: string, enrolment: Enrolment, file: string): EnrolmentProblem[] {
  const warnings: EnrolmentProblem[] = [];
  let located: { doc: ReturnType<typeof parseDocument>; counter: LineCounter } | undefined;
  const warn = (path: (string | number)[], message: string, atKey = false) => {
    // Parsed with positions once, and only when there is something to say.
    located ??= (() => {
      const counter = new LineCounter();
      return { doc: parseDocument(text, { lineCounter: counter }), counter };
    })();
    const { line, column } = positionOf(located.doc, located.counter, path, atKey);
    warnings.push({ file, line, column, field: fieldPath(path), message });
  };
  enrolment.images.forEach((image, index) => {
    if (image.kind !== 'managed') return;
    if (image.source.provider === 'gitlab' && image.source.workflow !== undefined) {
      warn(['images', index, 'source', 'workflow'], GITLAB_WORKFLOW_UNUSED);
    }
    if (image.source.triggerKeyInput === undefined) {
      warn(['images', index, 'source'], NO_TRIGGER_KEY_INPUT, true);
    }
    if (image.source.baseImagesInput === undefined) {
      warn(['images', index, 'source'], NO_BASE_IMAGES_INPUT, true);
    }
  });
  return warnings;
}
