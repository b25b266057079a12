/** `image-factory analyze`: record a managed image's base images in the GitOps repository's state. */
import { FactoryError } from '../../errors.js';
import { runStateJob, type StateJobMode } from '../../jobs/state-job.js';
import { GIT_OPTIONS, GIT_SECTIONS, stateJobOptions } from '../git-options.js';
import { formatJobResult, jobResultJson } from '../report-job.js';
import { defineCommand, EXIT_OK, type OptionSpecs, renderHelp, writeJson } from '../usage.js';

const IMAGE_OPTIONS = {
  image: { type: 'string', value: 'NAME', help: "the managed image's name in images.yaml" },
  tag: { type: 'string', value: 'TAG', help: "the new build's tag" },
  digest: { type: 'string', value: 'sha256:...', help: "the new build's digest" },
  dockerfile: {
    type: 'string',
    value: 'PATH',
    help: "Dockerfile path from the source repository's root (default: images.yaml source.dockerfile)",
  },
} as const satisfies OptionSpecs;

const SOURCE_OPTIONS = {
  'source-repo': {
    type: 'string',
    value: 'SPEC',
    help: 'owner/name (expanded for the provider), a full git URL, or a local path;\nthe same repository and branch as --git-repo is read from the same clone',
  },
  'source-provider': { type: 'string', value: 'P', help: 'github or gitlab' },
  all: { type: 'boolean', default: false, help: 'analyse every managed image' },
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: [
    'analyze --image NAME --tag TAG --digest sha256:... --git-repo URL [options]',
    'analyze --all --git-repo URL [options]',
  ],
  description: `Parse a managed image's Dockerfile, plan the state change (images/<name>.yaml, base-images/*.yaml,
garbage collection), commit it and push it. This is what the Kargo Stage verification runs for every
new build. With --all, every managed image in images.yaml is analysed in one commit (bootstrap, CI).

Re-running on the same inputs changes nothing and commits nothing. When other jobs push first, the
change is recomputed on the new head (never merged textually) and pushed again.`,
  sections: [
    ['Image (not with --all)', IMAGE_OPTIONS],
    ['Source repository (default: images.yaml source.repo and source.provider)', SOURCE_OPTIONS],
    ...GIT_SECTIONS,
  ],
  exit: '0 committed or nothing to commit, 1 invalid input or a refusal, 2 usage error,\n3 transient failure after retries or a git timeout (safe to run again).',
  examples: [
    'image-factory analyze --image backstage --tag 0.6.3 --digest sha256:4f2c... \\\n    --git-repo https://github.com/acme/gitops.git --git-branch main --source-repo acme/platform',
    'image-factory analyze --all --git-repo ./gitops --source-repo ./platform --dry-run',
  ],
});

/** The `analyze` command. */
export const analyzeCommand = defineCommand({
  name: 'analyze',
  summary: 'analyse a managed image build and commit its base images to state',
  help: HELP,
  options: { ...IMAGE_OPTIONS, ...SOURCE_OPTIONS, ...GIT_OPTIONS },
  logs: true,
  async run(values, _positionals, io) {
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
      const { image, tag, digest } = values;
      if (!image || !tag || !digest) {
        const missing = (['image', 'tag', 'digest'] as const).filter((f) => !values[f]);
        throw new FactoryError(
          'usage',
          `image-factory analyze: --${missing.join(', --')} required (or --all); see --help`,
        );
      }
      mode = {
        kind: 'analyze',
        image,
        tag,
        digest,
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
});
