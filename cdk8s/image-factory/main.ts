#!/usr/bin/env node
/** The chart's entry point: `node lib/main.js --root DIR --out DIR` (cdk8s.yaml runs it; `image-factory synth` forwards to it). */
import { parseArgs } from 'node:util';
import { EXIT, exitCodeOf, FactoryError } from 'image-factory';
import type { StageKind } from 'image-factory/internal';
import { stageKinds } from './src/chart.js';
import { SYNTH_OPTIONS, synthHelp } from './src/options.js';
import { synthesise } from './src/synth.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function main(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof SYNTH_OPTIONS; strict: true }>>;
  try {
    parsed = parseArgs({ args, options: SYNTH_OPTIONS, strict: true });
  } catch (error) {
    process.stderr.write(`image-factory synth: ${messageOf(error)} (see --help)\n`);
    return EXIT.usage;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(synthHelp());
    return EXIT.ok;
  }
  try {
    const result = await synthesise({
      root: values.root,
      out: values.out,
      ...(values.images === undefined ? {} : { images: values.images }),
      ...(values['image-factory-dir'] === undefined ? {} : { imageFactoryDir: values['image-factory-dir'] }),
      ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
      legacyAllowTags: values['legacy-allow-tags'],
    });
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    const base = result.warehouses.filter((w) => w.kind === 'base').length;
    const stages = result.warehouses.flatMap(stageKinds);
    const count = (kind: StageKind) => stages.filter((k) => k === kind).length;
    process.stdout.write(
      `wrote ${result.file}: ${result.warehouses.length} Warehouse(s) (${base} base, ${result.warehouses.length - base} external) and ${count('rebuild')} rebuild and ${count('scan')} scan Stage(s)\n`,
    );
    return EXIT.ok;
  } catch (error) {
    process.stderr.write(`image-factory synth: ${messageOf(error)}\n`);
    return error instanceof FactoryError ? exitCodeOf(error.code) : EXIT.invalid;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
