/**
 * The jobs that tie the pure core to the edges: analyze / analyze --all / sync (clone, read Dockerfiles, plan,
 * commit, push) and enroll / unenroll / kustomize (edit images.yaml and the kustomize folder, all or nothing).
 */
export { enrolImage, refreshKustomize, unenrolImage } from './enroll.js';
export { runStateJob, type StateJobMode, type StateJobOptions, type StateJobResult } from './state-job.js';
