import { resolve } from 'node:path';
import { type ContainerVulnerabilities, checkCompliance, recordedSignatureFindings } from '../../compliance/check.js';
import { askNewest, askSignatures, type NewestDigests, tagsToAsk } from '../../compliance/live.js';
import { readPods } from '../../compliance/pods.js';
import { FactoryError } from '../../errors.js';
import { compareCodeUnits } from '../../util/compare.js';
import { readConfinedFile } from '../../util/confined.js';
import { parseJsonText, readJsonFile } from '../../util/json-file.js';
import { formatTable } from '../format-table.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { CHECKOUT_OPTIONS, readCheckout } from '../repository-options.js';
import { readTrustRootOption, trustRootOption } from '../trust-root-option.js';
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
    help: 'ask the registries for the newest digest of each external and base tag (one HEAD each), and check the\nsignatures of each running digest a verify policy covers (images.yaml)',
  },
  'fail-on': {
    type: 'string',
    value: 'LIST',
    help: "exit 1 when a container matches one of these, comma-separated: behind (not the expected digest), stale\n(behind, or a rebuild is owed), fixable-critical (what it runs carries a CRITICAL vulnerability with a fix,\nfrom the scans in git), eosl (it runs on an end-of-life OS), signature (the digest it runs fails its image's\nenforced signature policy); with --live, never 0 when a tag or a signature could not be checked",
  },
  json: { type: 'boolean', default: false, help: 'print the report as JSON (shape in docs/cli.md)' },
  ...trustRootOption('with --live: ', " the running digests'\nsignatures are verified against"),
  ...REGISTRY_OPTIONS,
  ...HELP_OPTION,
} as const satisfies OptionSpecs;

const HELP = renderHelp({
  usage: [
    'compliance --workloads FILE [--root DIR] [--live] [--fail-on behind|stale|fixable-critical|eosl|signature,…]\n           [--json]',
  ],
  description: `Compare every container of a pod list with what the factory knows. A managed image should run its
last analysed build (else "behind") with no rebuild pending (else "stale"); an external or base image should run
the newest digest of its tag (--live asks the registry; without it, the digest state records); images the factory
does not know are listed apart. Grouped by namespace and owning workload. Reads nothing from the cluster itself.
Beside the verdict, what the scans recorded in git find in what each container runs: a managed image running its
last build, the fixable CRITICALs and end-of-life OSes of its bases and what a rebuild would fix; an external or
base image, the scan of the digest it runs ("not scanned" when there is none). And whether the digest it runs
fails its image's signature policy (images.yaml verify): as the rebuild gate recorded it (a base digest blocked),
and with --live as checked in the registry.
--root must hold images.yaml: a folder that is not a GitOps checkout is an error, not a cluster of untracked
images. With --live, a tag the registry could not be asked about is "unverified" (never judged on the state's
older digest) and the exit status says so.`,
  sections: [['Options', OPTIONS]],
  exit: '0 compared (and nothing matched --fail-on), 1 --fail-on matched or invalid input (--live: a lookup was\nrefused or found nothing), 2 usage error, unreadable file or no images.yaml at --root, 3 (--live) a registry kept\nfailing: safe to run again.',
  examples: [
    'kubectl get pods -A -o json > pods.json && image-factory compliance --workloads pods.json',
    'kubectl get pods -A -o json | image-factory compliance --workloads - --live --fail-on behind',
    'image-factory compliance --workloads pods.json --fail-on stale,fixable-critical,eosl',
  ],
});

/** What --workloads must hold (readPods() says the same when the JSON is not one). */
const POD_LIST = 'a pod list (kubectl get pods -A -o json)';

const FAIL_ON = ['behind', 'stale', 'fixable-critical', 'eosl', 'signature'] as const;
type FailOn = (typeof FAIL_ON)[number];
const isFailOn = (word: string): word is FailOn => FAIL_ON.some((f) => f === word);

/** The conditions --fail-on names (comma-separated; none when absent); a word it does not know is a usage error. */
function failOnOf(text: string | undefined): ReadonlySet<FailOn> {
  if (text === undefined) return new Set();
  const words = text.split(',').map((w) => w.trim());
  const unknown = words.filter((w) => !isFailOn(w));
  if (unknown.length > 0 || words.length === 0) {
    throw new FactoryError(
      'usage',
      `image-factory compliance: --fail-on takes a comma-separated list of ${FAIL_ON.join(', ')}; not ${unknown.map((w) => JSON.stringify(w)).join(', ')}`,
    );
  }
  return new Set(words.filter(isFailOn));
}

/** The VULNERABILITIES cell: fixable CRITICALs, EOSL, what a rebuild would fix, what is not scanned; `-` unknown. */
function vulnerabilityText(v: ContainerVulnerabilities | null): string {
  if (v === null) return '-';
  const parts = [
    ...(v.fixableCritical.length === 0 ? [] : [`fixable CRITICAL ${v.fixableCritical.join(', ')}`]),
    ...(v.eosl.length === 0 ? [] : [`EOSL ${v.eosl.join(', ')}`]),
    ...(v.rebuildWouldFix.length === 0 ? [] : [`a rebuild would fix ${v.rebuildWouldFix.join(', ')}`]),
    ...(v.notScanned.length === 0 ? [] : [`not scanned: ${v.notScanned.join(', ')}`]),
  ];
  return parts.join('; ') || 'no fixable CRITICAL';
}

