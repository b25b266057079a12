/**
 * `request refresh --pull-request N`: propose a pending request again on the target branch as it is now. Every
 * request adds an entry at the end of images.yaml, so once one request is merged the others' pull requests conflict
 * there; refresh reads the request file from the pull request's branch, plans the same request (same id, same
 * fields) on the target's head, and replaces the branch with that one commit — only while the branch is still where
 * it was read (force-with-lease). On GitHub the new commit needs its approvals again (check counts only reviews of
 * the proposed commit).
 */
import { FactoryError } from '../errors.js';
import { gitClient } from '../git/index.js';
import { type StateJobOptions, withGitopsCheckout } from '../jobs/state-job.js';
import { normaliseReference } from '../reference/normalise.js';
import { getPullRequest, type RequestForge } from './forge.js';
import { planRequestAdd } from './plan-add.js';
import { replaceBranch } from './push-branch.js';
import { parseRequestFile } from './request-file.js';
import { requestBranch } from './schema.js';
import { readTargetBranch, requestPaths } from './target-branch.js';

/** The documented `--json` of `request refresh`. */
export interface RefreshResult {
  readonly pullRequest: { readonly number: number; readonly url: string | null };
  readonly id: string;
  /** refreshed: the branch is one commit on the target's head again; already-provided: the image is enrolled now. */
  readonly status: 'refreshed' | 'up-to-date' | 'already-provided';
  readonly commit: string | null;
}

const refuse = (message: string) => new FactoryError('invalid-config', `image-factory request refresh: ${message}`);

/** Run `request refresh` for pull request `number`. */
export async function runRequestRefresh(
  number: number,
  job: StateJobOptions,
  forge: RequestForge,
): Promise<RefreshResult> {
  const got = await getPullRequest(forge, number);
  if (!got.ok) {
    throw new FactoryError(
      got.transient ? 'unavailable' : 'invalid-config',
      `image-factory request refresh: ${got.message}`,
    );
  }
  const pull = got.value;
  const id = /^image-factory\/request\/(req-[0-9a-f]{12})$/.exec(pull.head)?.[1];
  if (id === undefined)
    throw refuse(`pull request ${number} proposes ${pull.head}, not a request branch (image-factory/request/<id>)`);
  if (pull.state !== 'open') throw refuse(`pull request ${number} is ${pull.state}: only an open request is refreshed`);
  return withGitopsCheckout(
    { ...job, gitBranch: pull.base },
    async ({ gitops, stateDir, stateRel, imagesRel, env }) => {
      const git = gitClient(gitops.dir, env, job.gitTimeoutMs);
      const headRef = 'refs/image-factory/request-head';
      await git.raw(['fetch', '--no-tags', '--depth', '2', 'origin', `+refs/heads/${pull.head}:${headRef}`]);
      const headSha = (await git.raw(['rev-parse', headRef])).trim();
      const target = await gitops.head();
      const parents = (await git.raw(['rev-list', '--parents', '-n', '1', headRef])).trim().split(' ').slice(1);
      const result = (status: RefreshResult['status'], commit: string | null): RefreshResult => ({
        pullRequest: { number: pull.number, url: pull.url },
        id: id,
        status,
        commit,
      });
      if (parents.length === 1 && parents[0] === target) return result('up-to-date', null);
      const paths = requestPaths(imagesRel, stateRel);
      const files = (await git.raw(['ls-tree', '-r', '--name-only', headRef, '--', paths.requestsDir]))
        .split('\n')
        .filter((p) => p.endsWith(`/${id}.yaml`));
      const path = files[0];
      if (path === undefined || files.length > 1) throw refuse(`${pull.head} holds no single request file ${id}.yaml`);
      const request = parseRequestFile(await git.raw(['show', `${headRef}:${path}`]), path);
      const reference = normaliseReference(request.reference);
      if (!reference.ok) throw refuse(`${path}: ${reference.error}`);
      const plan = planRequestAdd(
        {
          reference: reference.value,
          team: request.team,
          environment: request.environment,
          justification: request.justification,
          requestedBy: request.requestedBy,
          name: request.name,
          requestedAt: request.requestedAt,
        },
        await readTargetBranch(gitops.dir, stateDir, stateRel, paths),
        paths,
      );
      if (plan.kind === 'already-provided') return result('already-provided', null);
      if (plan.request.id !== id || requestBranch(plan.request.id) !== pull.head) {
        throw refuse(`${path}: its fields give the id ${plan.request.id}, not ${id}`);
      }
      if (plan.tier.autoApprove) {
        throw refuse(
          `tier ${plan.tier.name} now auto-approves: close pull request ${number} and run request add again`,
        );
      }
      const message = `image-factory: request ${request.reference} as ${request.name} (${id}, tier ${plan.tier.name})\n\nrefreshed on ${pull.base} ${target.slice(0, 12)}\n`;
      const commit = await gitops.commitFiles(plan.files, message, job.author, new Date());
      const pushed = await replaceBranch(gitops, pull.head, headSha);
      if (pushed === 'moved') {
        throw new FactoryError(
          'conflict',
          `image-factory request refresh: ${pull.head} moved while it was refreshed: run again`,
        );
      }
      job.log.info('push', `replaced ${pull.head} with ${commit.slice(0, 12)} on ${pull.base}`);
      return result('refreshed', commit);
    },
  );
}
