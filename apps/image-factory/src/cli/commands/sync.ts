/** `image-factory sync`: bring the state in line with images.yaml without analysing any Dockerfile. */
import { runStateJob } from '../../jobs/state-job.js';
import { GIT_OPTIONS, GIT_OPTIONS_HELP, stateJobOptions } from '../git-options.js';
import { formatJobResult, jobResultJson } from '../report-job.js';
import { type Command, EXIT_OK, parseCommandArgs, writeJson } from '../usage.js';

const HELP = `Usage: image-factory sync --git-repo URL [options]

Apply images.yaml to the state in one commit: write external images' Warehouse config, apply
lifecycle transitions (external ⇄ managed, a base image that became managed), remove the state of
images no longer enrolled, and garbage-collect base images left without dependents.
Run it after merging a change to images.yaml (bootstrap, CI).

${GIT_OPTIONS_HELP}

Exit status: 0 committed or nothing to commit, 1 invalid input or git failure, 2 usage error.

Examples:
  image-factory sync --git-repo https://github.com/acme/gitops.git
  image-factory sync --git-repo ./gitops --dry-run
`;

/** The `sync` command. */
export const syncCommand: Command = {
  name: 'sync',
  summary: 'apply images.yaml to the state: external images, transitions, garbage collection',
  help: HELP,
  logs: true,
  async run(args, io) {
    const { values } = parseCommandArgs('sync', { args: [...args], allowPositionals: false, options: GIT_OPTIONS });
    if (values.help) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    const result = await runStateJob({ kind: 'sync' }, await stateJobOptions('sync', values, io, '*'));
    if (values.json) writeJson(io, jobResultJson(result));
    else io.stdout(formatJobResult(result));
    return EXIT_OK;
  },
};
