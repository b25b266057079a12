/** `image-factory report`: the dependency graph, ages, freshness and pending rebuilds, as data for other tools. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadEnrolment } from '../../enrolment/load.js';
import { FactoryError, messageOf } from '../../errors.js';
import { liveStatus, releasesInState } from '../../registry/live-status.js';
import { renderReportPage } from '../../report/html.js';
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
    default: 'html',
    value: 'html|json|openmetrics',
    help: 'html (one self-contained page), json (shape in the README) or openmetrics (gauges for Prometheus)',
  },
  json: { type: 'boolean', default: false, help: 'the same as --format json' },
  out: { type: 'string', value: 'FILE', help: 'write to FILE (atomically) instead of stdout' },
  now: { type: 'string', value: 'RFC3339', help: 'the time the report is as of (ages, "generated"); default now' },
  live: { type: 'boolean', default: false, help: 'ask the registries first: build ages, release times and staleness' },
  ...REGISTRY_OPTIONS,
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: ['report [--root DIR] [--out FILE] [--live] [--json | --format html|json|openmetrics]'],
  description: `One self-contained HTML page (no server, no CDN, nothing fetched when opened) of everything the factory
knows about a GitOps repository: the dependency graph (SVG laid out by Graphviz), and every image with its last
analysed build, age, bases and their freshness, pending rebuild (due, and why: delay, urgent, waiting for an
ancestor) and last trigger. --json writes the same data as JSON; --format openmetrics the summary as gauges for a
Prometheus textfile collector or Pushgateway.`,
  sections: [['Options', OPTIONS]],
  exit: '0 written, 1 invalid images.yaml or state, 2 usage error or unreadable file, 3 (--live) a registry kept failing.',
  examples: [
    'image-factory report --out report.json',
    'image-factory report --format openmetrics --out /var/lib/node_exporter/image-factory.prom',
  ],
});

/** The HTML page; Graphviz (wasm) is loaded only for it, and the in-cluster bundle leaves it out. */
async function htmlPage(report: ReturnType<typeof buildReport>): Promise<string> {
  try {
    return await renderReportPage(report);
  } catch (error) {
    if (messageOf(error).includes('@hpcc-js/wasm-graphviz')) {
      throw new FactoryError(
        'usage',
        'the HTML report needs @hpcc-js/wasm-graphviz, which the in-cluster bundle leaves out: run it from the repository (npx image-factory report), or use --format json',
        { cause: error },
      );
    }
    throw error;
  }
}

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'one HTML page (or JSON, OpenMetrics): the graph, ages, freshness and pending rebuilds',
  help: HELP,
  options: OPTIONS,
  async run(values, _positionals, io) {
    const format = values.json ? 'json' : (values.format ?? 'html');
    if (format !== 'html' && format !== 'json' && format !== 'openmetrics') {
      throw new FactoryError('usage', 'image-factory report: --format takes html, json or openmetrics');
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
    if (values.now !== undefined && Number.isNaN(Date.parse(values.now))) {
      throw new FactoryError('usage', `image-factory report: --now "${values.now}" is not an RFC 3339 time`);
    }
    const now = values.now === undefined ? (io.now?.() ?? new Date()) : new Date(values.now);
    let live: Awaited<ReturnType<typeof liveStatus>> | undefined;
    if (values.live) {
      const client = await registryClientFrom('report', values, io);
      live = await liveStatus(client, state, { concurrency: 8, now, knownReleases: releasesInState(state) });
    }
    const report = buildReport(state, enrolment, now, live?.status);
    const output =
      format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : format === 'openmetrics'
          ? renderOpenMetrics(report)
          : await htmlPage(report);
    if (values.out === undefined) io.stdout(output);
    else await writeFileAtomic(resolve(io.cwd, values.out), output);
    return live?.exitCode ?? EXIT_OK;
  },
});
