/**
 * The `image-factory` command line as a library: `runCli(argv, io)` dispatches to one subcommand and returns the
 * exit code. Importing it runs nothing; the process entry is `bin.ts` (and the committed `bin/image-factory.mjs`).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exitCodeOf, FactoryError, messageOf } from '../errors.js';
import { defaultLogFormat } from '../log/logger.js';
import { redact } from '../log/redact.js';
import { analyzeCommand } from './commands/analyze.js';
import { complianceCommand } from './commands/compliance.js';
import { enrollCommand, kustomizeCommand, unenrollCommand } from './commands/enroll.js';
import { inspectCommand } from './commands/inspect.js';
import { parseCommand } from './commands/parse.js';
import { rebuildCommand } from './commands/rebuild.js';
import { reportCommand } from './commands/report.js';
import { requestCommand } from './commands/request.js';
import { scanCommand } from './commands/scan.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { synthCommand } from './commands/synth.js';
import { validateCommand } from './commands/validate.js';
import { type Command, type CommandIO, EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './usage.js';

/** Every command, in the order `--help` lists them: what the CLI dispatches on, and what tests check its docs against. */
export const COMMANDS: readonly Command[] = [
  parseCommand,
  validateCommand,
  analyzeCommand,
  syncCommand,
  synthCommand,
  enrollCommand,
  unenrollCommand,
  kustomizeCommand,
  statusCommand,
  inspectCommand,
  rebuildCommand,
  scanCommand,
  complianceCommand,
  reportCommand,
  requestCommand,
];

/** Set by the bundler (scripts/bundle.mjs); undefined when running from the package. */
declare const __IMAGE_FACTORY_VERSION__: string | undefined;

function version(): string {
  if (typeof __IMAGE_FACTORY_VERSION__ === 'string') return __IMAGE_FACTORY_VERSION__;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: image-factory <command> [options]

Keeps an organisation's container images rebuilt on fresh base images, driven by Kargo.

Commands:
${list}

Global options:
  -h, --help     show help (also: image-factory <command> --help)
  --version      print the version
  --verbose      print the stack trace of an unexpected error

Examples:
  image-factory parse apps/backstage/Dockerfile
  image-factory validate --images images.yaml --root .
  image-factory analyze --image backstage --tag 0.6.3 --digest sha256:... --git-repo https://github.com/acme/gitops.git
  image-factory sync --git-repo https://github.com/acme/gitops.git
  image-factory synth --root . --out dist
  image-factory inspect node:22-bookworm-slim --json
`;
}

/**
 * The value of option `name` in a command's argv, read as parseArgs reads options (so neither a value of another
 * option nor anything after `--` counts): the string given, true for a bare flag, undefined when absent.
 */
function optionIn(args: readonly string[], name: string, type: 'string' | 'boolean'): string | boolean | undefined {
  try {
    const { tokens } = parseArgs({
      args: [...args],
      options: { [name]: { type } },
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    const token = tokens.find((t) => t.kind === 'option' && t.name === name);
    return token?.kind === 'option' ? (token.value ?? true) : undefined;
  } catch {
    return undefined;
  }
}

/** The stack of an error and of every cause under it (what --verbose prints). */
function withCauses(error: Error): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    if (current instanceof Error) {
      parts.push(`${depth === 0 ? '' : 'caused by: '}${current.stack ?? current.message}`);
      current = current.cause;
    } else {
      parts.push(`caused by: ${String(current)}`);
      current = undefined;
    }
  }
  return parts.join('\n');
}

/** The `--log-format` a command was given, or the default for this environment. */
function logFormatOf(args: readonly string[], env: CommandIO['env']): string {
  const given = optionIn(args, 'log-format', 'string');
  return typeof given === 'string' ? given : defaultLogFormat(env);
}

/** Run the CLI with explicit arguments and IO; returns the exit code. */
export async function runCli(argv: readonly string[], io: CommandIO): Promise<number> {
  // --verbose is an option: before the command (global) or among the command's own options, never a value of
  // another option nor anything after `--`.
  const leading = argv.findIndex((a) => a !== '--verbose');
  const [name, ...rest] = leading === -1 ? [] : argv.slice(leading);
  const verbose = leading !== 0 || optionIn(rest, 'verbose', 'boolean') !== undefined;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version') {
    io.stdout(`${version()}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr(`image-factory: unknown command "${name}" (see image-factory --help)\n`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const known = error instanceof FactoryError;
    const message = known ? error.message : `image-factory ${name}: unexpected error: ${messageOf(error)}`;
    const exit = known ? exitCodeOf(error.code) : EXIT_INVALID;
    const stack = verbose && error instanceof Error ? withCauses(error) : undefined;
    if (command.logs === true && logFormatOf(rest, io.env) === 'json') {
      // Every line of a JSON log is JSON, the last one included.
      const fields = { code: known ? error.code : 'internal', exit, ...(stack === undefined ? {} : { stack }) };
      io.stderr(
        `${JSON.stringify({ time: new Date().toISOString(), level: 'error', step: 'exit', msg: message, ...fields })}\n`,
      );
      return exit;
    }
    io.stderr(`${message}\n`);
    if (stack !== undefined) io.stderr(`${stack}\n`);
    return exit;
  }
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The real process's streams and environment, every line redacted. */
export function processIO(): CommandIO {
  return {
    stdout: (text) => process.stdout.write(redact(text)),
    stderr: (text) => process.stderr.write(redact(text)),
    readStdin: readAllStdin,
    env: process.env,
    cwd: process.cwd(),
  };
}
