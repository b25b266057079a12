/**
 * The entry point's options, declared once: `parseArgs` reads `type`, `short` and `default`, `--help` is rendered
 * from `value` and `help`, and the tool's help test checks `image-factory synth` (which forwards its argv here)
 * against them. The shape is the tool's `OptionSpec`.
 */

/** One option: parseArgs' fields, the value's placeholder in help (none for a flag) and what it does. */
export interface SynthOptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly default?: string | boolean;
  readonly value?: string;
  readonly help: string;
}

/** The options of `image-factory synth` / `node lib/main.js`, in the order --help lists them. */
export const SYNTH_OPTIONS = {
  root: { type: 'string', default: '.', value: 'DIR', help: 'the GitOps repository root (default .)' },
  out: { type: 'string', default: 'dist', value: 'DIR', help: 'output folder (default dist)' },
  images: { type: 'string', value: 'FILE', help: 'images.yaml, relative to --root (default images.yaml)' },
  'image-factory-dir': {
    type: 'string',
    value: 'DIR',
    help: 'folder holding state/, relative to --root (default image-factory)',
  },
  namespace: { type: 'string', value: 'NAME', help: 'Kargo Project namespace (default image-factory-kargo)' },
  'legacy-allow-tags': {
    type: 'boolean',
    default: false,
    help: 'write allowTags instead of allowTagsRegexes (Kargo < 1.11 only)',
  },
  help: { type: 'boolean', short: 'h', default: false, help: 'show this help' },
} as const satisfies Readonly<Record<string, SynthOptionSpec>>;

const USAGE = [
  'image-factory synth --root DIR --out DIR [options]',
  'node cdk8s/image-factory/lib/main.js --root DIR --out DIR [options]',
];

const DESCRIPTION = `Synthesise Kargo Warehouses for the base and external images of a GitOps repository
(images.yaml + image-factory/state) into <out>/image-factory.k8s.yaml. Every object is
validated against the vendored Kargo CRDs and subscription schemas; nothing is written if
any is invalid.`;

const EXIT_STATUS = '0 written; 1 images.yaml, the state or an object is invalid; 2 usage error or unreadable file.';

const EXAMPLES = ['image-factory synth --root ../gitops --out ../gitops/manifests'];

/** The option column's width, as the tool's help renders it. */
const COLUMN = 30;

/** `--help`, every option line rendered from {@link SYNTH_OPTIONS}. */
export function synthHelp(): string {
  const row = (left: string, help: string) =>
    `  ${left.padEnd(COLUMN - 2)}${left.length > COLUMN - 3 ? `\n${' '.repeat(COLUMN)}` : ''}${help}`;
  const options = Object.entries(SYNTH_OPTIONS).map(([name, option]: [string, SynthOptionSpec]) =>
    row(
      `${option.short === undefined ? '' : `-${option.short}, `}--${name}${option.value === undefined ? '' : ` ${option.value}`}`,
      option.help,
    ),
  );
  return [
    ...USAGE.map((form, i) => `${i === 0 ? 'Usage: ' : '       '}${form}`),
    '',
    DESCRIPTION,
    '',
    'Options:',
    ...options,
    '',
    `Exit status: ${EXIT_STATUS}`,
    '',
    'Examples:',
    ...EXAMPLES.map((example) => `  ${example}`),
    '',
  ].join('\n');
}
