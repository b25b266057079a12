/** Shared CLI plumbing: argument parsing with clear usage errors, and the exit codes every command uses. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseMilliseconds } from '../enrolment/duration.js';
import { EXIT, FactoryError } from '../errors.js';

/** Exit codes (the whole table is EXIT in errors.ts): 0 success, 1 the input has errors, 2 usage or unreadable input. */
export const EXIT_OK: number = EXIT.ok;
export const EXIT_INVALID: number = EXIT.invalid;
export const EXIT_USAGE: number = EXIT.usage;

/** What a command writes to; injected so commands are testable without a process. */
export interface CommandIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The clock (ages in reports); the real one when absent. */
  readonly now?: () => Date;
}

/**
 * One option, declared once: parseArgs reads `type`, `short`, `multiple` and `default` (it ignores the rest), and
 * the help text is rendered from `value` and `help`.
 */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  /** The value's placeholder in help (`DIR`, `NAME=VALUE`); none for a boolean. */
  readonly value?: string;
  /** What it does; the default is said here too. */
  readonly help: string;
}

/** Options by name. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** `-h, --help`, which every command takes. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false, help: 'show this help' } } as const;

/** `--image-factory-dir`, for the commands that read a GitOps repository under `--root`. */
export const STATE_DIR_OPTION = {
  'image-factory-dir': {
    type: 'string',
    default: 'image-factory',
    value: 'DIR',
    help: 'folder holding state/, relative to --root (default image-factory)',
  },
} as const satisfies OptionSpecs;

/** What a command's --help shows; every option line comes from its declaration. */
export interface HelpSpec {
  /** After `Usage: image-factory `, one line per form. */
  readonly usage: readonly string[];
  readonly description: string;
  /** Titled groups of options, in order. */
  readonly sections: readonly (readonly [title: string, options: OptionSpecs])[];
  readonly arguments?: readonly (readonly [name: string, help: string])[];
  readonly exit?: string;
  readonly examples: readonly string[];
}

const wrapHelp = (text: string, indent: number) => text.split('\n').join(`\n${' '.repeat(indent)}`);

/** Render --help from the declarations. */
export function renderHelp(spec: HelpSpec): string {
  const lines = spec.usage.map((form, i) => `${i === 0 ? 'Usage: ' : '       '}image-factory ${form}`);
  lines.push('', spec.description);
  const column = 30;
  const row = (left: string, help: string) =>
    `  ${left.padEnd(column - 2)}${left.length > column - 3 ? `\n${' '.repeat(column)}` : ''}${wrapHelp(help, column)}`;
  if (spec.arguments !== undefined && spec.arguments.length > 0) {
    lines.push('', 'Arguments:', ...spec.arguments.map(([name, help]) => row(name, help)));
  }
  for (const [title, options] of spec.sections) {
    lines.push('', `${title}:`);
    for (const [name, option] of Object.entries(options)) {
      const flag = `${option.short === undefined ? '' : `-${option.short}, `}--${name}${option.value === undefined ? '' : ` ${option.value}`}`;
      lines.push(row(flag, option.help));
    }
  }
  if (spec.exit !== undefined) lines.push('', `Exit status: ${spec.exit}`);
  lines.push('', 'Examples:', ...spec.examples.map((example) => `  ${example}`));
  return `${lines.join('\n')}\n`;
}

/** One subcommand of `image-factory`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** Takes `--log-format` (its final error is then a log line like the others). */
  readonly logs?: boolean;
  /**
   * The options its parser reads (and its help lists), as declared; absent for a command that forwards its argv to
   * another program (`synth`: the chart's entry point declares its own).
   */
  readonly options?: OptionSpecs;
  run(args: readonly string[], io: CommandIO): Promise<number>;
}

/** The values parseArgs gives for declared options. */
export type OptionValues<O extends OptionSpecs> = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: boolean; options: O }>
>['values'];

/**
 * A command from its declarations: the runner parses argv against `options` (usage errors name the command),
 * answers `--help` with the help rendered from them, and only then calls `run` with typed values.
 */
export function defineCommand<O extends OptionSpecs & typeof HELP_OPTION>(spec: {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  readonly options: O;
  /** Takes positional arguments (file names, an image name). @default false */
  readonly positionals?: boolean;
  readonly logs?: boolean;
  run(values: OptionValues<O>, positionals: readonly string[], io: CommandIO): Promise<number>;
}): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    help: spec.help,
    options: spec.options,
    ...(spec.logs === true ? { logs: true } : {}),
    async run(args, io) {
      const { values, positionals } = parseCommandArgs<{ args: string[]; allowPositionals: boolean; options: O }>(
        spec.name,
        { args: [...args], allowPositionals: spec.positionals ?? false, options: spec.options },
      );
      if (Reflect.get(values, 'help') === true) {
        io.stdout(spec.help);
        return EXIT_OK;
      }
      return spec.run(values, positionals, io);
    },
  };
}

/** parseArgs with strict checking, turning its errors into usage errors that name the command. */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    // Every command takes the global --verbose among its own options (main reads it).
    const options = { ...config.options, verbose: { type: 'boolean' } } as const;
    return parseArgs<T>({ strict: true, ...config, options });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FactoryError('usage', `image-factory ${command}: ${reason} (see image-factory ${command} --help)`);
  }
}

/** A duration option's value in milliseconds (`500ms`, `30s`, `8m`); `fallbackMs` when the option is absent. */
export function durationOption(command: string, flag: string, given: string | undefined, fallbackMs: number): number {
  if (given === undefined) return fallbackMs;
  const ms = parseMilliseconds(given);
  if (ms === null || ms <= 0) {
    throw new FactoryError('usage', `image-factory ${command}: --${flag} must be a duration such as 500ms, 30s, 8m`);
  }
  return ms;
}

/** Parse repeated `NAME=VALUE` flags (e.g. --build-arg) into a record. */
export function parseKeyValues(command: string, flag: string, values: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) {
      throw new FactoryError('usage', `image-factory ${command}: --${flag} takes NAME=VALUE, got "${value}"`);
    }
    result[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return result;
}

/** Write one JSON document on stdout (two-space indented, one trailing newline). */
export function writeJson(io: CommandIO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
