/** `image-factory report`: one self-contained HTML page (or JSON, OpenMetrics) of the graph, ages, freshness and rebuilds. */
import { resolve } from 'node:path';
import { FactoryError, messageOf } from '../../errors.js';
import { liveStatus } from '../../registry/live-status.js';
import { renderReportPage } from '../../report/html.js';
import { buildReport } from '../../report/model.js';
import { renderOpenMetrics } from '../../report/openmetrics.js';
import { writeFileAtomic } from '../../util/files.js';
import { parseTime } from '../../util/time.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { CHECKOUT_OPTIONS, readCheckout } from '../repository-options.js';
import { defineCommand, EXIT_OK, HELP_OPTION, type OptionSpecs, renderHelp } from '../usage.js';

const OPTIONS = {
  ...CHECKOUT_OPTIONS,
  format: {
    type: 'string',
    default: 'html',
    value: 'html|json|openmetrics',
    help: 'html (one self-contained page), json (shape in docs/cli.md) or openmetrics (gauges for Prometheus)',
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
  exit: '0 written, 1 invalid images.yaml or state (--live: a lookup was refused or found nothing), 2 usage error or no\nimages.yaml at --root, 3 (--live) a registry kept failing. With --live, the registries that failed are named on\nstderr, in the page and in the JSON ("live.failedRegistries"); the report is still written.',
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

/** `--now` as milliseconds: an RFC 3339 time, a real calendar instant. */
function nowFrom(text: string): number {
  const parsed = parseTime(text);
  if (!parsed.ok) throw new FactoryError('usage', `image-factory report: --now: ${parsed.error}`);
  return parsed.ms;
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
    const { enrolment, state } = await readCheckout(values, io);
    const now = values.now === undefined ? (io.now?.() ?? new Date()) : new Date(nowFrom(values.now));
    let live: Awaited<ReturnType<typeof liveStatus>> | undefined;
    if (values.live) {
      const client = await registryClientFrom('report', values, io);
      live = await liveStatus(client, state, { concurrency: 8, now });
      for (const f of live.status.failedRegistries) {
        io.stderr(`warning: registry ${f.registry} failed for ${f.images.join(', ')}: ${f.error}\n`);
      }
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
