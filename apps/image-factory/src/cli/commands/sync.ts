/** `image-factory sync`: bring the state in line with images.yaml without analysing any Dockerfile. */
import { runStateJob } from '../../jobs/state-job.js';
import { GIT_OPTIONS, GIT_SECTIONS, stateJobOptions } from '../git-options.js';
import { formatJobResult, jobResultJson } from '../report-job.js';
import { defineCommand, EXIT_OK, renderHelp, writeJson } from '../usage.js';

const HELP = renderHelp({
  usage: ['sync --git-repo URL [options]'],
  description: `Apply images.yaml to the state in one commit: write external images' Warehouse config, apply
lifecycle transitions (external ⇄ managed, a base image that became managed), remove the state of
images no longer enrolled, and garbage-collect base images left without dependents.
Run it after merging a change to images.yaml (bootstrap, CI).`,
  sections: GIT_SECTIONS,
  exit: '0 committed or nothing to commit, 1 invalid input or a refusal, 2 usage error,\n3 transient failure after retries or a git timeout (safe to run again).',
  examples: [
    'image-factory sync --git-repo https://github.com/acme/gitops.git',
    'image-factory sync --git-repo ./gitops --dry-run',
  ],
});

/** The `sync` command. */
export const syncCommand = defineCommand({
  name: 'sync',
  summary: 'apply images.yaml to the state: external images, transitions, garbage collection',
  help: HELP,
  options: GIT_OPTIONS,
  logs: true,
  async run(values, _positionals, io) {
    const result = await runStateJob({ kind: 'sync' }, await stateJobOptions('sync', values, io, '*'));
    if (values.json) writeJson(io, jobResultJson(result));
    else io.stdout(formatJobResult(result));
    return EXIT_OK;
  },
});
