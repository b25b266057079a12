#!/usr/bin/env node
/** The chart's entry point: `node lib/main.js --root DIR --out DIR` (cdk8s.yaml runs it; `image-factory synth` forwards to it). */
import { parseArgs } from 'node:util';
import { EXIT, exitCodeOf, FactoryError } from 'image-factory';
import { synthesise } from './src/synth.js';

const HELP = `Usage: image-factory synth --root DIR --out DIR [options]
       node cdk8s/image-factory/lib/main.js --root DIR --out DIR [options]

Synthesise Kargo Warehouses for the base and external images of a GitOps repository
(images.yaml + image-factory/state) into <out>/image-factory.k8s.yaml. Every object is
validated against the vendored Kargo CRDs and subscription schemas; nothing is written if
any is invalid.

Options:
  --root DIR                 the GitOps repository root (default .)
  --out DIR                  output folder (default dist)
  --images FILE              images.yaml, relative to --root (default images.yaml)
  --image-factory-dir DIR    folder holding state/, relative to --root (default image-factory)
  --namespace NAME           Kargo Project namespace (default image-factory-kargo)
  --legacy-allow-tags        write allowTags instead of allowTagsRegexes (Kargo < 1.11 only)
  -h, --help                 show this help

Example:
  image-factory synth --root ../gitops --out ../gitops/manifests
`;

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        root: { type: 'string', default: '.' },
        out: { type: 'string', default: 'dist' },
        images: { type: 'string' },
        'image-factory-dir': { type: 'string' },
        namespace: { type: 'string' },
        'legacy-allow-tags': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`image-factory synth: ${(error as Error).message} (see --help)\n`);
    return EXIT.usage;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    const result = await synthesise({
      root: values.root as string,
      out: values.out as string,
      ...(typeof values.images === 'string' ? { images: values.images } : {}),
      ...(typeof values['image-factory-dir'] === 'string' ? { imageFactoryDir: values['image-factory-dir'] } : {}),
      ...(typeof values.namespace === 'string' ? { namespace: values.namespace } : {}),
      legacyAllowTags: values['legacy-allow-tags'] === true,
    });
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    const base = result.warehouses.filter((w) => w.kind === 'base').length;
    process.stdout.write(
      `wrote ${result.file}: ${result.warehouses.length} Warehouse(s) (${base} base, ${result.warehouses.length - base} external) and ${base} rebuild Stage(s)\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`image-factory synth: ${(error as Error).message}\n`);
    return error instanceof FactoryError ? exitCodeOf(error.code) : EXIT.invalid;
  }
}

main().then((code) => {
  process.exitCode = code;
});
