/** `image-factory report`: the dependency graph, ages, freshness and pending rebuilds, as data for other tools. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadEnrolment } from '../../enrolment/load.js';
import { FactoryError, messageOf } from '../../errors.js';
import { liveStatus, releasesInState } from '../../registry/live-status.js';
import { buildReport } from '../../report/model.js';
import { renderOpenMetrics } from '../../report/openmetrics.js';
import { readState } from '../../state/store.js';
import { writeFileAtomic } from '../../util/files.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { defineCommand, EXIT_OK, HELP_OPTION, type OptionSpecs, renderHelp, STATE_DIR_OPTION } from '../usage.js';

const OPTIONS = {
  root: { type: 'string', default: '.', value: 'DIR', help: 'the GitOps repository root (default .)' },
  images: {
    type: 'string',
    default: 'images.yaml',
    value: 'FILE',
    help: 'images.yaml, relative to --root (default images.yaml)',
  },
  ...STATE_DIR_OPTION,
  format: {
    type: 'string',
    default: 'json',
    value: 'json|openmetrics',
    help: 'json (shape in the README) or openmetrics (gauges for Prometheus)',
  },
  json: { type: 'boolean', default: false, help: 'the same as --format json' },
  out: { type: 'string', value: 'FILE', help: 'write to FILE (atomically) instead of stdout' },
  live: { type: 'boolean', default: false, help: 'ask the registries first: build ages, release times and staleness' },
  ...REGISTRY_OPTIONS,
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: ['report [--root DIR] [--format json|openmetrics] [--out FILE] [--live]'],
  description: `Everything the factory knows about a GitOps repository, for other tools: every image with its last
analysed build, age, bases and their freshness, pending rebuild (due, and why: delay, urgent, waiting for an
ancestor) and last trigger; the base images; the dependency graph as nodes and edges; a summary. --format
openmetrics writes the summary as gauges for a Prometheus textfile collector or Pushgateway. (The HTML page of
DESIGN §13 is not built yet.)`,
  sections: [['Options', OPTIONS]],
  exit: '0 written, 1 invalid images.yaml or state, 2 usage error or unreadable file, 3 (--live) a registry kept failing.',
  examples: [
    'image-factory report --out report.json',
    'image-factory report --format openmetrics --out /var/lib/node_exporter/image-factory.prom',
  ],
});

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'the graph, ages, freshness and pending rebuilds as JSON or OpenMetrics',
  help: HELP,
  options: OPTIONS,
  async run(values, _positionals, io) {
    const format = values.json ? 'json' : (values.format ?? 'json');
    if (format !== 'json' && format !== 'openmetrics') {
      throw new FactoryError('usage', 'image-factory report: --format takes json or openmetrics');
    }
    const root = resolve(io.cwd, values.root ?? '.');
    const imagesFile = join(root, values.images ?? 'images.yaml');
    let text: string;
    try {
      text = await readFile(imagesFile, 'utf8');
    } catch (error) {
      throw new FactoryError('io', `cannot read ${imagesFile}: ${messageOf(error)}`);
    }
    const enrolment = loadEnrolment(text, values.images ?? 'images.yaml');
    const state = await readState(join(root, values['image-factory-dir'] ?? 'image-factory', 'state'));
    const now = io.now?.() ?? new Date();
    let live: Awaited<ReturnType<typeof liveStatus>> | undefined;
    if (values.live) {
      const client = await registryClientFrom('report', values, io);
      live = await liveStatus(client, state, { concurrency: 8, now, knownReleases: releasesInState(state) });
    }
    const report = buildReport(state, enrolment, now, live?.status);
    const output = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderOpenMetrics(report);
    if (values.out === undefined) io.stdout(output);
    else await writeFileAtomic(resolve(io.cwd, values.out), output);
    return live?.exitCode ?? EXIT_OK;
  },
});
