/** `image-factory compliance`: are the workloads running the images the factory thinks they are? */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkCompliance } from '../../compliance/check.js';
import { readPods } from '../../compliance/pods.js';
import { FactoryError, messageOf } from '../../errors.js';
import { normaliseReference } from '../../reference/normalise.js';
import { readState } from '../../state/store.js';
import { compareCodeUnits } from '../../util/compare.js';
import { mapLimit } from '../../util/map-limit.js';
import { formatTable } from '../format-table.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import {
  defineCommand,
  EXIT_INVALID,
  EXIT_OK,
  HELP_OPTION,
  type OptionSpecs,
  renderHelp,
  STATE_DIR_OPTION,
  writeJson,
} from '../usage.js';

const OPTIONS = {
  workloads: {
    type: 'string',
    value: 'FILE',
    help: 'the output of `kubectl get pods --all-namespaces -o json` (- for stdin)',
  },
  root: { type: 'string', default: '.', value: 'DIR', help: 'the GitOps repository root (default .)' },
  ...STATE_DIR_OPTION,
  live: {
    type: 'boolean',
    default: false,
    help: 'ask the registries for the newest digest of each external and base tag (one HEAD each)',
  },
  'fail-on': {
    type: 'string',
    value: 'behind|stale',
    help: 'exit 1 when a container runs behind (not the expected digest), or behind or stale (a rebuild is pending)',
  },
  json: { type: 'boolean', default: false, help: 'print the report as JSON (shape in the README)' },
  ...REGISTRY_OPTIONS,
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: ['compliance --workloads FILE [--root DIR] [--live] [--fail-on behind|stale] [--json]'],
  description: `Compare every container of a pod list with what the factory knows. A managed image should run its
last analysed build (else "behind") with no rebuild pending (else "stale"); an external or base image should run
the newest digest of its tag (--live asks the registry; without it, the digest state records); images the factory
does not know are listed apart. Grouped by namespace and owning workload. Reads nothing from the cluster itself.`,
  sections: [['Options', OPTIONS]],
  exit: '0 compared (and nothing matched --fail-on), 1 --fail-on matched or invalid input, 2 usage error or unreadable\nfile, 3 (--live) a registry kept failing.',
  examples: [
    'kubectl get pods -A -o json > pods.json && image-factory compliance --workloads pods.json',
    'kubectl get pods -A -o json | image-factory compliance --workloads - --live --fail-on behind',
  ],
});

export const complianceCommand = defineCommand({
  name: 'compliance',
  summary: 'compare what runs in the cluster (a pod list) with what the factory knows',
  help: HELP,
  options: OPTIONS,
  async run(values, _positionals, io) {
    if (values.workloads === undefined)
      throw new FactoryError('usage', 'image-factory compliance: --workloads FILE is required (see --help)');
    const failOn = values['fail-on'];
    if (failOn !== undefined && failOn !== 'behind' && failOn !== 'stale') {
      throw new FactoryError('usage', 'image-factory compliance: --fail-on takes behind or stale');
    }
    let text: string;
    try {
      text =
        values.workloads === '-' ? await io.readStdin() : await readFile(resolve(io.cwd, values.workloads), 'utf8');
    } catch (error) {
      throw new FactoryError('io', `cannot read ${values.workloads}: ${messageOf(error)}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new FactoryError('invalid-config', `${values.workloads} is not JSON: ${messageOf(error)}`);
    }
    const pods = readPods(data);
    if (!pods.ok) throw new FactoryError('invalid-config', `${values.workloads}: ${pods.error}`);
    const root = resolve(io.cwd, values.root ?? '.');
    const state = await readState(join(root, values['image-factory-dir'] ?? 'image-factory', 'state'));
    const newest = new Map<string, string>();
    if (values.live) {
      const client = await registryClientFrom('compliance', values, io);
      // One HEAD per distinct tag of a repository the factory knows (the others are untracked anyway).
      const repositories = new Set(
        [...state.baseImages.values(), ...state.images.values()].map((x) => `${x.registry}/${x.repository}`),
      );
      const tags = new Map<string, { registry: string; repository: string; tag: string }>();
      for (const container of pods.value) {
        const parsed = normaliseReference(container.image);
        if (!parsed.ok || parsed.value.tag === null) continue;
        const { registry, repository, tag } = parsed.value;
        if (repositories.has(`${registry}/${repository}`))
          tags.set(`${registry}/${repository}:${tag}`, { registry, repository, tag });
      }
      await mapLimit(
        [...tags].sort(([a], [b]) => compareCodeUnits(a, b)),
        8,
        async ([key, ref]) => {
          try {
            newest.set(key, (await client.head(ref, ref.tag)).digest);
          } catch (error) {
            io.stderr(`warning: ${messageOf(error)}\n`);
          }
        },
      );
    }
    const report = checkCompliance(pods.value, state, newest);
    const failed = failOn === undefined ? 0 : report.counts.behind + (failOn === 'stale' ? report.counts.stale : 0);
    if (values.json) {
      writeJson(io, report);
    } else {
      const lines: string[] = [];
      for (const w of report.workloads) {
        lines.push(`${w.namespace} ${w.workload}:`);
        lines.push(
          formatTable(
            ['CONTAINER', 'IMAGE', 'KNOWN AS', 'VERDICT', 'WHY'],
            w.containers.map((c) => [
              `${c.pod}/${c.container}${c.init ? ' (init)' : ''}`,
              c.image,
              c.known ?? '-',
              c.verdict,
              c.reason,
            ]),
          ),
        );
      }
      if (report.untracked.length > 0) {
        lines.push(
          'not known to the factory:',
          ...report.untracked.map((u) => `  ${u.image}  (${u.containers.length} container(s))`),
        );
      }
      const counts = Object.entries(report.counts)
        .filter(([, n]) => n > 0)
        .map(([v, n]) => `${n} ${v}`);
      lines.push(`containers: ${counts.join(', ') || 'none'}`);
      io.stdout(`${lines.join('\n')}\n`);
    }
    return failed > 0 ? EXIT_INVALID : EXIT_OK;
  },
});
