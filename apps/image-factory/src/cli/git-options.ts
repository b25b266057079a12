/** Flags shared by the commands that change state in git (analyze, sync). */

import { FactoryError } from '../errors.js';
import { resolveCredentials } from '../git/credentials.js';
import { forgeURLsFrom } from '../git/remote.js';
import type { StateJobOptions } from '../jobs/state-job.js';
import { createLogger, defaultLogFormat, type LogFormat } from '../log/logger.js';
import type { CommandIO } from './usage.js';

/** parseArgs option definitions for the git and state flags. */
export const GIT_OPTIONS = {
  'git-repo': { type: 'string' },
  'git-branch': { type: 'string', default: 'main' },
  'image-factory-dir': { type: 'string', default: 'image-factory' },
  images: { type: 'string', default: 'images.yaml' },
  'dry-run': { type: 'boolean', default: false },
  'max-attempts': { type: 'string', default: '8' },
  'git-credentials-file': { type: 'string' },
  'git-author-name': { type: 'string' },
  'git-author-email': { type: 'string' },
  'github-url': { type: 'string' },
  'gitlab-url': { type: 'string' },
  'log-format': { type: 'string' },
  'work-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Help text for the shared flags. */
export const GIT_OPTIONS_HELP = `GitOps repository:
  --git-repo URL|PATH         the GitOps repository holding images.yaml and the state (required)
  --git-branch NAME           branch to read and push (default main)
  --image-factory-dir DIR     folder holding state/, relative to the repository root (default image-factory)
  --images FILE               images.yaml, relative to the repository root (default images.yaml)
  --dry-run                   print the planned change; write, commit and push nothing
  --max-attempts N            push attempts when other jobs push first (default 8)

Credentials and identity (never printed; redacted from every log line and error):
  --git-credentials-file F    a file holding "token" or "username:token", or a mounted Secret folder with
                              username and token files (default: $GIT_CREDENTIALS_FILE)
                              otherwise $GIT_USERNAME and $GIT_TOKEN are used for HTTP(S) remotes
  --git-author-name NAME      commit author (default $GIT_AUTHOR_NAME or "image-factory")
  --git-author-email EMAIL    (default $GIT_AUTHOR_EMAIL or "image-factory@users.noreply.local")
  --github-url URL            base URL for owner/name on GitHub Enterprise (default $GITHUB_SERVER_URL or https://github.com)
  --gitlab-url URL            base URL for self-managed GitLab (default $CI_SERVER_URL or https://gitlab.com)

Output:
  --log-format json|text      logs on stderr (default json when $KUBERNETES_SERVICE_HOST is set, else text)
  --work-dir DIR              where temporary clones go (default the system temp folder)
  -h, --help                  show this help`;

type GitValues = {
  'git-repo'?: string;
  'git-branch'?: string;
  'image-factory-dir'?: string;
  images?: string;
  'dry-run'?: boolean;
  'max-attempts'?: string;
  'git-credentials-file'?: string;
  'git-author-name'?: string;
  'git-author-email'?: string;
  'github-url'?: string;
  'gitlab-url'?: string;
  'log-format'?: string;
  'work-dir'?: string;
};

/** Turn parsed flags into StateJobOptions; `image` names the logger's subject. */
export async function stateJobOptions(
  command: string,
  values: GitValues,
  io: CommandIO,
  image: string,
): Promise<StateJobOptions> {
  if (values['git-repo'] === undefined || values['git-repo'] === '') {
    throw new FactoryError('usage', `image-factory ${command}: --git-repo is required (see --help)`);
  }
  const maxAttempts = Number(values['max-attempts']);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    throw new FactoryError('usage', `image-factory ${command}: --max-attempts must be a whole number from 1 to 100`);
  }
  const format = values['log-format'] ?? defaultLogFormat(io.env);
  if (format !== 'json' && format !== 'text') {
    throw new FactoryError('usage', `image-factory ${command}: --log-format must be json or text`);
  }
  const forges = forgeURLsFrom(io.env);
  return {
    gitRepo: values['git-repo'],
    gitBranch: values['git-branch'] ?? 'main',
    imageFactoryDir: values['image-factory-dir'] ?? 'image-factory',
    images: values.images ?? 'images.yaml',
    dryRun: values['dry-run'] ?? false,
    maxAttempts,
    credentials: await resolveCredentials(io.env, values['git-credentials-file']),
    author: {
      name: values['git-author-name'] ?? io.env.GIT_AUTHOR_NAME ?? 'image-factory',
      email: values['git-author-email'] ?? io.env.GIT_AUTHOR_EMAIL ?? 'image-factory@users.noreply.local',
    },
    forges: {
      github: values['github-url']?.replace(/\/+$/, '') ?? forges.github,
      gitlab: values['gitlab-url']?.replace(/\/+$/, '') ?? forges.gitlab,
    },
    env: io.env,
    cwd: io.cwd,
    log: createLogger(format as LogFormat, image, io.stderr),
    ...(values['work-dir'] === undefined ? {} : { workDir: values['work-dir'] }),
  };
}
