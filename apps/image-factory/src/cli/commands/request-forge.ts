/**
 * The forge options of `request` (the repository the request pull requests go to, and its token), declared once:
 * `request add` and `request check` use them, and `request provision` may (to comment on the pull request). The
 * token comes only from $GITHUB_TOKEN / $GITLAB_TOKEN or a file (a mounted Secret): never from an argument, a URL or
 * git config, and it is registered for redaction as soon as it is read.
 */
import { reduceSourceRepo } from '../../enrolment/forge-coordinates.js';
import { FactoryError } from '../../errors.js';
import { baseUrlHelp, GITHUB_API_URL } from '../../rebuild/index.js';
import { NODE_EFFECTS } from '../../registry/http.js';
import type { RequestForge } from '../../requests/index.js';
import { baseUrlOption } from '../git-options.js';
import { FORGE_TOKEN_OPTIONS, readToken } from '../token-file.js';
import type { CommandIO, OptionSpecs } from '../usage.js';

/** The options. */
export const FORGE_OPTIONS = {
  forge: {
    type: 'string',
    value: 'github|gitlab',
    help: 'the forge of the GitOps repository (default: from --git-repo when its host is --github-url or\n--gitlab-url)',
  },
  'forge-repo': {
    type: 'string',
    value: 'REPO',
    help: 'the GitOps repository on the forge: GitHub owner/name, GitLab group/project (default: from --git-repo)',
  },
  'github-api-url': {
    type: 'string',
    value: 'URL',
    help: baseUrlHelp(GITHUB_API_URL, 'GitHub API the pull requests go to (GitHub Enterprise: https://HOST/api/v3)'),
  },
  ...FORGE_TOKEN_OPTIONS,
} as const satisfies OptionSpecs;

interface ForgeValues {
  forge?: string;
  'forge-repo'?: string;
  'github-api-url'?: string;
  'github-token-file'?: string;
  'gitlab-token-file'?: string;
}

const hostOf = (url: string): string | null => (URL.canParse(url) ? new URL(url).host.toLowerCase() : null);

/**
 * The forge of `gitRepo` from the options, or why there is none (no token, no forge named). `forges` are the web
 * hosts stateJobOptions resolved (--github-url, --gitlab-url).
 */
export async function requestForgeFrom(
  command: string,
  values: ForgeValues,
  io: CommandIO,
  gitRepo: string,
  forges: { readonly github: string; readonly gitlab: string },
): Promise<{ forge: RequestForge; why: null } | { forge: null; why: string }> {
  let provider: 'github' | 'gitlab';
  if (values.forge !== undefined) {
    if (values.forge !== 'github' && values.forge !== 'gitlab') {
      throw new FactoryError('usage', `image-factory ${command}: --forge must be github or gitlab`);
    }
    provider = values.forge;
  } else {
    const host = hostOf(gitRepo);
    if (host !== null && host === hostOf(forges.github)) provider = 'github';
    else if (host !== null && host === hostOf(forges.gitlab)) provider = 'gitlab';
    else return { forge: null, why: 'no forge is named: give --forge github|gitlab and --forge-repo' };
  }
  let repo = values['forge-repo'];
  if (repo === undefined) {
    const reduced = reduceSourceRepo(provider, gitRepo);
    if (!reduced.ok)
      return { forge: null, why: `--git-repo does not name a ${provider} repository: give --forge-repo` };
    repo = reduced.value;
  } else {
    const checked = reduceSourceRepo(provider, repo);
    if (!checked.ok) throw new FactoryError('usage', `image-factory ${command}: --forge-repo ${checked.error}`);
    repo = checked.value;
  }
  const token =
    provider === 'github'
      ? await readToken(command, io, values['github-token-file'], 'GITHUB_TOKEN')
      : await readToken(command, io, values['gitlab-token-file'], 'GITLAB_TOKEN');
  if (token === null) {
    return {
      forge: null,
      why:
        provider === 'github'
          ? 'no GitHub token: set $GITHUB_TOKEN or --github-token-file'
          : 'no GitLab token: set $GITLAB_TOKEN or --gitlab-token-file',
    };
  }
  const apiUrl =
    provider === 'github' ? baseUrlOption(command, GITHUB_API_URL, values['github-api-url'], io) : forges.gitlab;
  return { forge: { provider, apiUrl, repo, token, effects: NODE_EFFECTS }, why: null };
}
