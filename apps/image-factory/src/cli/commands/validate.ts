/** `image-factory validate`: the pull-request check for images.yaml. */
import { readFile } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import {
  EnrolmentError,
  type EnrolmentProblem,
  formatProblem,
  loadEnrolment,
  positionOfPath,
} from '../../enrolment/load.js';
import { enrolmentWarnings } from '../../enrolment/warnings.js';
import { FactoryError, messageOf } from '../../errors.js';
import { analyseDockerfile } from '../../state/analysis.js';
import { planStateUpdate } from '../../state/plan.js';
import { readState } from '../../state/store.js';
import { confinedPath, readConfinedFile } from '../../util/confined.js';
import { planWarehouses } from '../../warehouses/plan.js';
import {
  defineCommand,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_USAGE,
  HELP_OPTION,
  type OptionSpecs,
  renderHelp,
  STATE_DIR_OPTION,
  writeJson,
} from '../usage.js';

const OPTIONS = {
  images: {
    type: 'string',
    default: 'images.yaml',
    value: 'FILE',
    help: 'the enrolment to check (default images.yaml)',
  },
  root: {
    type: 'string',
    value: 'DIR',
    help: 'a checkout of the GitOps repository (monorepo) to check Dockerfiles and state in',
  },
  ...STATE_DIR_OPTION,
  json: {
    type: 'boolean',
    default: false,
    help: 'print {"file","valid","managed","external","problems":[{"file","line","column",\n"field","message"}],"warnings":[same shape]} on stdout (problems without a position\nhave only "message")',
  },
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: ['validate [--images FILE] [--root DIR] [--json]'],
  description: `Check images.yaml: the JSON Schema (image-factory/schema/images.schema.json), unique DNS-1123 names,
managed entries (source provider, repo, dockerfile), external entries (registry, repository,
allowTags), that allowTags compile as Kargo (Go RE2) regexes and delays parse (0, 12h, 7d).
With --root (a checkout of the GitOps repository), also that each managed image's Dockerfile exists
there, stays inside it and parses with its buildArgs, and that no image is named like a base image
the state already records (their Kargo Warehouses would be one object). Every problem is printed,
all at once, as file:line:column: field message. Source coordinates are checked as the forges name
them: GitHub repo owner/name (or https://github.com/owner/name, git@github.com:owner/name.git) and
workflow a file name (build.yaml) or numeric id; GitLab repo group/…/project or a numeric id.
Warnings (exit 0) are printed as file:line:column: warning: field message: a managed image
without source.triggerKeyInput (the CI cannot tell a repeated rebuild trigger from a new one), a
GitLab source with a workflow (not used: the pipeline runs on source.branch).`,
  sections: [['Options', OPTIONS]],
  exit: '0 valid, 1 invalid, 2 usage error or unreadable file.',
  examples: ['image-factory validate', 'image-factory validate --images images.yaml --root .'],
});

/** The `validate` command. */
export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'check images.yaml (and, with --root, the managed Dockerfiles)',
  help: HELP,
  options: OPTIONS,
  async run(values, _positionals, io) {
    const file = values.images ?? 'images.yaml';
    let text: string;
    try {
      text = await readFile(resolve(io.cwd, file), 'utf8');
    } catch (error) {
      io.stderr(`image-factory validate: cannot read ${file}: ${messageOf(error)}\n`);
      return EXIT_USAGE;
    }
    let enrolment: ReturnType<typeof loadEnrolment>;
    try {
      enrolment = loadEnrolment(text, file);
    } catch (error) {
      if (!(error instanceof EnrolmentError)) throw error;
      if (values.json) {
        writeJson(io, { file, valid: false, managed: null, external: null, problems: error.problems, warnings: [] });
        return EXIT_INVALID;
      }
      io.stderr(`${error.message}\n`);
      io.stderr(`${file}: ${error.problems.length} problem(s)\n`);
      return EXIT_INVALID;
    }
    const problems: (EnrolmentProblem | string)[] = [];
    if (values.root !== undefined) {
      const root = resolve(io.cwd, values.root);
      for (const image of enrolment.images) {
        if (image.kind !== 'managed') continue;
        try {
          const dockerfile = await readConfinedFile(root, image.source.dockerfile, 'Dockerfile', 'invalid-dockerfile');
          if (dockerfile === null) throw new FactoryError('invalid-dockerfile', 'does not exist');
          analyseDockerfile(dockerfile, image.source.dockerfile, image.source.buildArgs);
        } catch (error) {
          const reason = messageOf(error);
          const index = enrolment.images.indexOf(image);
          const [line, column] = positionOfPath(text, ['images', index, 'source', 'dockerfile']).split(':').map(Number);
          problems.push({
            file,
            line: line ?? 1,
            column: column ?? 1,
            field: `images[${index}].source.dockerfile`,
            message: `${image.source.dockerfile} (image ${image.name}): ${reason}`,
          });
        }
      }
      const stateRel = posix.join(values['image-factory-dir'] ?? 'image-factory', 'state');
      try {
        const state = await readState(await confinedPath(root, stateRel, '--image-factory-dir'), stateRel);
        planWarehouses(enrolment, planStateUpdate(state, enrolment));
      } catch (error) {
        if (!(error instanceof FactoryError)) throw error;
        problems.push(...error.message.split('\n').map((line) => `${file}: ${line}`));
      }
    }
    const managed = enrolment.images.filter((i) => i.kind === 'managed').length;
    const warnings = enrolmentWarnings(text, enrolment, file);
    if (values.json) {
      writeJson(io, {
        file,
        valid: problems.length === 0,
        managed,
        external: enrolment.images.length - managed,
        problems: problems.map((p) => (typeof p === 'string' ? { message: p } : p)),
        warnings,
      });
      return problems.length === 0 ? EXIT_OK : EXIT_INVALID;
    }
    if (warnings.length > 0) {
      io.stderr(
        `${warnings.map((w) => `${w.file}:${w.line}:${w.column}: warning: ${w.field} ${w.message}`).join('\n')}\n`,
      );
    }
    if (problems.length > 0) {
      io.stderr(`${problems.map((p) => (typeof p === 'string' ? p : formatProblem(p))).join('\n')}\n`);
      io.stderr(`${file}: ${problems.length} problem(s)\n`);
      return EXIT_INVALID;
    }
    io.stdout(`${file}: valid (${managed} managed, ${enrolment.images.length - managed} external image(s))\n`);
    return EXIT_OK;
  },
});
