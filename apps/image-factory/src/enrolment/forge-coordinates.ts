/**
 * Forge coordinates in images.yaml (`source.repo`, `source.workflow`): what the rebuild trigger puts into a forge
 * API path, so what is accepted is exactly what GitHub and GitLab can name, and the URL forms people paste are
 * reduced to the short form here, once. The patterns are what the JSON Schema holds (editors see the same rule);
 * the functions say why a value is refused.
 *
 * A URL is accepted only on the public host (github.com, gitlab.com): for another host the short form is written and
 * the host comes from the base-URL settings (rebuild/forge-urls.ts), so a URL's host can never disagree with the
 * host the token is sent to.
 */

/** GitHub owner: letters, digits and "-", 1–39, not starting with "-". */
const GITHUB_OWNER = '[A-Za-z0-9][A-Za-z0-9-]{0,38}';
/** GitHub repository name: letters, digits, ".", "_", "-", at most 100; never ".", ".." (nor empty once ".git" goes). */
const GITHUB_NAME = '(?!\\.{0,2}(?:\\.git)?/?$)[A-Za-z0-9._-]{1,100}';
/** One GitLab path segment: letters, digits, "_", ".", "-"; not starting with "-" or ".", not ending ".git"/".atom". */
const GITLAB_SEGMENT = '(?![-.])[A-Za-z0-9_.-]+(?<!\\.git)(?<!\\.atom)';
/** A GitLab project path: a namespace (group, subgroups) and the project, at least two segments. */
const GITLAB_PATH = `${GITLAB_SEGMENT}(?:/${GITLAB_SEGMENT})+`;
/** A numeric id (GitLab project, GitHub workflow). */
const NUMERIC_ID = '[1-9][0-9]{0,18}';

/** The URL prefixes accepted for a public host: https, scp-like ssh, ssh://. */
const urlPrefixes = (host: string) => `(?:https://${host}/|git@${host}:|ssh://git@${host}/)`;
const GITHUB_HOST = 'github\\.com';
const GITLAB_HOST = 'gitlab\\.com';

/** `source.repo` for GitHub: `owner/name`, or `https://github.com/owner/name(.git)`, `git@github.com:owner/name.git`. */
export const GITHUB_REPO_PATTERN = `^(?:${GITHUB_OWNER}/${GITHUB_NAME}|${urlPrefixes(GITHUB_HOST)}${GITHUB_OWNER}/${GITHUB_NAME}(?:\\.git)?/?)$`;
/** `source.repo` for GitLab: `group/sub/project`, a numeric project id, or the gitlab.com URL forms. */
export const GITLAB_PROJECT_PATTERN = `^(?:${NUMERIC_ID}|${GITLAB_PATH}|${urlPrefixes(GITLAB_HOST)}${GITLAB_PATH}(?:\\.git)?/?)$`;
/** `source.workflow` for GitHub: a workflow file name (`build.yaml`, `build.yml`; no folder) or a numeric id. */
export const GITHUB_WORKFLOW_PATTERN = `^(?:(?!-)[A-Za-z0-9_.-]+\\.ya?ml|${NUMERIC_ID})$`;

const githubRepo = new RegExp(GITHUB_REPO_PATTERN, 'u');
const gitlabProject = new RegExp(GITLAB_PROJECT_PATTERN, 'u');
const githubWorkflow = new RegExp(GITHUB_WORKFLOW_PATTERN, 'u');

export type CoordinateResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly error: string };

const GITHUB_FORMS =
  'must be owner/name (GitHub: owner of letters, digits and "-", name of letters, digits, ".", "_", "-"), or https://github.com/owner/name(.git) or git@github.com:owner/name.git';
const GITLAB_FORMS =
  'must be a GitLab project path (group/subgroup/project: segments of letters, digits, "_", ".", "-", not starting with "-" or "."), a numeric project id, or https://gitlab.com/group/project(.git) or git@gitlab.com:group/project.git';

/** The host part of a URL form, or null when `text` is not one. */
function urlHost(text: string): string | null {
  const scp = /^[^@/\s]+@([^:/\s]+):/.exec(text);
  if (scp !== null) return scp[1] ?? null;
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/:]+)/i.exec(text);
  return url === null ? null : (url[1] ?? null);
}

/** The path of a URL form with its prefix, a trailing "/" and ".git" removed. */
function urlPath(text: string): string {
  return text
    .replace(/^(?:https:\/\/[^/]+\/|ssh:\/\/git@[^/]+\/|git@[^:]+:)/, '')
    .replace(/\/$/, '')
    .replace(/\.git$/, '');
}

/** Why `text` is not a GitHub repository (the most specific reason found), for an error message. */
function githubReason(text: string): string {
  const host = urlHost(text);
  if (host !== null && host.toLowerCase() !== 'github.com') {
    return `${GITHUB_FORMS}: a URL on ${host} is not accepted; write owner/name and set the GitHub host with --github-url / --github-api-url`;
  }
  if (host === null && /^(?:\.?\/|[A-Za-z]:)/.test(text))
    return `${GITHUB_FORMS}: a local path is not a GitHub repository`;
  const parts = (host === null ? text : urlPath(text)).split('/');
  if (parts.some((p) => p === '.' || p === '..')) return `${GITHUB_FORMS}: "." and ".." are not names`;
  if (parts.length !== 2) return `${GITHUB_FORMS}: exactly one "/" between owner and name`;
  return GITHUB_FORMS;
}

/** Why `text` is not a GitLab project, for an error message. */
function gitlabReason(text: string): string {
  const host = urlHost(text);
  if (host !== null && host.toLowerCase() !== 'gitlab.com') {
    return `${GITLAB_FORMS}: a URL on ${host} is not accepted; write the project path and set the GitLab host with --gitlab-url / $GITLAB_URL / $CI_SERVER_URL`;
  }
  const parts = (host === null ? text : urlPath(text)).split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return `${GITLAB_FORMS}: no empty, "." or ".." segments`;
  if (parts.some((p) => /\.(git|atom)$/.test(p))) return `${GITLAB_FORMS}: a segment may not end in .git or .atom`;
  if (parts.length === 1) return `${GITLAB_FORMS}: a project lives in a group (group/project)`;
  return GITLAB_FORMS;
}

/**
 * `source.repo` reduced to the form the forge APIs take: `owner/name` for GitHub, the project path (or numeric id)
 * for GitLab. The one place URL forms become short ones.
 */
export function reduceSourceRepo(provider: 'github' | 'gitlab', text: string): CoordinateResult {
  if (provider === 'github') {
    if (!githubRepo.test(text)) return { ok: false, error: githubReason(text) };
  } else if (!gitlabProject.test(text)) {
    return { ok: false, error: gitlabReason(text) };
  }
  return { ok: true, value: urlHost(text) === null ? text : urlPath(text) };
}

/** `source.workflow` for GitHub: the file name or numeric id, as given; an error naming the rule otherwise. */
export function checkGithubWorkflow(text: string): CoordinateResult {
  if (githubWorkflow.test(text)) return { ok: true, value: text };
  const hint = text.includes('/')
    ? ': the file name only (build.yaml), not its path under .github/workflows'
    : text === '.' || text === '..'
      ? ': "." and ".." are not files'
      : '';
  return {
    ok: false,
    error: `must be the workflow's file name (build.yaml or build.yml) or its numeric id${hint}`,
  };
}