export const complianceCommand = defineCommand({
  name: 'compliance',
  summary: 'compare what runs in the cluster (a pod list) with what the factory knows',
  help: HELP,
  options: OPTIONS,
  async run(values, _positionals, io) {
    if (values.workloads === undefined)
      throw new FactoryError('usage', 'image-factory compliance: --workloads FILE is required (see --help)');
    const failOn = failOnOf(values['fail-on']);
    const data =
      values.workloads === '-'
        ? parseJsonText(await io.readStdin(), 'stdin', POD_LIST)
        : await readJsonFile(resolve(io.cwd, values.workloads), POD_LIST, { label: values.workloads });
    const pods = readPods(data);
    if (!pods.ok) throw new FactoryError('invalid-config', `${values.workloads}: ${pods.error}`);
    const trust = await readTrustRootOption('compliance', values['trust-root'], io, {
      option: '--live',
      given: values.live === true,
    });
    // images.yaml first: a --root that is not a GitOps checkout fails here (exit 2), not as "everything untracked".
    const { state, enrolment } = await readCheckout(values, io);
    let live: NewestDigests = { newest: new Map(), failed: new Map(), exitCode: EXIT_OK };
    // What the rebuild gate recorded (blocked and warned-about base digests); --live checks every covered digest.
    const findings = new Map(recordedSignatureFindings(state));
    let signaturesExit: number = EXIT_OK;
    if (values.live) {
      const client = await registryClientFrom('compliance', values, io);
      live = await askNewest(client, tagsToAsk(pods.value, state), 8);
      for (const [key, error] of [...live.failed].sort(([a], [b]) => compareCodeUnits(a, b))) {
        io.stderr(`warning: ${key} could not be checked: ${error}\n`);
      }
      const root = resolve(io.cwd, values.root ?? '.');
      const checked = await askSignatures(
        client,
        pods.value,
        state,
        enrolment,
        (file) => readConfinedFile(root, file, 'verify key file', 'invalid-enrolment'),
        8,
        trust,
      );
      for (const [key, finding] of checked.findings) {
        findings.set(key, finding);
        if (finding.verdict === 'unverifiable') io.stderr(`warning: ${key}: ${finding.reason}\n`);
      }
      signaturesExit = checked.exitCode;
    }
    const report = checkCompliance(pods.value, state, live.newest, live.failed, findings);
    const failed =
      (failOn.has('behind') || failOn.has('stale') ? report.counts.behind : 0) +
      (failOn.has('stale') ? report.counts.stale : 0) +
      (failOn.has('fixable-critical') ? report.vulnerable.fixableCritical : 0) +
      (failOn.has('eosl') ? report.vulnerable.eosl : 0) +
      (failOn.has('signature') ? report.signatures.blocked : 0);
    if (values.json) {
      writeJson(io, report);
    } else {
      const lines: string[] = [];
      for (const w of report.workloads) {
        lines.push(`${w.namespace} ${w.workload}:`);
        lines.push(
          formatTable(
            ['CONTAINER', 'IMAGE', 'KNOWN AS', 'VERDICT', 'WHY', 'VULNERABILITIES'],
            w.containers.map((c) => [
              `${c.pod}/${c.container}${c.init ? ' (init)' : ''}`,
              c.image,
              c.known ?? '-',
              c.verdict,
              c.reason,
              vulnerabilityText(c.vulnerabilities),
            ]),
          ),
        );
      }
      const signed = report.workloads.flatMap((w) =>
        w.containers.flatMap((c) =>
          c.signature === undefined
            ? []
            : [`  ${w.namespace}/${c.pod}/${c.container}: signature ${c.signature.verdict}: ${c.signature.reason}`],
        ),
      );
      if (signed.length > 0) lines.push('signatures (the digest running fails its policy):', ...signed);
      if (report.untracked.length > 0) {
        lines.push(
          'not known to the factory:',
          ...report.untracked.map((u) => `  ${u.image}  (${u.containers.length} container(s))`),
        );
      }
      const counts = Object.entries(report.counts)
        .filter(([, n]) => n > 0)
        .map(([v, n]) => `${n} ${v}`);
      const vulnerable = [
        ...(report.vulnerable.fixableCritical > 0
          ? [`${report.vulnerable.fixableCritical} carry a fixable CRITICAL`]
          : []),
        ...(report.vulnerable.eosl > 0 ? [`${report.vulnerable.eosl} on an end-of-life OS`] : []),
        ...(report.signatures.blocked > 0
          ? [`${report.signatures.blocked} run a digest blocked by its signature policy`]
          : []),
      ];
      lines.push(
        `containers: ${counts.join(', ') || 'none'}${vulnerable.length === 0 ? '' : `; ${vulnerable.join(', ')}`}`,
      );
      io.stdout(`${lines.join('\n')}\n`);
    }
    // A registry that could not be asked outranks the verdicts: what it would have said is unknown.
    if (live.exitCode !== EXIT_OK) return live.exitCode;
    if (signaturesExit !== EXIT_OK) return signaturesExit;
    return failed > 0 ? EXIT_INVALID : EXIT_OK;
  },
});
