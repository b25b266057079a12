/** `image-factory enroll`, `unenroll` and `kustomize`: enrolment without hand-written Kargo YAML. */
import { resolve } from 'node:path';
import type { ImageEntry } from '../../enrolment/edit.js';
import { reduceSourceRepo } from '../../enrolment/forge-coordinates.js';
import { FactoryError } from '../../errors.js';
import { type EnrolResult, enrolImage, refreshKustomize, unenrolImage } from '../../jobs/enroll.js';
import {
  type CommandIO,
  defineCommand,
  EXIT_OK,
  HELP_OPTION,
  type OptionSpecs,
  parseKeyValues,
  renderHelp,
  writeJson,
} from '../usage.js';

const PATH_OPTIONS = {
  images: {
    type: 'string',
    default: 'images.yaml',
    value: 'FILE',
    help: 'images.yaml to edit (default images.yaml); comments and layout are kept',
  },
  'kustomize-dir': {
    type: 'string',
    default: 'kustomize/image-factory',
    value: 'DIR',
    help: 'kustomize/image-factory, where managed/<name>.yaml pipelines and\nkustomization.yaml live (default kustomize/image-factory)',
  },
  json: {
    type: 'boolean',
    default: false,
    help: 'print {"action","image","written","deleted","kustomizationChanged",\n"managed","external"} instead of text',
  },
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const IMAGE_OPTIONS = {
  managed: { type: 'boolean', default: false, help: 'built from a Dockerfile (give this or --external)' },
  external: { type: 'boolean', default: false, help: 'third-party and only tracked' },
  name: { type: 'string', value: 'NAME', help: 'DNS-1123 label, unique' },
  registry: { type: 'string', value: 'HOST', help: 'e.g. ghcr.io, docker.io' },
  repository: { type: 'string', value: 'PATH', help: 'e.g. acme/backstage, library/postgres' },
  'rebuild-delay': { type: 'string', value: 'DELAY', help: '0, 12h, 7d … (default: images.yaml defaults)' },
} as const satisfies OptionSpecs;

const MANAGED_OPTIONS = {
  provider: { type: 'string', value: 'github|gitlab', help: 'where its CI runs' },
  repo: {
    type: 'string',
    value: 'SPEC',
    help: 'GitHub: owner/name; GitLab: group/…/project or the numeric project id. A github.com or\ngitlab.com URL (https://, git@) is written in that short form; for GitHub Enterprise or\nself-managed GitLab give the short form (the host comes from the base-URL settings)',
  },
  dockerfile: { type: 'string', value: 'PATH', help: "from the source repository's root" },
  branch: { type: 'string', value: 'NAME', help: 'default main' },
  workflow: {
    type: 'string',
    value: 'FILE|ID',
    help: 'GitHub: the workflow to dispatch, its file name (build.yaml) or numeric id.\nNot used for GitLab: a rebuild creates a pipeline on --branch',
  },
  'trigger-key-input': {
    type: 'string',
    value: 'NAME',
    help: "the workflow input (GitHub) / pipeline variable (GitLab) that receives each rebuild's\nidempotency key, so the CI can drop a repeat (declare it in the workflow)",
  },
  'build-arg': { type: 'string', multiple: true, value: 'NAME=VALUE', help: 'repeatable' },
} as const satisfies OptionSpecs;

const SUBSCRIPTION_OPTIONS = {
  'allow-tags': { type: 'string', value: 'REGEX', help: 'required for external images (Kargo allowTags, Go RE2)' },
  strategy: { type: 'string', value: 'S', help: 'Digest | Lexical | NewestBuild | SemVer' },
  constraint: { type: 'string', value: 'C', help: 'SemVer range, or the tag to follow with Digest' },
  'strict-semvers': { type: 'string', value: 'true|false', help: 'only strict semantic versions (Kargo default true)' },
  'discovery-limit': { type: 'string', value: 'N', help: '1-100' },
  platform: { type: 'string', value: 'OS/ARCH', help: 'only images for this platform (Kargo filters none without it)' },
  interval: { type: 'string', value: 'DURATION', help: 'Warehouse polling, e.g. 30m' },
} as const satisfies OptionSpecs;

const ENROLL_HELP = renderHelp({
  usage: [
    'enroll --managed --name NAME --registry HOST --repository PATH\n                            --provider github|gitlab --repo SPEC --dockerfile PATH [options]',
    'enroll --external --name NAME --registry HOST --repository PATH\n                            --allow-tags REGEX [options]',
  ],
  description: `Add an image to images.yaml and validate the result. For a managed image, also write its Kargo
pipeline (Warehouse + Stages <name>-analyze-dockerfile → <name>-analyzed) to
<kustomize-dir>/managed/<name>.yaml and list it in kustomization.yaml. Nothing is written when
the result is invalid.`,
  sections: [
    ['Image', IMAGE_OPTIONS],
    ['Managed', MANAGED_OPTIONS],
    ['Subscription (external images; for managed ones they shape the pipeline Warehouse)', SUBSCRIPTION_OPTIONS],
    ['Files and output', PATH_OPTIONS],
  ],
  exit: '0 enrolled, 1 the result would be invalid (nothing written), 2 usage error or unreadable file.',
  examples: [
    'image-factory enroll --managed --name backstage --registry ghcr.io --repository acme/backstage \\\n    --provider github --repo acme/platform --dockerfile apps/backstage/Dockerfile --workflow backstage.yaml \\\n    --trigger-key-input factory-key',
    "image-factory enroll --external --name postgres --registry docker.io --repository library/postgres \\\n    --allow-tags '^16\\.\\d+$' --strategy SemVer --strict-semvers false",
  ],
});

const UNENROLL_HELP = renderHelp({
  usage: ['unenroll NAME [options]'],
  description: `Remove an image from images.yaml and, for a managed image, its pipeline file and kustomization
entry. Run image-factory sync afterwards to drop its state and garbage-collect base images.`,
  sections: [['Files and output', PATH_OPTIONS]],
  exit: '0 removed, 1 not enrolled or the result would be invalid, 2 usage error or unreadable file.',
  examples: ['image-factory unenroll backstage'],
});

const KUSTOMIZE_HELP = renderHelp({
  usage: ['kustomize [options]'],
  description: `Rewrite <kustomize-dir>/managed/<name>.yaml for every managed image in images.yaml, delete those
of images no longer managed, and update kustomization.yaml (after editing images.yaml by hand).`,
  sections: [['Files and output', PATH_OPTIONS]],
  exit: '0 in step, 1 invalid images.yaml or Kargo objects (nothing written), 2 usage error.',
  examples: ['image-factory kustomize --images images.yaml --kustomize-dir kustomize/image-factory'],
});

function report(
  result: EnrolResult,
  io: CommandIO,
  what: string,
  json: { readonly on: boolean | undefined; readonly action: string; readonly image: string | null },
): void {
  const managed = result.enrolment.images.filter((i) => i.kind === 'managed').length;
  if (json.on === true) {
    writeJson(io, {
      action: json.action,
      image: json.image,
      written: result.kustomize.written,
      deleted: result.kustomize.deleted,
      kustomizationChanged: result.kustomize.kustomizationChanged,
      managed,
      external: result.enrolment.images.length - managed,
    });
    return;
  }
  const lines = [what];
  for (const path of result.kustomize.written) lines.push(`  wrote     ${path}`);
  for (const path of result.kustomize.deleted) lines.push(`  deleted   ${path}`);
  if (result.kustomize.kustomizationChanged) lines.push('  updated   kustomization.yaml');
  lines.push(`images.yaml: ${managed} managed, ${result.enrolment.images.length - managed} external image(s)`);
  io.stdout(`${lines.join('\n')}\n`);
}

function paths(values: { images?: string; 'kustomize-dir'?: string }, io: CommandIO) {
  return {
    images: resolve(io.cwd, values.images ?? 'images.yaml'),
    kustomizeDir: resolve(io.cwd, values['kustomize-dir'] ?? 'kustomize/image-factory'),
  };
}

function requireFlags(command: string, values: Record<string, unknown>, names: readonly string[]): void {
  const missing = names.filter((n) => values[n] === undefined || values[n] === '');
  if (missing.length > 0)
    throw new FactoryError('usage', `image-factory ${command}: --${missing.join(', --')} required (see --help)`);
}

function parseBoolean(flag: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new FactoryError('usage', `image-factory enroll: --${flag} must be true or false`);
}

/** The `enroll` command. */
export const enrollCommand = defineCommand({
  name: 'enroll',
  summary: 'add an image to images.yaml (and its Kargo pipeline to kustomize/image-factory)',
  help: ENROLL_HELP,
  options: { ...IMAGE_OPTIONS, ...MANAGED_OPTIONS, ...SUBSCRIPTION_OPTIONS, ...PATH_OPTIONS },
  async run(values, _positionals, io) {
    if (values.managed === values.external) {
      throw new FactoryError('usage', 'image-factory enroll: give exactly one of --managed or --external (see --help)');
    }
    requireFlags('enroll', values, ['name', 'registry', 'repository']);
    if (values.managed) requireFlags('enroll', values, ['provider', 'repo', 'dockerfile']);
    else requireFlags('enroll', values, ['allow-tags']);
    if (values.managed && values.provider === 'gitlab' && values.workflow !== undefined) {
      throw new FactoryError(
        'usage',
        'image-factory enroll: --workflow is for GitHub only (a GitLab rebuild creates a pipeline on --branch); drop it',
      );
    }
    const buildArgs = parseKeyValues('enroll', 'build-arg', values['build-arg'] ?? []);
    // The short form the forge APIs take is what images.yaml holds; a value that is not one is written as given,
    // so that validation reports it with its line and column.
    const provider = values.provider;
    const reduced =
      values.repo !== undefined && (provider === 'github' || provider === 'gitlab')
        ? reduceSourceRepo(provider, values.repo)
        : null;
    const repo = reduced?.ok === true ? reduced.value : values.repo;
    const limit = values['discovery-limit'];
    if (limit !== undefined && !/^[0-9]+$/.test(limit)) {
      throw new FactoryError('usage', 'image-factory enroll: --discovery-limit must be a whole number');
    }
    const entry: ImageEntry = {
      name: values.name,
      registry: values.registry,
      repository: values.repository,
      ...(values.managed
        ? {
            source: {
              provider: values.provider,
              repo,
              ...(values.branch === undefined ? {} : { branch: values.branch }),
              dockerfile: values.dockerfile,
              ...(values.workflow === undefined ? {} : { workflow: values.workflow }),
              ...(Object.keys(buildArgs).length === 0 ? {} : { buildArgs }),
              ...(values['trigger-key-input'] === undefined ? {} : { triggerKeyInput: values['trigger-key-input'] }),
            },
          }
        : {}),
      ...(values['rebuild-delay'] === undefined ? {} : { rebuildDelay: values['rebuild-delay'] }),
      ...(values['allow-tags'] === undefined ? {} : { allowTags: values['allow-tags'] }),
      ...(values.strategy === undefined ? {} : { imageSelectionStrategy: values.strategy }),
      ...(values.constraint === undefined ? {} : { constraint: values.constraint }),
      ...(values['strict-semvers'] === undefined
        ? {}
        : { strictSemvers: parseBoolean('strict-semvers', values['strict-semvers']) }),
      ...(limit === undefined ? {} : { discoveryLimit: Number(limit) }),
      ...(values.platform === undefined ? {} : { platform: values.platform }),
      ...(values.interval === undefined ? {} : { interval: values.interval }),
    };
    const result = await enrolImage(paths(values, io), entry);
    report(result, io, `enrolled ${String(values.name)} (${values.managed ? 'managed' : 'external'})`, {
      on: values.json,
      action: 'enroll',
      image: String(values.name),
    });
    return EXIT_OK;
  },
});

/** The `unenroll` command. */
export const unenrollCommand = defineCommand({
  name: 'unenroll',
  summary: 'remove an image from images.yaml (and its Kargo pipeline)',
  help: UNENROLL_HELP,
  options: PATH_OPTIONS,
  positionals: true,
  async run(values, positionals, io) {
    const [name, ...extra] = positionals;
    if (name === undefined || extra.length > 0)
      throw new FactoryError('usage', 'image-factory unenroll: name exactly one image (see --help)');
    const result = await unenrolImage(paths(values, io), name);
    report(result, io, `unenrolled ${name}; run image-factory sync to drop its state`, {
      on: values.json,
      action: 'unenroll',
      image: name,
    });
    return EXIT_OK;
  },
});

/** The `kustomize` command. */
export const kustomizeCommand = defineCommand({
  name: 'kustomize',
  summary: 'rewrite the managed images’ Kargo pipelines in kustomize/image-factory from images.yaml',
  help: KUSTOMIZE_HELP,
  options: PATH_OPTIONS,
  async run(values, _positionals, io) {
    report(await refreshKustomize(paths(values, io)), io, 'kustomize/image-factory is in step with images.yaml', {
      on: values.json,
      action: 'kustomize',
      image: null,
    });
    return EXIT_OK;
  },
});
