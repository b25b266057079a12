/** `image-factory request provision`: approved image requests enrolled and provisioned (issue 23). */
import { EXIT, FactoryError } from '../../errors.js';
import { checkBaseUrl } from '../../rebuild/index.js';
import { NODE_EFFECTS } from '../../registry/http.js';
import { type ProvisionJobResult, runProvisionJob } from '../../requests/index.js';
import { GIT_OPTIONS, stateJobOptions } from '../git-options.js';
import { readToken } from '../token-file.js';
import { type CommandIO, EXIT_INVALID, EXIT_OK, type OptionSpecs, type OptionValues, writeJson } from '../usage.js';
import { FORGE_OPTIONS, requestForgeFrom } from './request-forge.js';

/** The options of `request provision` (request.ts spreads them into the command's options). */
export const PROVISION_OPTIONS = {
  'token-file': {
    type: 'string',
    value: 'FILE',
    help: 'a file (a mounted Secret) holding the Chainguard API token (default: $CHAINGUARD_TOKEN);\nnever printed',
  },
  'chainguard-api': {
    type: 'string',
    value: 'URL',
    help: 'the Chainguard API instead of requests.provision.chainguard.api (a port-forward);\nhttps:// (http:// only for a loopback host)',
  },
  ...FORGE_OPTIONS,
  ...GIT_OPTIONS,
} as const satisfies OptionSpecs;

export type ProvisionValues = OptionValues<typeof PROVISION_OPTIONS>;

/** The documented `--json` shape. */
function resultJson(result: ProvisionJobResult): object {
  return {
    status: result.status,
    commit: result.commit,
    attempts: result.attempts,
    requests: result.entries.map((e) => ({
      id: e.id,
      file: e.path,
      reference: e.reference,
      name: e.name,
      tier: e.tier,
      outcome: e.outcome,
      transient: e.transient,
      pullString: e.pullString,
      repositoryId: e.repositoryId,
      message: e.message,
      approvers: e.approvers,
      pullRequest: e.pullRequest,
      comment: e.comment,
    })),
    rejected: result.rejected,
    rejectionsUnread: result.rejectionsUnread,
  };
}

function formatResult(result: ProvisionJobResult): string {
  const lines = result.entries.map((e) => {
    const what =
      e.outcome === 'deferred'
        ? `not provisioned: ${e.message ?? ''}`
        : e.outcome === 'failed'
          ? `failed: ${e.message ?? ''}`
          : `${e.outcome}: pull ${e.pullString ?? ''}${e.repositoryId === null ? '' : ` (repository ${e.repositoryId})`}`;
    return `${e.id} ${e.reference} (${e.name}, tier ${e.tier}): ${what}`;
  });
  if (result.entries.length === 0) lines.push('no approved request waits for provisioning');
  for (const r of result.rejected)
    lines.push(`${r.id} ${r.reference} (${r.name}): rejected (pull request closed without merging)`);
  if (result.rejectionsUnread !== null) lines.push(`closed pull requests not all read: ${result.rejectionsUnread}`);
  lines.push(
    result.status === 'pushed'
      ? `pushed ${result.commit ?? ''} after ${result.attempts} attempt(s)`
      : result.status === 'unchanged'
        ? 'nothing to record: nothing committed'
        : 'dry run: no provider asked; nothing written, committed or pushed',
  );
  return `${lines.join('\n')}\n`;
}

/** 0 all recorded; 1 a request failed or the configuration was refused; 3 only transient failures remain. */
export function provisionExit(result: ProvisionJobResult): number {
  if (result.status === 'dry-run') return EXIT_OK;
  const failed = result.entries.some((e) => e.outcome === 'failed' || (e.outcome === 'deferred' && !e.transient));
  if (failed) return EXIT_INVALID;
  const unfinished = result.entries.some((e) => e.outcome === 'deferred') || result.rejectionsUnread !== null;
  return unfinished ? EXIT.transient : EXIT_OK;
}

/** Run `request provision`; returns the exit code. */
export async function runRequestProvision(values: ProvisionValues, io: CommandIO): Promise<number> {
  const command = 'request provision';
  const job = await stateJobOptions(command, values, io, 'requests');
  let chainguardApi: string | undefined;
  if (values['chainguard-api'] !== undefined) {
    const checked = checkBaseUrl(values['chainguard-api']);
    if (!checked.ok) throw new FactoryError('usage', `image-factory ${command}: --chainguard-api ${checked.error}`);
    chainguardApi = checked.url;
  }
  const token = await readToken(command, io, values['token-file'], 'CHAINGUARD_TOKEN');
  const { forge, why } = await requestForgeFrom(command, values, io, job.gitRepo, job.forges);
  const result = await runProvisionJob({
    job,
    now: io.now ?? (() => new Date()),
    forge,
    ...(why === null ? {} : { noForge: why }),
    chainguard: token === null ? null : { token, effects: NODE_EFFECTS },
    ...(chainguardApi === undefined ? {} : { chainguardApi }),
  });
  if (values.json) writeJson(io, resultJson(result));
  else io.stdout(formatResult(result));
  return provisionExit(result);
}
