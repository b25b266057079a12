/**
 * The target branch as `request add` plans on it, read from the job's checkout: images.yaml (its text and the
 * enrolment it holds), the state, and the append-only audit log. `request add` reads it before planning (and again on
 * a retry) and `request refresh` on the branch a pull request is proposed to: one reader, so both plan on the same.
 */
import { posix } from 'node:path';
import { enrolmentLoader } from '../jobs/state-job.js';
import { StateFolder } from '../state/store.js';
import { readConfinedFile } from '../util/confined.js';
import type { RequestPaths, TargetBranch } from './plan-add.js';

/** Where request files and the audit log live: `requests/` beside the state folder (`stateRel`). */
export function requestPaths(imagesRel: string, stateRel: string): RequestPaths {
  return { images: imagesRel, requestsDir: posix.join(posix.dirname(stateRel), 'requests') };
}

/**
 * images.yaml, the state (`stateDir`, `stateRel` in the checkout at `root`) and the audit log (empty when it does not
 * exist yet). images.yaml that does not exist is invalid-enrolment; either file outside the checkout (a link out)
 * is refused by readConfinedFile.
 */
export async function readTargetBranch(
  root: string,
  stateDir: string,
  stateRel: string,
  paths: RequestPaths,
): Promise<TargetBranch> {
  // The loader refuses an images.yaml that does not exist (invalid-enrolment), as every job does.
  const enrolment = await enrolmentLoader(root, paths.images)();
  const imagesText = (await readConfinedFile(root, paths.images, '--images', 'invalid-enrolment')) ?? '';
  const auditPath = posix.join(paths.requestsDir, 'audit.jsonl');
  const auditText = await readConfinedFile(root, auditPath, '--image-factory-dir', 'invalid-enrolment');
  return {
    imagesText,
    enrolment,
    state: (await StateFolder.read(stateDir, stateRel)).snapshot(),
    auditText: auditText ?? '',
  };
}
