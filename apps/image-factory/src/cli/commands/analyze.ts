/** `image-factory analyze`: record a managed image's base images in the GitOps repository's state. */
import { FactoryError } from '../../errors.js';
import { runStateJob, type StateJobMode } from '../../jobs/state-job.js';
import { GIT_OPTIONS, GIT_OPTIONS_HELP, stateJobOptions } from '../git-options.js';
import { formatJobResult, jobResultJson } from '../report-job.js';
import { type Command, EXIT_OK, parseCommandArgs, writeJson } from '../usage.js';

const HELP = `Usage: image-factory analyze --image NAME --tag TAG --digest sha256:... --git-repo URL [options]
       image-factory analyze --all --git-repo URL [options]

Parse a managed image's Dockerfile, plan the state change (images/<name>.yaml, base-images/*.yaml,
garbage collection), commit it and push it. This is what the Kargo Stage verification runs for every
new build. With --all, every managed image in images.yaml is analysed in one commit (bootstrap, CI).

Re-running on the same inputs changes nothing and commits nothing. When other jobs push first, the
change is recomputed on the new head (never merged textually) and pushed again.

Image (not with --all):
  --image NAME                the managed image's name in images.yaml
  --tag TAG                   the new build's tag
  --digest sha256:...         the new build's digest
  --dockerfile PATH           Dockerfile path from the source repository's root (default: images.yaml source.dockerfile)

Source repository (default: images.yaml source.repo and source.provider):
  --source-repo SPEC          owner/name (expanded for the provider), a full git URL, or a local path;
                              the same repository and branch as --git-repo is read from the same clone
  --source-provider P         github or gitlab
  --all                       analyse every managed image

${GIT_OPTIONS_HELP}

Exit status: 0 committed or nothing to commit, 1 invalid input or git failure, 2 usage error.

Examples:
  image-factory analyze --image backstage --tag 0.6.3 --digest sha256:4f2c... \\
    --git-repo https://github.com/acme/gitops.git --git-branch main --source-repo acme/platform
  image-factory analyze --all --git-repo ./gitops --source-repo ./platform --dry-run
`;

/** The `analyze` command. */
export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'analyse a managed image build and commit its base images to state',
  help: HELP,
  logs: true,
  async run(args, io) {
    const { values } = parseCommandArgs('analyze', {
      args: [...args],
      allowPositionals: false,
      options: {
        ...GIT_OPTIONS,
        image: { type: 'string' },
        tag: { type: 'string' },
        digest: { type: 'string' },
        dockerfile: { type: 'string' },
        'source-repo': { type: 'string' },
        'source-provider': { type: 'string' },
        all: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    const providerFlag = values['source-provider'];
    if (providerFlag !== undefined && providerFlag !== 'github' && providerFlag !== 'gitlab') {
      throw new FactoryError('usage', 'image-factory analyze: --source-provider must be github or gitlab');
    }
    const provider: 'github' | 'gitlab' | undefined = providerFlag;
    const source = {
      ...(values['source-repo'] === undefined ? {} : { sourceRepo: values['source-repo'] }),
      ...(provider === undefined ? {} : { sourceProvider: provider }),
    };
    let mode: StateJobMode;
    if (values.all) {
      const extra = (['image', 'tag', 'digest', 'dockerfile'] as const).filter((f) => values[f] !== undefined);
      if (extra.length > 0) {
        throw new FactoryError(
          'usage',
          `image-factory analyze: --all analyses every image; drop --${extra.join(', --')}`,
        );
      }
      mode = { kind: 'analyze-all', ...source };
    } else {
      const missing = (['image', 'tag', 'digest'] as const).filter((f) => values[f] === undefined || values[f] === '');
      if (missing.length > 0) {
        throw new FactoryError(
          'usage',
          `image-factory analyze: --${missing.join(', --')} required (or --all); see --help`,
        );
      }
      mode = {
        kind: 'analyze',
        image: values.image as string,
        tag: values.tag as string,
        digest: values.digest as string,
        ...(values.dockerfile === undefined ? {} : { dockerfile: values.dockerfile }),
        ...source,
      };
    }
    const options = await stateJobOptions('analyze', values, io, mode.kind === 'analyze' ? mode.image : '*');
    const result = await runStateJob(mode, options);
    if (values.json) writeJson(io, jobResultJson(result));
    else io.stdout(formatJobResult(result));
    return EXIT_OK;
  },
};
