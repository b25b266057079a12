/** GitOps repositories the job tests share: a monorepo of managed images, the job environment, digests. */
import { cli } from '../helpers.js';
import { createRemote } from './git-repos.js';

/** `sha256:` and 64 times the character `c`. */
export const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
/** A job's environment: a fixed author, and text logs (not in Kubernetes). */
export const ENV = { GIT_AUTHOR_NAME: 'Factory Bot', GIT_AUTHOR_EMAIL: 'bot@example.com', KUBERNETES_SERVICE_HOST: '' };

/** The images.yaml entry of a managed image of the acme/mono monorepo. */
export function managedEntry(name: string, dockerfile = `apps/${name}/Dockerfile`, extra = ''): string {
  return `  - name: ${name}\n    registry: ghcr.io\n    repository: acme/${name}\n    source:\n      provider: github\n      repo: acme/mono\n      dockerfile: ${dockerfile}\n${extra}`;
}

/** A monorepo GitOps remote: images.yaml plus each image's Dockerfile. */
export function monorepo(dockerfiles: Record<string, string>, extraEntries = ''): string {
  const images = `images:\n${Object.keys(dockerfiles)
    .map((n) => managedEntry(n))
    .join('')}${extraEntries}`;
  const files: Record<string, string> = { 'images.yaml': images };
  for (const [name, text] of Object.entries(dockerfiles)) files[`apps/${name}/Dockerfile`] = text;
  return createRemote(files);
}

/** The arguments of `image-factory analyze` for one build against a monorepo remote (Dockerfile from the same repository). */
export function analyzeArgs(remote: string, image: string, tag: string, digest: string, ...extra: string[]): string[] {
  return [
    'analyze',
    '--image',
    image,
    '--tag',
    tag,
    '--digest',
    digest,
    '--git-repo',
    remote,
    '--source-repo',
    remote,
    ...extra,
  ];
}

/** `image-factory analyze` of one build against a monorepo remote, in-process with the job environment. */
export function analyze(remote: string, image: string, tag: string, digest: string, ...extra: string[]) {
  return cli(analyzeArgs(remote, image, tag, digest, ...extra), { env: ENV });
}

/** Where a `rebuild` test reads and writes: the GitOps remote, the registry and the forge stubs. */
export interface RebuildWorld {
  readonly remote: string;
  readonly registryConfig: string;
  readonly registryHost: string;
  readonly githubUrl: string;
  readonly gitlabUrl?: string;
}

/** The arguments of `image-factory rebuild … --json` against a test world (plain HTTP to the test registry). */
export function rebuildArgs(world: RebuildWorld, ...args: string[]): string[] {
  return [
    'rebuild',
    ...args,
    '--git-repo',
    world.remote,
    '--registry-config',
    world.registryConfig,
    '--insecure-registry',
    world.registryHost,
    '--github-api-url',
    world.githubUrl,
    ...(world.gitlabUrl === undefined ? [] : ['--gitlab-url', world.gitlabUrl]),
    '--json',
  ];
}
