/** Flags shared by the commands that change state in git (analyze, sync). */

import { FactoryError } from '../errors.js';
import { credentialsFromURL, resolveCredentials } from '../git/credentials.js';
import { DEFAULT_BACKOFF_MS, DEFAULT_DEADLINE_MS } from '../git/publish.js';
import { DEFAULT_GIT_TIMEOUT_MS } from '../git/workspace.js';
import type { StateJobOptions } from '../jobs/state-job.js';
import { createLogger, defaultLogFormat, type LogFormat } from '../log/logger.js';
import { type BaseUrlSetting, baseUrlHelp, GITHUB_URL, GITLAB_URL, resolveBaseUrl } from '../rebuild/index.js';
import { type CommandIO, durationOption, HELP_OPTION, type OptionSpecs } from './usage.js';

const REPOSITORY_OPTIONS = {
  'git-repo': {
    type: 'string',
    value: 'URL|PATH',
    help: 'the GitOps repository holding images.yaml and the state (required)',
  },
  'git-branch': { type: 'string', default: 'main', value: 'NAME', help: 'branch to read and push (default main)' },
  'image-factory-dir': {
    type: 'string',
    default: 'image-factory',
    value: 'DIR',
    help: 'folder holding state/, relative to the repository root (default image-factory)',
  },
  images: {
    type: 'string',
    default: 'images.yaml',
    value: 'FILE',
    help: 'images.yaml, relative to the repository root (default images.yaml)',
  },
  'dry-run': { type: 'boolean', default: false, help: 'print the planned change; write, commit and push nothing' },
} as const satisfies OptionSpecs;

const TIME_OPTIONS = {
  'retry-deadline': {
    type: 'string',
    default: '8m',
    value: 'DURATION',
    help: "keep recomputing and pushing while other jobs push first, for at most this\nlong (default 8m: below the AnalysisTemplate's activeDeadlineSeconds, 600)",
  },
  'retry-backoff': {
    type: 'string',
    default: '500ms',
    value: 'DURATION',
    help: 'first wait before a retry; waits double up to 8 times this (default 500ms)',
  },
  'max-attempts': {
    type: 'string',
    value: 'N',
    help: 'also stop after N attempts (default: no limit but the deadline)',
  },
  'git-timeout': {
    type: 'string',
    default: '2m',
    value: 'DURATION',
    help: 'stop a git clone, fetch or push that makes no progress this long (default 2m)',
  },
} as const satisfies OptionSpecs;

const CREDENTIAL_OPTIONS = {
  'git-credentials-file': {
    type: 'string',
    value: 'F',
    help: 'a file holding "token" or "username:token", or a mounted Secret folder with\nusername and token files (default: $GIT_CREDENTIALS_FILE); otherwise $GIT_USERNAME\nand $GIT_TOKEN are used for HTTP(S) remotes. Credentials in --git-repo move here.',
  },
  'git-author-name': {
    type: 'string',
    value: 'NAME',
    help: 'commit author (default $GIT_AUTHOR_NAME or "image-factory")',
  },
  'git-author-email': {
    type: 'string',
    value: 'EMAIL',
    help: '(default $GIT_AUTHOR_EMAIL or "image-factory@users.noreply.local")',
  },
  // The keys are the settings' flags (test/forge-urls.test.ts holds them together); the help comes from them.
  'github-url': {
    type: 'string',
    value: 'URL',
    help: baseUrlHelp(GITHUB_URL, 'GitHub web host that owner/name is cloned from (GitHub Enterprise)'),
  },
  'gitlab-url': {
    type: 'string',
    value: 'URL',
    help: baseUrlHelp(GITLAB_URL, 'GitLab host, for clones of project paths and the pipeline API'),
  },
} as const satisfies OptionSpecs;

