/** A repository in a registry as references name it, and how messages name a tag or digest of it. */

/** A repository in a registry, as references name it (`docker.io` + `library/node`). */
export interface RepositoryRef {
  readonly registry: string;
  readonly repository: string;
}

/** `registry/repository:tag` or `registry/repository@digest`, as messages name what was asked for. */
export function describe(ref: RepositoryRef, reference: string): string {
  return `${ref.registry}/${ref.repository}${reference.includes(':') ? '@' : ':'}${reference}`;
}
