/**
 * `image-factory request`: image requests (issue 23, DESIGN §14). `add`, `codeowners` and `check` are here;
 * `provision` (request-provision.ts) and `list`, `status`, `audit` (request-read.ts) are dispatched to.
 */
import { readFile } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import { loadEnrolment } from '../../enrolment/load.js';
import { EXIT, FactoryError, messageOf } from '../../errors.js';
import { normaliseReference } from '../../reference/normalise.js';
import {
  type AddResult,
  type CheckResult,
  codeownersBlock,
  type RefreshResult,
  runRequestAdd,
  runRequestCheck,
  runRequestRefresh,
  withCodeownersBlock,
} from '../../requests/index.js';
import { writeFileAtomic } from '../../util/files.js';
import { formatInstant } from '../../util/time.js';
import { GIT_SECTIONS, stateJobOptions } from '../git-options.js';
import { REGISTRY_OPTIONS, registryClientFrom } from '../registry-options.js';
import { defineCommand, EXIT_OK, type OptionSpecs, renderHelp, writeJson } from '../usage.js';
import { FORGE_OPTIONS, requestForgeFrom } from './request-forge.js';
import { PROVISION_OPTIONS, runRequestProvision } from './request-provision.js';
import { READ_OPTIONS, runRequestRead } from './request-read.js';

const ADD_OPTIONS = {
  justification: {
    type: 'string',
    value: 'TEXT',
    help: 'add: why the image is needed (the tier may require a length)',
  },
  team: {
    type: 'string',
    value: 'TEAM',
    help: 'add: the requesting team (one of requests.teams); list: only requests of this team',
  },
  environment: { type: 'string', value: 'ENV', help: 'add: the environment (one of requests.environments)' },
  'requested-by': {
    type: 'string',
    value: 'ID',
    help: 'add: who asks (default $GITHUB_ACTOR, else $GITLAB_USER_LOGIN, else $USER)',
  },
  name: {
    type: 'string',
    value: 'NAME',
    help: "add: the images.yaml name (DNS-1123 label; default the repository's last path segment)",
  },
} as const satisfies OptionSpecs;

const CHECK_OPTIONS = {
  'pull-request': {
    type: 'string',
    value: 'N',
    help: 'check: the pull request (GitHub) or merge request iid (GitLab)',
  },
} as const satisfies OptionSpecs;

const CODEOWNERS_OPTIONS = {
  write: {
    type: 'string',
    value: 'FILE',
    help: 'codeowners: replace the block between its markers in FILE (created when absent; the rest\nis kept); default: print the block',
  },
  root: {
    type: 'string',
    value: 'DIR',
    help: 'codeowners: the GitOps checkout to read images.yaml from (default .); list, status,\naudit: read it instead of cloning --git-repo',
  },
} as const satisfies OptionSpecs;

const OPTIONS = {
  ...READ_OPTIONS,
  ...PROVISION_OPTIONS,
  ...FORGE_OPTIONS,
  ...REGISTRY_OPTIONS,
  ...ADD_OPTIONS,
  ...CHECK_OPTIONS,
  ...CODEOWNERS_OPTIONS,
} as const satisfies OptionSpecs;

/** The options of `specs` not listed in another section (R2's subcommands spread the git and forge flags in too). */
function only(specs: OptionSpecs, listed: readonly OptionSpecs[]): OptionSpecs {
  return Object.fromEntries(Object.entries(specs).filter(([key]) => !listed.some((other) => key in other)));
}

const LISTED: readonly OptionSpecs[] = [
  ADD_OPTIONS,
  CHECK_OPTIONS,
  CODEOWNERS_OPTIONS,
  FORGE_OPTIONS,
  REGISTRY_OPTIONS,
  ...GIT_SECTIONS.map(([, specs]) => specs),
];

