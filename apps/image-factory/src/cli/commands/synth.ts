/**
 * `image-factory synth`: forwards to the cdk8s chart's entry point. The chart package depends on this tool,
 * not the reverse, so it is located at run time instead of imported.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { FactoryError } from '../../errors.js';
import { type Command, EXIT_OK } from '../usage.js';

// The flags are the chart's: with the chart installed, --help is forwarded and prints its own list.
const HELP = `Usage: image-factory synth --root DIR --out DIR [options]

Synthesise the Kargo Warehouses for the base and external images of a GitOps repository
(images.yaml + image-factory/state) into <out>/image-factory.k8s.yaml, validated against the
Kargo CRDs. Runs the cdk8s chart (@image-factory/chart, cdk8s/image-factory in this repository),
which is not installed here: its options are listed by image-factory synth --help once it is.
`;

/** Where the chart's entry point is, or null when the chart package is not installed. */
export function chartEntryPoint(): string | null {
  try {
    return createRequire(import.meta.url).resolve('@image-factory/chart/main');
  } catch {
    return null;
  }
}

/** The `synth` command. */
export const synthCommand: Command = {
  name: 'synth',
  summary: 'synthesise Kargo Warehouses (base and external images) for a GitOps repository',
  help: HELP,
  async run(args, io) {
    const entry = chartEntryPoint();
    if (entry === null && (args.includes('--help') || args.includes('-h'))) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    if (entry === null) {
      throw new FactoryError(
        'usage',
        'image-factory synth: the chart package @image-factory/chart is not installed; run it from the image-factory repository (npm install) or install the chart next to the tool',
      );
    }
    return new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [entry, ...args], { cwd: io.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => io.stdout(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => io.stderr(chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    });
  },
};
