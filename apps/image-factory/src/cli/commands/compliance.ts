/** `image-factory compliance`: are the workloads running the images the factory thinks they are? */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { checkCompliance } from '../../compliance/check.js';
import { askNewest, type NewestDigests, tagsToAsk } from '../../compliance/live.js';
import { readPods } from '../../compliance/pods.js';
import { FactoryError, messageOf } from '../../errors.js';
import { compareCodeUnits } from '../../util/compare.js';
import { formatTable } from '../format-table.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { CHECKOUT_OPTIONS, readCheckout } from '../repository-options.js';
import {
  defineCommand,
  EXIT_INVALID,
  EXIT_OK,
  HELP_OPTION,
  type OptionSpecs,
  renderHelp,
  writeJson,
} from '../usage.js';

const OPTIONS = {
  workloads: {
    type: 'string',
    value: 'FILE',
    help: 'the output of `kubectl get pods --all-namespaces -o json` (- for stdin)',
  },
  ...CHECKOUT_OPTIONS,
  live: {
    type: 'boolean',
    default: false,
    help: 'ask the registries for the newest digest of each external and base tag (one HEAD each)',
  },
  'fail-on': {
    type: 'string',
    value: 'behind|stale',
    help: 'exit 1 when a container runs behind (not the expected digest), or behind or stale (a rebuild is owed);\nwith --live, never 0 when a tag could not be checked',
  },
  json: { type: 'boolean', default: false, help: 'print the report as JSON (shape in docs/cli.md)' },
  ...REGISTRY_OPTIONS,
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: ['compliance --workloads FILE [--root DIR] [--live] [--fail-on behind|stale] [--json]'],
  description: `Compare every container of a pod list with what the factory knows. A managed image should run its
last analysed build (else "behind") with no rebuild pending (else "stale"); an external or base image should run
the newest digest of its tag (--live asks the registry; without it, the digest state records); images the factory
does not know are listed apart. Grouped by namespace and owning workload. Reads nothing from the cluster itself.
--root must hold images.yaml: a folder that is not a GitOps checkout is an error, not a cluster of untracked
images. With --live, a tag the registry could not be asked about is "unverified" (never judged on the state's
older digest) and the exit status says so.`,
  sections: [['Options', OPTIONS]],
  exit: '0 compared (and nothing matched --fail-on), 1 --fail-on matched or invalid input (--live: a lookup was\nrefused or found nothing), 2 usage error, unreadable file or no images.yaml at --root, 3 (--live) a registry kept\nfailing: safe to run again.',
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
    // images.yaml first: a --root that is not a GitOps checkout fails here (exit 2), not as "everything untracked".
    const { state } = await readCheckout(values, io);
    let live: NewestDigests = { newest: new Map(), failed: new Map(), exitCode: EXIT_OK };
    if (values.live) {
      const client = await registryClientFrom('compliance', values, io);
      live = await askNewest(client, tagsToAsk(pods.value, state), 8);
      for (const [key, error] of [...live.failed].sort(([a], [b]) => compareCodeUnits(a, b))) {
        io.stderr(`warning: ${key} could not be checked: ${error}\n`);
      }
    }
    const report = checkCompliance(pods.value, state, live.newest, live.failed);
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
    // A registry that could not be asked outranks the verdicts: what it would have said is unknown.
    if (live.exitCode !== EXIT_OK) return live.exitCode;
    return failed > 0 ? EXIT_INVALID : EXIT_OK;
  },
});
