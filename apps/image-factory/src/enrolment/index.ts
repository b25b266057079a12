/**
 * images.yaml: its schema (TypeBox, the one definition; written to image-factory/schema for editors), the loader
 * that turns it into a typed Enrolment with defaults applied and every problem located (file:line:column, field),
 * and the in-place editor that enroll / unenroll use (comments and layout kept).
 */
export { addImageEntry, type ImageEntry as EnrolEntry, removeImageEntry } from './edit.js';
export { checkGithubWorkflow, reduceSourceRepo } from './forge-coordinates.js';
export { EnrolmentError, type EnrolmentProblem, formatProblem, loadEnrolment } from './load.js';
export { IMAGES_SCHEMA, type ImagesFile } from './schema.js';
export type * from './types.js';
export { enrolmentWarnings } from './warnings.js';
