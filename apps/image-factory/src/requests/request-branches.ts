/**
 * The request branches of the GitOps remote (`image-factory/request/<id>`, one per request `request add` proposed),
 * read from the job's clone: which exist, and the request file a branch proposes. What `request provision` needs
 * to notice a pull request closed without merging (its request never reaches the target branch, so only its
 * branch says what was asked). git runs as the clone's own git does: the job's environment (credentials as a
 * header, no prompts), the no-progress timeout, every failure redacted.
 */
import { gitClient, gitStep } from '../git/index.js';
import { parseRequestFile } from './request-file.js';
import { REQUEST_ID_PATTERN, REQUESTS_DIR, type RequestFile, requestBranch } from './schema.js';

const BRANCH_PREFIX = requestBranch('');
const ID = new RegExp(REQUEST_ID_PATTERN);

/** Where the clone is and how its git runs. */
export interface CloneAccess {
  readonly dir: string;
  readonly url: string;
  readonly env: Record<string, string>;
  readonly timeoutMs: number;
}

/** The request ids that have a branch on the remote, sorted. */
export async function requestBranchIds(clone: CloneAccess): Promise<string[]> {
  const out = await gitStep(
    'cannot list the request branches',
    () =>
      gitClient(clone.dir, clone.env, clone.timeoutMs, false).raw([
        'ls-remote',
        '--heads',
        'origin',
        `refs/heads/${BRANCH_PREFIX}*`,
      ]),
    clone.url,
  );
  const ids: string[] = [];
  for (const line of out.split('\n')) {
    const ref = line.split('\t')[1]?.trim() ?? '';
    const id = ref.slice(`refs/heads/${BRANCH_PREFIX}`.length);
    if (ref.startsWith(`refs/heads/${BRANCH_PREFIX}`) && ID.test(id)) ids.push(id);
  }
  return ids.sort();
}

/** The request file branch `image-factory/request/<id>` proposes, or null when it holds none. */
export async function proposedRequest(clone: CloneAccess, id: string): Promise<RequestFile | null> {
  const client = gitClient(clone.dir, clone.env, clone.timeoutMs, false);
  const ref = `refs/image-factory/proposed/${id}`;
  await gitStep(
    `cannot fetch ${requestBranch(id)}`,
    () => client.raw(['fetch', '--depth', '1', '--no-tags', 'origin', `+refs/heads/${requestBranch(id)}:${ref}`]),
    clone.url,
  );
  const listing = await gitStep(
    `cannot read ${requestBranch(id)}`,
    () => client.raw(['ls-tree', '-r', '--name-only', ref, '--', `${REQUESTS_DIR}/`]),
    clone.url,
  );
  const path = listing
    .split('\n')
    .map((p) => p.trim())
    .find((p) => p.endsWith(`/${id}.yaml`));
  if (path === undefined) return null;
  const text = await gitStep(`cannot read ${path}`, () => client.raw(['show', `${ref}:${path}`]), clone.url);
  return parseRequestFile(text, `${requestBranch(id)}:${path}`);
}
