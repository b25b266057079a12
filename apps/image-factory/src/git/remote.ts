/** Where a repository is: `owner/name` expanded for GitHub or GitLab, a full git URL, or a local path. */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FactoryError } from '../errors.js';

/**
 * Base URLs for short `owner/name` forms (GitHub Enterprise, self-managed GitLab), resolved by the caller from the
 * one rule for each (rebuild/forge-urls.ts: flag, environment, default), so a clone and a trigger of the same
 * GitLab project go to the same host.
 */
export interface ForgeURLs {
  readonly github: string;
  readonly gitlab: string;
}

/** Is this a URL git understands directly (scheme://, scp-like user@host:path, file:)? */
function isGitURL(spec: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) || /^[\w.-]+@[\w.-]+:/.test(spec) || spec.startsWith('file:');
}

/**
 * A cloneable URL for `spec`. Local paths become file:// URLs (so shallow clones really are shallow).
 * @param cwd what relative local paths are relative to
 */
export function resolveRepoURL(
  spec: string,
  provider: 'github' | 'gitlab' | undefined,
  forges: ForgeURLs,
  cwd: string,
): string {
  if (isGitURL(spec)) return spec;
  const local = resolve(cwd, spec);
  if (isAbsolute(spec) || spec.startsWith('./') || spec.startsWith('../') || spec === '.' || existsSync(local)) {
    return pathToFileURL(local).href;
  }
  if (provider === 'gitlab') {
    if (/^[0-9]+$/.test(spec)) {
      throw new FactoryError(
        'usage',
        `GitLab project id ${spec} cannot be cloned by id: use the project path (group/project) or a full URL`,
      );
    }
    return `${forges.gitlab}/${spec}.git`;
  }
  if (provider === 'github') {
    if (!/^[\w.-]+\/[\w.-]+$/.test(spec)) {
      throw new FactoryError('usage', `GitHub repository "${spec}" must be owner/name or a full URL`);
    }
    return `${forges.github}/${spec}.git`;
  }
  // No provider to expand owner/name for (--git-repo): a local path.
  return pathToFileURL(local).href;
}

/** Two URLs name the same repository (ignoring a trailing .git and slash). */
export function sameRepository(a: string, b: string): boolean {
  const norm = (url: string) => url.replace(/\/+$/, '').replace(/\.git$/, '');
  return norm(a) === norm(b);
}
