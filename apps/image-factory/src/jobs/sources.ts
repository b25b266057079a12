/** Read managed images' Dockerfiles from their source repositories (sparse, shallow), grouped per repository. */
import { join } from 'node:path';
import type { ManagedImage } from '../enrolment/types.js';
import { FactoryError } from '../errors.js';
import { type ForgeURLs, resolveRepoURL, sameRepository } from '../git/remote.js';
import { GitWorkspace } from '../git/workspace.js';
import type { Logger } from '../log/logger.js';
import { checkRelativePath, readConfinedFile } from '../util/confined.js';
import { mapLimit } from '../util/map-limit.js';

/** A Dockerfile's text and the revision it was read at (unknown when read from the GitOps clone itself). */
export interface SourceFile {
  readonly text: string;
  readonly revision?: string;
}

/** Where one image's Dockerfile is read from. */
export interface SourceRequest {
  readonly image: ManagedImage;
  /** Overrides images.yaml's source.repo (e.g. --source-repo). */
  readonly repo?: string;
  readonly provider?: 'github' | 'gitlab';
  readonly dockerfile?: string;
}

/** Context shared by all source reads of one job. */
export interface SourceContext {
  readonly forges: ForgeURLs;
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly workDir: string;
  /** See `--git-timeout`. */
  readonly gitTimeoutMs?: number;
  /** The GitOps clone: a source in the same repository and branch is read from it. */
  readonly gitops: GitWorkspace;
  readonly log: Logger;
}

async function readDockerfile(root: string, path: string, image: string): Promise<string> {
  const text = await readConfinedFile(root, path, `image ${image}: Dockerfile`, 'invalid-dockerfile');
  if (text === null) {
    throw new FactoryError(
      'invalid-dockerfile',
      `image ${image}: Dockerfile ${path} does not exist in the source repository`,
    );
  }
  return text;
}

/** Read every requested Dockerfile: one sparse shallow clone per (repository, branch). */
export async function readSources(
  requests: readonly SourceRequest[],
  context: SourceContext,
): Promise<Map<string, SourceFile & { dockerfile: string }>> {
  const groups = new Map<string, { url: string; branch: string; items: { image: string; path: string }[] }>();
  for (const request of requests) {
    const spec = request.repo ?? request.image.source.repo;
    const provider = request.provider ?? request.image.source.provider;
    const url = resolveRepoURL(spec, provider, context.forges, context.cwd);
    const branch = request.image.source.branch;
    const path = checkRelativePath(
      request.dockerfile ?? request.image.source.dockerfile,
      `image ${request.image.name}: Dockerfile`,
    );
    const key = `${url}\u0000${branch}`;
    const group = groups.get(key) ?? { url, branch, items: [] };
    group.items.push({ image: request.image.name, path });
    groups.set(key, group);
  }
  const out = new Map<string, SourceFile & { dockerfile: string }>();
  let n = 0;
  for (const { url, branch, items } of groups.values()) {
    let root: string;
    let revision: string | undefined;
    if (sameRepository(url, context.gitops.url) && branch === context.gitops.branch) {
      // Monorepo: the head moves with every state commit, so it says nothing about the Dockerfile;
      // recording it would make every run a change.
      root = context.gitops.dir;
    } else {
      const dir = join(context.workDir, `source-${n++}`);
      context.log.info('clone-source', `sparse clone of ${url} (${branch}) for ${items.length} Dockerfile(s)`);
      const paths = [...new Set(items.map((i) => i.path))];
      const workspace = await GitWorkspace.cloneSparse(url, branch, dir, paths, context.env, context.gitTimeoutMs);
      root = workspace.dir;
      revision = await workspace.head();
    }
    const texts = await mapLimit(items, 32, ({ image, path }) => readDockerfile(root, path, image));
    items.forEach(({ image, path }, i) => {
      out.set(image, { text: texts[i] as string, dockerfile: path, ...(revision === undefined ? {} : { revision }) });
    });
  }
  return out;
}
