/**
 * enroll / unenroll: change images.yaml (comments kept), validate the result, and keep kustomize/image-factory's
 * managed pipelines in step. Everything is computed and checked before anything is written.
 */
import { readFile } from 'node:fs/promises';
import { addImageEntry, type ImageEntry, removeImageEntry } from '../enrolment/edit.js';
import { EnrolmentError, formatProblem, loadEnrolment } from '../enrolment/load.js';
import type { Enrolment } from '../enrolment/types.js';
import { FactoryError } from '../errors.js';
import { applyKustomizePlan, type KustomizeSync, planKustomizeDir } from '../kargo/kustomize-dir.js';
import { writeFileAtomic } from '../util/files.js';

/** Where enrolment lives. */
export interface EnrolPaths {
  readonly images: string;
  readonly kustomizeDir: string;
}

/** What an enrol/unenrol changed. */
export interface EnrolResult {
  readonly enrolment: Enrolment;
  readonly kustomize: KustomizeSync;
}

async function readImages(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new FactoryError('io', `cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * Problems found in the edited (unwritten) text, told in terms of the file on disk: a line the edit kept is named
 * by its line there; a problem inside the new entry is named as such, since that line does not exist yet.
 */
function onDisk(error: EnrolmentError, before: string, after: string): FactoryError {
  const a = before.split('\n');
  const b = after.split('\n');
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) {
    suffix++;
  }
  const lines = error.problems.map((p) => {
    if (p.line <= prefix) return formatProblem(p);
    if (p.line > b.length - suffix) return formatProblem({ ...p, line: p.line - b.length + a.length });
    return `${p.file}: the new entry (nothing was written): ${p.field} ${p.message}`;
  });
  return new FactoryError('invalid-enrolment', lines.join('\n'), { cause: error });
}

async function apply(paths: EnrolPaths, edit: (text: string) => string): Promise<EnrolResult> {
  const before = await readImages(paths.images);
  const after = edit(before);
  let enrolment: Enrolment;
  try {
    enrolment = loadEnrolment(after, paths.images);
  } catch (error) {
    throw error instanceof EnrolmentError ? onDisk(error, before, after) : error;
  }
  // Everything is read and checked first; only then is anything written.
  const plan = await planKustomizeDir(paths.kustomizeDir, enrolment);
  if (after !== before) await writeFileAtomic(paths.images, after);
  await applyKustomizePlan(plan);
  const { written, deleted, kustomizationChanged } = plan;
  return { enrolment, kustomize: { written, deleted, kustomizationChanged } };
}

/** Add an image to images.yaml and, for a managed one, its Kargo pipeline to the kustomize directory. */
export function enrolImage(paths: EnrolPaths, entry: ImageEntry): Promise<EnrolResult> {
  return apply(paths, (text) => addImageEntry(text, entry, paths.images));
}

/** Remove an image from images.yaml and its pipeline from the kustomize directory. */
export function unenrolImage(paths: EnrolPaths, name: string): Promise<EnrolResult> {
  return apply(paths, (text) => removeImageEntry(text, name, paths.images));
}

/** Rewrite the managed pipelines from images.yaml as it is. */
export async function refreshKustomize(paths: EnrolPaths): Promise<EnrolResult> {
  return apply(paths, (text) => text);
}