const HELP = renderHelp({
  usage: [
    'request add REFERENCE --team TEAM --environment ENV [--justification TEXT] [--name NAME]\n      [--requested-by ID] --git-repo URL [--dry-run] [--json] [options]',
    'request check --pull-request N --git-repo URL [--json] [options]',
    'request refresh --pull-request N --git-repo URL [--json] [options]',
    'request codeowners [--root DIR] [--forge github|gitlab] [--write FILE]',
    'request provision --git-repo URL [options]',
    'request list [--status S] [--team T] | request status ID | request audit [--since T]',
  ],
  description: `Image requests through pull requests, routed by the requests: policy of images.yaml (tiers).

add checks REFERENCE exists in its registry (one HEAD: "not found in the catalogue" otherwise) and is not
enrolled already (then exit 0: "already provided as NAME: pull REFERENCE"), checks the team, environment
and justification against the policy, computes the tier (the first whose when matches; kind base when the
factory tracks the repository as a base image of a managed image), and writes
image-factory/requests/<tier>/<id>.yaml with the new external entry in images.yaml (request: <id>) in one
commit: on the branch image-factory/request/<id> with a pull request (reviewers and team reviewers from the
tier, labels image-request and tier:<name>) or a GitLab merge request (with the tier's approval rule); an
auto-approve tier commits straight to --git-branch. --json: {"id", "tier", "status": "pending" | "approved" |
"already-provided", "pullRequest": {"number", "url"} | null, "reference", "name"}.

check verifies a request pull request: each request file agrees with its images.yaml entry, carries the id
of its fields and the tier the target branch's policy computes, the audit log only grows, and the approvals
(latest review of each reviewer; team or group membership asked of the forge) satisfy the tier.

refresh proposes a pending request again on the target branch as it is now (another request merged first
makes its images.yaml entry conflict): the same request, one commit on the target's head, the branch replaced
only while it is where it was read. On GitHub the new commit needs its approvals again.

codeowners prints (or --write FILE) the CODEOWNERS lines of each tier folder, so the forge's code-owner review
enforces the tiers.

provision records every approved, not yet provisioned request on the target branch (provider none, or
chainguard: the Chainguard registry API), comments the pull string on its pull request, and records pull
requests closed unmerged as rejected. list / status / audit read the request files and audit.jsonl (--root, or
a clone of --git-repo).`,
  sections: [
    ['Request', ADD_OPTIONS],
    ['Check', CHECK_OPTIONS],
    ['Codeowners', CODEOWNERS_OPTIONS],
    ['Provision', only(PROVISION_OPTIONS, LISTED)],
    ['List, status, audit', only(READ_OPTIONS, LISTED)],
    ['Forge (the pull requests; tokens never printed)', FORGE_OPTIONS],
    ['Registry', REGISTRY_OPTIONS],
    ...GIT_SECTIONS,
  ],
  exit: '0 done (add: requested, or already provided; check: every check passed), 1 refused (not in the\ncatalogue, the policy refuses it, a check failed, a provisioning failed: each named), 2 usage error or an unreadable file, 3\ntransient failure (registry, forge, git) after retries: safe to run again.',
  examples: [
    'image-factory request add cgr.dev/acme/python:latest-dev --justification "ETL jobs" --team data\n    --environment production --git-repo https://github.com/acme/gitops.git --json',
    'image-factory request check --pull-request 42 --git-repo https://github.com/acme/gitops.git',
    'image-factory request codeowners --write .github/CODEOWNERS',
  ],
});

function formatAdd(result: AddResult): string {
  if (result.status === 'already-provided') return `already provided as ${result.name}: pull ${result.reference}\n`;
  const lines = [
    `request ${result.id} for ${result.reference} as ${result.name}: tier ${result.tier}, ${result.status}`,
  ];
  for (const file of result.files) lines.push(`  ${file}`);
  if (result.dryRun) lines.push('dry run: nothing written, committed, pushed or opened');
  else if (result.pullRequest !== null)
    lines.push(
      `pull request ${result.pullRequest.number}${result.pullRequest.url === null ? '' : ` ${result.pullRequest.url}`} (branch ${result.branch})`,
    );
  else lines.push(`committed ${result.commit ?? ''} to ${result.branch} (auto-approved)`);
  return `${lines.join('\n')}\n`;
}

function formatCheck(result: CheckResult): string {
  const lines: string[] = [];
  for (const r of result.requests) {
    const approvals =
      r.approvals === null
        ? ''
        : `, ${r.approvals.counted.length}/${r.approvals.required} approval(s)${r.approvals.counted.length > 0 ? ` (${r.approvals.counted.join(', ')})` : ''}`;
    lines.push(`${r.path}: ${r.problems.length === 0 ? 'ok' : 'refused'} (tier ${r.tier ?? '?'}${approvals})`);
    for (const p of r.problems) lines.push(`  ${p}`);
  }
  for (const p of result.problems) lines.push(p);
  lines.push(
    result.ok
      ? `pull request ${result.pullRequest.number}: every check passed`
      : `pull request ${result.pullRequest.number}: refused`,
  );
  return `${lines.join('\n')}\n`;
}

function formatRefresh(r: RefreshResult): string {
  const n = r.pullRequest.number;
  if (r.status === 'refreshed')
    return `refreshed ${r.id}: pull request ${n} is ${r.commit ?? ''} on the target's head\n`;
  if (r.status === 'up-to-date') return `${r.id}: pull request ${n} is already on the target's head\n`;
  return `${r.id}: the image is enrolled on the target branch already: close pull request ${n}\n`;
}

