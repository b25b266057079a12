/**
 * A world to run a scenario in: a catalogue of managed images (images.yaml, one Dockerfile each in the GitOps
 * monorepo), their first builds already in the registry (each on what its bases pointed to, so nothing is due at
 * install), the GitHub stub with each workflow declaring the inputs the factory sends, and the Secrets a user creates
 * before the apply (docs/install.md): git credentials, the registry's dockerconfigjson, the GitHub token.
 */
import { DAY_MS, formatInstant } from '../../src/util/time.js';
import { type GithubStub, startGithubStub } from '../support/forge-stubs.js';
import { createRemote } from '../support/git-repos.js';
import { PASSWORD, type Pushed, pushImage, type TestRegistry, USER } from '../support/registry.js';
import { type ManagedImage, World } from './world.js';

export const GITHUB_TOKEN = 'e2e-github-token-3f9a';
export const GIT_TOKEN = 'e2e-git-token-77c1';
/** The workflow inputs images.yaml names (source.triggerKeyInput, source.baseImagesInput). */
export const KEY_INPUT = 'image_factory_key';
export const PINS_INPUT = 'base_images';

/** A managed image of a scenario, with its rebuildDelay. */
export interface CatalogueImage extends ManagedImage {
  readonly rebuildDelay: string;
}

/**
 * An external image of a scenario (images.yaml: tracked only, SemVer on `allowTags`), first pushed under `tag` a month
 * before the start.
 */
export interface CatalogueExternal {
  readonly name: string;
  readonly repository: string;
  readonly allowTags: string;
  readonly tag: string;
}

/** The images.yaml of a catalogue on the test registry. */
export function imagesYaml(
  host: string,
  images: readonly CatalogueImage[],
  externalImages: readonly CatalogueExternal[] = [],
): string {
  const external = (e: CatalogueExternal) =>
    `  - name: ${e.name}\n    registry: ${host}\n    repository: ${e.repository}\n    allowTags: '${e.allowTags}'\n    imageSelectionStrategy: SemVer\n`;
  const entry = (i: CatalogueImage) =>
    `  - name: ${i.name}\n    registry: ${host}\n    repository: ${i.repository}\n    source:\n      provider: github\n      repo: acme/mono\n      branch: main\n      dockerfile: apps/${i.name}/Dockerfile\n      workflow: ${i.name}.yaml\n      triggerKeyInput: ${KEY_INPUT}\n      baseImagesInput: ${PINS_INPUT}\n    rebuildDelay: ${i.rebuildDelay}\n`;
  return `defaults:\n  rebuildDelay: 7d\n  baseImageInterval: 1h0m0s\nimages:\n${images.map(entry).join('')}${externalImages.map(external).join('')}`;
}

/** A Dockerfile with the image's FROM lines (a later stage copies from the first when there are two). */
export function dockerfile(host: string, image: ManagedImage): string {
  const froms = image.bases.map((b) => `FROM ${host}/${b.repository}:${b.tag}${b.as ? ` AS ${b.as}` : ''}\n`);
  return `${froms.join('')}${image.bases.length > 1 ? `COPY --from=${image.bases[0]?.as} /app /app\n` : ''}`;
}

/** The external bases of a catalogue: repositories no catalogue image publishes. */
function externals(images: readonly ManagedImage[]): { repository: string; tag: string }[] {
  const managed = new Set(images.map((i) => i.repository));
  const seen = new Map<string, { repository: string; tag: string }>();
  for (const b of images.flatMap((i) => i.bases))
    if (!managed.has(b.repository)) seen.set(`${b.repository}:${b.tag}`, { repository: b.repository, tag: b.tag });
  return [...seen.values()];
}

/** Start a world at `start` for `images` (listed bases first) on `registry`. */
export async function startWorld(
  registry: TestRegistry,
  images: readonly CatalogueImage[],
  start: number,
  options: {
    readonly rescan?: boolean;
    /** More of images.yaml after `images:` (a `baseImagePolicies:` block), and more files for the GitOps remote. */
    readonly enrolment?: { readonly yaml: string; readonly files: Readonly<Record<string, string>> };
    /** External images enrolled after the managed ones (each gets a Warehouse and its -scan Stage). */
    readonly externals?: readonly CatalogueExternal[];
  } = {},
): Promise<{ world: World; github: GithubStub; remote: string }> {
  const host = registry.host;
  const github = await startGithubStub(GITHUB_TOKEN, {
    workflows: Object.fromEntries(
      images.map((i) => [
        `acme/mono/${i.name}.yaml`,
        { inputs: [KEY_INPUT, PINS_INPUT], runName: `build \${{ inputs.${KEY_INPUT} }}` },
      ]),
    ),
  });
  const yaml = `${imagesYaml(host, images, options.externals)}${options.enrolment?.yaml ?? ''}`;
  const files: Record<string, string> = { ...options.enrolment?.files, 'images.yaml': yaml };
  for (const i of images) files[`apps/${i.name}/Dockerfile`] = dockerfile(host, i);
  const remote = createRemote(files);
  // The external bases, released a month before; then each managed image's first build, ten days before, on them.
  const current = new Map<string, Pushed>();
  const released = new Map<string, number>();
  for (const e of externals(images)) {
    const pushed = await pushImage(registry, e.repository, e.tag, {
      created: formatInstant(start - 30 * DAY_MS),
      layer: 'v0',
    });
    current.set(e.repository, pushed);
    released.set(pushed.digest, start - 30 * DAY_MS);
  }
  for (const e of options.externals ?? []) {
    const pushed = await pushImage(registry, e.repository, e.tag, {
      created: formatInstant(start - 30 * DAY_MS),
      layer: `${e.name}-0`,
    });
    released.set(pushed.digest, start - 30 * DAY_MS);
  }
  for (const [index, i] of images.entries()) {
    // Each first build an hour after the one before it (bases are listed first): built after its bases' release.
    const created = start - 10 * DAY_MS + index * 3_600_000;
    const final = i.bases.at(-1);
    const baseDigest = final === undefined ? undefined : current.get(final.repository)?.digest;
    const annotations: Record<string, string> = {};
    if (baseDigest !== undefined) annotations['org.opencontainers.image.base.digest'] = baseDigest;
    const spec = { created: formatInstant(created), layer: `${i.name}-0`, annotations };
    await pushImage(registry, i.repository, `${i.major}.0.0`, spec);
    const pushed = await pushImage(registry, i.repository, i.movingTag, spec);
    current.set(i.repository, pushed);
    released.set(pushed.digest, created);
  }
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  const world = new World({
    registry,
    github,
    remote,
    images,
    imagesYaml: yaml,
    start,
    rescan: options.rescan === true,
    secrets: new Map<string, Record<string, string>>([
      ['image-factory-git', { username: 'factory', token: GIT_TOKEN }],
      ['image-factory-registry', { '.dockerconfigjson': JSON.stringify({ auths: { [host]: { auth } } }) }],
      ['image-factory-forge', { 'github-token': GITHUB_TOKEN }],
    ]),
  });
  for (const [digest, at] of released) world.released.set(digest, at);
  return { world, github, remote };
}
