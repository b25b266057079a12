/** Shared CLI plumbing: argument parsing with clear usage errors, and the exit codes every command uses. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
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
}

/** One subcommand of `image-factory`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** Takes `--log-format` (its final error is then a log line like the others). */
  readonly logs?: boolean;
  run(args: readonly string[], io: CommandIO): Promise<number>;
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

/** `--json`: the machine-readable output every command documents in the README. */
export const JSON_OPTION = { json: { type: 'boolean', default: false } } as const;

/** Write one JSON document on stdout (two-space indented, one trailing newline). */
export function writeJson(io: CommandIO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
