/** `image-factory parse`: print the images one or more Dockerfiles are built from. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDockerfile } from '../../dockerfile/parse.js';
import type { FileAnalysis } from '../../dockerfile/types.js';
import { messageOf } from '../../errors.js';
import { formatAnalysisTable } from '../format-table.js';
import {
  type CommandIO,
  defineCommand,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_USAGE,
  HELP_OPTION,
  type OptionSpecs,
  parseKeyValues,
  renderHelp,
} from '../usage.js';

const OPTIONS = {
  'build-arg': {
    type: 'string',
    multiple: true,
    value: 'NAME=VALUE',
    help: 'override the default of an ARG declared in the Dockerfile\n(repeatable), as docker build --build-arg does',
  },
  json: {
    type: 'boolean',
    default: false,
    help: 'print the JSON contract (one object for one file, an array for several)',
  },
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: ['parse <Dockerfile|->... [--build-arg NAME=VALUE]... [--json]'],
  description: `Print the images each Dockerfile is built from: FROM base images, COPY --from and
RUN --mount from= images, and the # syntax= frontend image, with their normalised
references, stage, --platform and line.`,
  arguments: [['<Dockerfile|->', 'one or more Dockerfiles; "-" reads standard input']],
  sections: [['Options', OPTIONS]],
  exit: '0 parsed (warnings allowed), 1 a Dockerfile has errors, 2 usage error or unreadable file.',
  examples: [
    'image-factory parse apps/backstage/Dockerfile',
    'image-factory parse Dockerfile --build-arg NODE_MAJOR=22 --json',
    'cat Dockerfile | image-factory parse - --json',
  ],
});

async function readSource(file: string, io: CommandIO): Promise<string> {
  if (file === '-') return io.readStdin();
  return readFile(resolve(io.cwd, file), 'utf8');
}

/** The `parse` command. */
export const parseCommand = defineCommand({
  name: 'parse',
  summary: 'print the base images a Dockerfile is built from',
  help: HELP,
  options: OPTIONS,
  positionals: true,
  async run(values, positionals, io) {
    if (positionals.length === 0) {
      io.stderr('image-factory parse: name at least one Dockerfile, or - for standard input (see --help)\n');
      return EXIT_USAGE;
    }
    const buildArgs = parseKeyValues('parse', 'build-arg', values['build-arg'] ?? []);
    const results: FileAnalysis[] = [];
    let status = EXIT_OK;
    for (const file of positionals) {
      let text: string;
      try {
        text = await readSource(file, io);
      } catch (error) {
        io.stderr(`image-factory parse: cannot read ${file}: ${messageOf(error)}\n`);
        status = EXIT_USAGE;
        continue;
      }
      const analysis = { file, ...parseDockerfile(text, { buildArgs }) };
      if (analysis.diagnostics.some((d) => d.severity === 'error') && status === EXIT_OK) status = EXIT_INVALID;
      results.push(analysis);
    }
    if (values.json) {
      const payload = positionals.length === 1 ? (results[0] ?? null) : results;
      if (payload !== null) io.stdout(`${JSON.stringify(payload, null, 2)}\n`);
    } else {
      io.stdout(results.map(formatAnalysisTable).join('\n'));
    }
    return status;
  },
});
