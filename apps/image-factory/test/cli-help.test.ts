/** Every command's --help is rendered from the options it declares: one declaration for parsing and for help. */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/main.js';
import { type OptionSpecs, renderHelp } from '../src/cli/usage.js';
import { cli } from './helpers.js';

/** The options each command declares (its parser reads exactly these, strictly), from the CLI's own registry. */
const declared = new Map<string, OptionSpecs>(
  COMMANDS.flatMap((c) => (c.options === undefined ? [] : [[c.name, c.options] as const])),
);

/** What the chart's `@image-factory/chart/options` module exports: its entry point's declarations (the tool's shape). */
const ChartOptionsModule = Type.Object({
  SYNTH_OPTIONS: Type.Record(
    Type.String(),
    Type.Object({
      type: Type.Union([Type.Literal('string'), Type.Literal('boolean')]),
      short: Type.Optional(Type.String()),
      default: Type.Optional(Type.Union([Type.String(), Type.Boolean()])),
      value: Type.Optional(Type.String()),
      help: Type.String(),
    }),
  ),
});

/**
 * `synth` forwards its argv to the chart's entry point, which parses it against the declarations it exports: loaded
 * at run time by name, as `synth` finds the entry point (the tool never imports the chart package).
 */
async function chartDeclarations(): Promise<OptionSpecs> {
  const specifier: string = '@image-factory/chart/options';
  const loaded: unknown = await import(specifier);
  if (!Value.Check(ChartOptionsModule, loaded)) throw new Error(`${specifier} does not export SYNTH_OPTIONS`);
  return loaded.SYNTH_OPTIONS;
}
declared.set('synth', await chartDeclarations());

/**
 * The CLI's registry of commands, as `image-factory --help` lists it (main.ts renders that list from the same
 * COMMANDS array it dispatches on): one `  name  summary` line each under "Commands:".
 */
async function registeredCommands(): Promise<string[]> {
  const main = await cli(['--help']);
  expect(main.status).toBe(0);
  const block = /\nCommands:\n((?: {2}\S.*\n)+)/.exec(main.stdout)?.[1];
  expect(block, 'image-factory --help lists its commands').toBeDefined();
  return (block ?? '').split('\n').flatMap((line) => /^ {2}([a-z-]+) {2,}\S/.exec(line)?.[1] ?? []);
}

const commands = await registeredCommands();

/**
 * Commands whose options belong to another program: `synth` forwards its argv, --help included, to the chart's
 * entry point (cdk8s/image-factory/main.ts), which declares and parses them itself (checked below against the
 * declarations it exports).
 */
const FORWARDED = new Set(['synth']);

/** The options a --help lists: `  [-x, ]--name[ VALUE]` at the start of a line. */
function listedOptions(help: string): { name: string; short: string | undefined; value: string | undefined }[] {
  return [...help.matchAll(/^ {2}(?:-(\w), )?--([a-z][a-z-]*)(?: (\S+))?/gm)].map((m) => ({
    name: m[2] ?? '',
    short: m[1],
    value: m[3],
  }));
}

describe('--help', () => {
  it('renders each option from its declaration: placeholder, continuation lines, a long flag on its own line', () => {
    const help = renderHelp({
      usage: ['demo [options]'],
      description: 'A demo.',
      sections: [
        [
          'Options',
          {
            root: { type: 'string', value: 'DIR', help: 'the root\n(default .)' },
            'a-very-long-option-name': { type: 'string', value: 'VALUE', help: 'long' },
            quiet: { type: 'boolean', short: 'q', help: 'say less' },
          },
        ],
      ],
      exit: '0 ok.',
      examples: ['image-factory demo --root .'],
    });
    expect(help).toBe(
      [
        'Usage: image-factory demo [options]',
        '',
        'A demo.',
        '',
        'Options:',
        '  --root DIR                  the root',
        '                              (default .)',
        '  --a-very-long-option-name VALUE',
        '                              long',
        '  -q, --quiet                 say less',
        '',
        'Exit status: 0 ok.',
        '',
        'Examples:',
        '  image-factory demo --root .',
        '',
      ].join('\n'),
    );
  });

  it('the registry lists every command the README documents, and every command defined is registered', () => {
    // The README's command reference: parse, validate, analyze, sync, synth, enroll, unenroll, kustomize, status,
    // inspect, rebuild, compliance, report (a floor: a command added later joins the loop below on its own).
    expect(commands).toEqual(
      expect.arrayContaining([
        'parse',
        'validate',
        'analyze',
        'sync',
        'synth',
        'enroll',
        'unenroll',
        'kustomize',
        'status',
        'inspect',
        'rebuild',
        'compliance',
        'report',
      ]),
    );
    expect(new Set(commands).size).toBe(commands.length);
    // A command defined but left out of the registry could be neither run nor found in --help.
    expect([...declared.keys()].filter((name) => !commands.includes(name))).toEqual([]);
    // Every registered command declares its options, or forwards them to a program that does.
    expect(commands.filter((name) => !declared.has(name) && !FORWARDED.has(name))).toEqual([]);
  });

  it.each(commands)('%s --help exits 0 and prints its usage, and every option it lists parses', async (name) => {
    const result = await cli([name, '--help']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: image-factory ${name} `));
    const listed = listedOptions(result.stdout);
    expect(listed.map((o) => o.name)).toContain('help');
    // Declared once: every option the help lists is one the command accepts (the parser refuses any other, naming
    // it). All in one run: `synth` starts the chart's own process for each.
    const probe = await cli([
      name,
      ...listed.map(({ name: flag, value }) => (value === undefined ? `--${flag}` : `--${flag}=x`)),
      '--help',
    ]);
    expect(probe.stderr).toBe('');
    expect(probe.status).toBe(0);
  });

  it.each(commands)(
    '%s --help lists every option the command declares, with its short form and placeholder, exit status and examples',
    async (name) => {
      const result = await cli([name, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/\nExit status: /);
      expect(result.stdout).toMatch(new RegExp(`\nExamples:\n {2}.*image-factory ${name}[ \n]`));
      const listed = new Map(listedOptions(result.stdout).map((o) => [o.name, o]));
      const options = Object.entries(declared.get(name) ?? {});
      expect(options.length).toBeGreaterThan(1);
      for (const [option, spec] of options) {
        const line = listed.get(option);
        expect(line, `${name} --help lists --${option}`).toBeDefined();
        expect(line?.short, `${name} --${option}: short form`).toBe(spec.short);
        // A string option shows what its value looks like; a flag shows none.
        if (spec.type === 'string') expect(line?.value, `${name} --${option}: placeholder`).toBe(spec.value);
        else expect(line?.value, `${name} --${option}: no placeholder`).toBeUndefined();
      }
    },
  );
});