/** The `request` command. */
export const requestCommand = defineCommand({
  name: 'request',
  summary: 'request an image through a pull request routed by approval tiers; check, provision, audit',
  help: HELP,
  options: OPTIONS,
  positionals: true,
  logs: true,
  async run(values, positionals, io) {
    const [sub, ...rest] = positionals;
    if (sub === 'provision') {
      if (rest.length > 0) throw new FactoryError('usage', 'image-factory request provision: takes no arguments');
      return runRequestProvision(values, io);
    }
    if (sub === 'list' || sub === 'status' || sub === 'audit') return runRequestRead(sub, values, rest, io);
    if (sub === 'codeowners') {
      if (rest.length > 0) throw new FactoryError('usage', 'image-factory request codeowners: takes no arguments');
      const forge = values.forge ?? 'github';
      if (forge !== 'github' && forge !== 'gitlab')
        throw new FactoryError('usage', 'image-factory request codeowners: --forge must be github or gitlab');
      const root = resolve(io.cwd, values.root ?? '.');
      const imagesPath = values.images ?? 'images.yaml';
      let text: string;
      try {
        text = await readFile(resolve(root, imagesPath), 'utf8');
      } catch (error) {
        throw new FactoryError(
          'usage',
          `image-factory request codeowners: cannot read ${imagesPath}: ${messageOf(error)}`,
        );
      }
      const policy = loadEnrolment(text, imagesPath).requests;
      if (policy === undefined)
        throw new FactoryError(
          'invalid-enrolment',
          `image-factory request codeowners: ${imagesPath} has no requests: policy`,
        );
      const block = codeownersBlock(
        policy,
        posix.join(values['image-factory-dir'] ?? 'image-factory', 'requests'),
        forge,
      );
      if (values.write === undefined) {
        io.stdout(block);
        return EXIT_OK;
      }
      const target = resolve(io.cwd, values.write);
      const existing = await readFile(target, 'utf8').catch((error: unknown) => {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return '';
        throw new FactoryError(
          'usage',
          `image-factory request codeowners: cannot read ${values.write}: ${messageOf(error)}`,
        );
      });
      const next = withCodeownersBlock(existing, block);
      if (next !== existing) await writeFileAtomic(target, next);
      io.stdout(`${next === existing ? 'unchanged' : 'wrote'} ${values.write}\n`);
      return EXIT_OK;
    }
    if (sub === 'check' || sub === 'refresh') {
      const command = `request ${sub}`;
      if (rest.length > 0) throw new FactoryError('usage', `image-factory ${command}: takes no arguments`);
      const given = values['pull-request'];
      if (given === undefined || !/^[1-9][0-9]{0,9}$/.test(given))
        throw new FactoryError('usage', `image-factory ${command}: --pull-request N (a positive number) is required`);
      const job = await stateJobOptions(command, values, io, `pull-request-${given}`);
      const found = await requestForgeFrom(command, values, io, job.gitRepo, job.forges);
      if (found.forge === null) throw new FactoryError('usage', `image-factory ${command}: ${found.why}`);
      if (sub === 'refresh') {
        const refreshed = await runRequestRefresh(Number(given), job, found.forge);
        if (values.json) writeJson(io, refreshed);
        else io.stdout(formatRefresh(refreshed));
        return EXIT_OK;
      }
      const result = await runRequestCheck(Number(given), job, found.forge);
      if (values.json) writeJson(io, result);
      else io.stdout(formatCheck(result));
      return result.ok ? EXIT_OK : EXIT.invalid;
    }
    if (sub !== 'add') {
      throw new FactoryError(
        'usage',
        'image-factory request: the subcommands are add, check, refresh, codeowners, provision, list, status, audit (see --help)',
      );
    }
    if (rest.length !== 1)
      throw new FactoryError('usage', 'image-factory request add: one REFERENCE is required (see --help)');
    const ref = normaliseReference(rest[0] ?? '');
    if (!ref.ok)
      throw new FactoryError('usage', `image-factory request add: ${rest[0]} is not an image reference: ${ref.error}`);
    for (const flag of ['team', 'environment'] as const) {
      if (values[flag] === undefined || values[flag] === '')
        throw new FactoryError('usage', `image-factory request add: --${flag} is required (see --help)`);
    }
    const requestedBy =
      values['requested-by'] ?? io.env.GITHUB_ACTOR ?? io.env.GITLAB_USER_LOGIN ?? io.env.USER ?? undefined;
    if (requestedBy === undefined || requestedBy.trim() === '')
      throw new FactoryError(
        'usage',
        'image-factory request add: --requested-by is required (no $GITHUB_ACTOR, $GITLAB_USER_LOGIN or $USER)',
      );
    const job = await stateJobOptions('request add', values, io, ref.value.reference);
    const found = await requestForgeFrom('request add', values, io, job.gitRepo, job.forges);
    const registry = await registryClientFrom('request add', values, io);
    const result = await runRequestAdd(
      {
        reference: ref.value,
        team: values.team ?? '',
        environment: values.environment ?? '',
        justification: values.justification ?? '',
        requestedBy: requestedBy.trim(),
        ...(values.name === undefined ? {} : { name: values.name }),
        requestedAt: formatInstant(io.now?.() ?? new Date()),
      },
      { job, registry, forge: found.forge, ...(found.why === null ? {} : { noForge: found.why }) },
    );
    if (values.json) {
      writeJson(io, {
        id: result.id,
        tier: result.tier,
        status: result.status,
        pullRequest: result.pullRequest,
        reference: result.reference,
        name: result.name,
      });
    } else io.stdout(formatAdd(result));
    return EXIT_OK;
  },
});
