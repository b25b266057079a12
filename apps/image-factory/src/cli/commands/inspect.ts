/** `image-factory inspect <reference>`: what a tag points to in its registry, and when that image was created. */
import { FactoryError } from '../../errors.js';
import { normaliseReference } from '../../reference/normalise.js';
import { inspectImage } from '../../registry/inspect.js';
import { parsePlatform } from '../../registry/platform.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { defineCommand, EXIT_OK, HELP_OPTION, type OptionSpecs, renderHelp, writeJson } from '../usage.js';

const OPTIONS = {
  platform: {
    type: 'string',
    value: 'OS/ARCH[/VARIANT]',
    help: 'the platform to describe in a multi-platform image (default linux/amd64, else the first listed)',
  },
  json: { type: 'boolean', default: false, help: 'print the result as JSON (shape in docs/cli.md)' },
  ...REGISTRY_OPTIONS,
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: ['inspect <reference> [--platform OS/ARCH] [--json] [--registry-config FILE] [--insecure-registry HOST:PORT]'],
  description: `Ask the image's registry what <reference> points to: its digest (an index digest for a multi-platform
image, as Kargo's Digest strategy records it), the platforms of an index, and for one platform its creation
time, labels and annotations (org.opencontainers.image.base.digest and .base.name among them). A
reproducible-build epoch date (1970, 1980) is reported as unknown (null). Credentials come from a Docker
config.json and are never printed.`,
  arguments: [
    ['<reference>', 'an image reference as a Dockerfile writes it: node:22-bookworm-slim, ghcr.io/acme/app@sha256:…'],
  ],
  sections: [['Options', OPTIONS]],
  exit: '0 found, 1 not found or refused (unknown tag, 401/403, no such platform), 2 usage error or unreadable\nconfig, 3 the registry kept failing (5xx, network, 429) until the retries ran out: safe to run again.',
  examples: [
    'image-factory inspect node:22-bookworm-slim',
    'image-factory inspect ghcr.io/acme/app:1.4.2 --platform linux/arm64 --json',
    'image-factory inspect localhost:5000/acme/app:dev --insecure-registry localhost:5000',
  ],
});

export const inspectCommand = defineCommand({
  name: 'inspect',
  summary: "read a reference's digest, platforms and creation time from its registry",
  help: HELP,
  options: OPTIONS,
  positionals: true,
  async run(values, positionals, io) {
    if (positionals.length !== 1) {
      throw new FactoryError(
        'usage',
        `image-factory inspect: give exactly one image reference (got ${positionals.length}; see --help)`,
      );
    }
    const ref = normaliseReference(positionals[0] ?? '');
    if (!ref.ok) throw new FactoryError('usage', `image-factory inspect: ${ref.error}`);
    let platform: ReturnType<typeof parsePlatform> | undefined;
    if (values.platform !== undefined) {
      platform = parsePlatform(values.platform);
      if (!platform.ok) throw new FactoryError('usage', `image-factory inspect: --platform ${platform.error}`);
    }
    const client = await registryClientFrom('inspect', values, io);
    const result = await inspectImage(client, ref.value, platform?.ok ? platform.value : undefined);
    if (values.json) {
      writeJson(io, result);
      return EXIT_OK;
    }
    const rows: [string, string][] = [
      ['reference', result.reference],
      ['digest', result.digest],
      ['media type', result.mediaType],
      ...(result.platforms.length === 0
        ? []
        : [['platforms', result.platforms.map((p) => p.platform).join(', ')] as [string, string]]),
      ['platform', result.platform ?? 'unknown'],
      ['created', result.created ?? 'unknown (none recorded, or a reproducible-build epoch date)'],
      ...Object.entries(result.annotations).map(([k, v]): [string, string] => [`annotation ${k}`, v]),
      ...Object.entries(result.labels).map(([k, v]): [string, string] => [`label ${k}`, v]),
      ...(result.rateLimit === null
        ? []
        : [
            ['rate limit', `${result.rateLimit.remaining} of ${result.rateLimit.limit} pulls left`] as [string, string],
          ]),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    io.stdout(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
    return EXIT_OK;
  },
});
