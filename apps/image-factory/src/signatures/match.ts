/**
 * `baseImagePolicies[].match`: which base images a policy covers, by reference pattern over the normalised
 * `registry/repository` (`node` is `docker.io/library/node`). `*` stands for any characters within one path segment,
 * `**` for any characters across segments; everything else is literal, and the whole name must match.
 */

/** A pattern as a regular expression over `registry/repository`. */
export function referencePattern(pattern: string): RegExp {
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** Does `pattern` cover the repository `registry/repository`? */
export function matchesReference(pattern: string, registry: string, repository: string): boolean {
  return referencePattern(pattern).test(`${registry}/${repository}`);
}