const OUTPUT_OPTIONS = {
  'log-format': {
    type: 'string',
    value: 'json|text',
    help: 'logs on stderr (default json when $KUBERNETES_SERVICE_HOST is set, else text)',
  },
  'work-dir': { type: 'string', value: 'DIR', help: 'where temporary clones go (default the system temp folder)' },
  json: {
    type: 'boolean',
    default: false,
    help: 'print the result as JSON on stdout instead of text (shapes in docs/cli.md, "JSON output";\nlogs stay on stderr)',
  },
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

/** The git and state flags of analyze and sync, in help sections (declared once: parsing and help use them). */
export const GIT_SECTIONS = [
  ['GitOps repository', REPOSITORY_OPTIONS],
  ['Concurrency and time limits (jobs for different images push to one branch)', TIME_OPTIONS],
  ['Credentials and identity (never printed; redacted from every log line and error)', CREDENTIAL_OPTIONS],
  ['Output', OUTPUT_OPTIONS],
] as const;

/** parseArgs option definitions for the git and state flags. */
export const GIT_OPTIONS = {
  ...REPOSITORY_OPTIONS,
  ...TIME_OPTIONS,
  ...CREDENTIAL_OPTIONS,
  ...OUTPUT_OPTIONS,
} as const;

type GitValues = {
  'git-repo'?: string;
  'git-branch'?: string;
  'image-factory-dir'?: string;
  images?: string;
  'dry-run'?: boolean;
  'retry-deadline'?: string;
  'retry-backoff'?: string;
  'max-attempts'?: string;
  'git-timeout'?: string;
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
  // Absent (a caller that did not parse the flags), the library's own defaults apply: one source for each.
  const duration = (flag: 'retry-deadline' | 'retry-backoff' | 'git-timeout', fallbackMs: number) =>
    durationOption(command, flag, values[flag], fallbackMs);
  const maxAttempts = values['max-attempts'] === undefined ? undefined : Number(values['max-attempts']);
  if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 10_000)) {
    throw new FactoryError('usage', `image-factory ${command}: --max-attempts must be a whole number from 1 to 10000`);
  }
  const { url: gitRepo, credentials: urlCredentials } = credentialsFromURL(values['git-repo']);
  const configured = await resolveCredentials(io.env, values['git-credentials-file']);
  if (urlCredentials !== null && configured !== null) {
    throw new FactoryError(
      'usage',
      `image-factory ${command}: --git-repo carries credentials and --git-credentials-file / $GIT_TOKEN is set too: ` +
        'keep one (a mounted file is safest: a URL is visible in process listings)',
    );
  }
  const format = values['log-format'] ?? defaultLogFormat(io.env);
  if (format !== 'json' && format !== 'text') {
    throw new FactoryError('usage', `image-factory ${command}: --log-format must be json or text`);
  }
  const forges = {
    github: baseUrlOption(command, GITHUB_URL, values['github-url'], io),
    gitlab: baseUrlOption(command, GITLAB_URL, values['gitlab-url'], io),
  };
  return {
    gitRepo,
    gitBranch: values['git-branch'] ?? 'main',
    imageFactoryDir: values['image-factory-dir'] ?? 'image-factory',
    images: values.images ?? 'images.yaml',
    dryRun: values['dry-run'] ?? false,
    retry: {
      deadlineMs: duration('retry-deadline', DEFAULT_DEADLINE_MS),
      backoffMs: duration('retry-backoff', DEFAULT_BACKOFF_MS),
      ...(maxAttempts === undefined ? {} : { maxAttempts }),
    },
    gitTimeoutMs: duration('git-timeout', DEFAULT_GIT_TIMEOUT_MS),
    credentials: urlCredentials ?? configured,
    author: {
      name: values['git-author-name'] ?? io.env.GIT_AUTHOR_NAME ?? 'image-factory',
      email: values['git-author-email'] ?? io.env.GIT_AUTHOR_EMAIL ?? 'image-factory@users.noreply.local',
    },
    forges,
    env: io.env,
    cwd: io.cwd,
    log: createLogger(format as LogFormat, image, io.stderr),
    ...(values['work-dir'] === undefined ? {} : { workDir: values['work-dir'] }),
  };
}

/** A base URL from its flag, the environment or its default (rebuild/forge-urls.ts); a bad one is a usage error. */
export function baseUrlOption(
  command: string,
  setting: BaseUrlSetting,
  flagValue: string | undefined,
  io: CommandIO,
): string {
  const resolved = resolveBaseUrl(setting, flagValue, io.env);
  if (!resolved.ok) throw new FactoryError('usage', `image-factory ${command}: ${resolved.error}`);
  return resolved.value.url;
}
