/**
 * images.yaml, defined once (TypeBox): the JSON Schema the loader validates with and `npm run schema` writes to
 * image-factory/schema/images.schema.json for editors (yaml-language-server), and the TypeScript types of the
 * file as written. The loader turns a valid file into the typed `Enrolment` (defaults applied).
 */
import { type Static, Type } from '@sinclair/typebox';
import { K8S_DURATION, SUBSCRIPTION_FIELDS } from '../kargo/subscription.js';
import { REQUEST_ID_PATTERN, RequestsPolicySchema } from '../requests/schema.js';
import { VerifySchema } from '../signatures/index.js';
import { GITHUB_REPO_PATTERN, GITHUB_WORKFLOW_PATTERN, GITLAB_PROJECT_PATTERN } from './forge-coordinates.js';
import { DELAY, DNS_LABEL, MATCH_PATTERN } from './patterns.js';

/** A value passed to git or a URL: no leading "-" (git would read an option), no whitespace, no "#". */
export const NOT_AN_OPTION = '^(?!-)[^\\s#]+$';
/** A git branch name as `git check-ref-format --branch` accepts it (the common rules). */
const BRANCH = '^(?!-)(?!/)(?!.*(\\.\\.|//|@\\{|\\.lock$|/$|\\.$))[^\\s~^:?*\\[\\\\\\x00-\\x1f\\x7f]+$';
/** A path inside a repository: relative, no leading "-", no control characters. */
const REPO_PATH = '^(?![-/])[^\\x00-\\x1f\\x7f]+$';

/** `source:` of a managed image. */
export const SourceSchema = Type.Object(
  {
    provider: Type.Unsafe<'github' | 'gitlab'>({ enum: ['github', 'gitlab'] }),
    repo: Type.String({
      minLength: 1,
      pattern: NOT_AN_OPTION,
      description:
        'GitHub: owner/name (or https://github.com/owner/name, git@github.com:owner/name.git). GitLab: the project path group/subgroup/project or its numeric id (or https://gitlab.com/group/project). URLs are reduced to the short form; for GitHub Enterprise or self-managed GitLab write the short form (the host comes from --github-url / --github-api-url, --gitlab-url / $GITLAB_URL / $CI_SERVER_URL).',
    }),
    branch: Type.Optional(Type.String({ minLength: 1, pattern: BRANCH, description: 'Default main.' })),
    dockerfile: Type.String({
      minLength: 1,
      pattern: REPO_PATH,
      description: "Path from the source repository's root.",
    }),
    workflow: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: NOT_AN_OPTION,
        description:
          "GitHub: the workflow to dispatch, its file name (build.yaml, no folder) or numeric id; required to trigger rebuilds. GitLab: not used (a pipeline runs the project's .gitlab-ci.yml on branch).",
      }),
    ),
    buildArgs: Type.Optional(Type.Record(Type.String(), Type.String())),
    triggerInputs: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' }), Type.String(), {
        maxProperties: 24,
        description:
          'Inputs a rebuild trigger sends (GitHub workflow_dispatch inputs, GitLab pipeline variables): only ones the workflow declares.',
      }),
    ),
    triggerKeyInput: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_-]*$',
        description: "The input that carries the trigger's idempotency key (declare it in the workflow).",
      }),
    ),
    baseImagesInput: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_-]*$',
        description:
          'The input that carries the base digests the rebuild must use, as BuildKit named contexts (one line per base: name=docker-image://repo@sha256:…), for build-push-action build-contexts or docker buildx build --build-context. Absent: the build is unpinned (it takes whatever its FROM tags point to when it runs).',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Present for managed images (built from a Dockerfile).',
    // The forge coordinates depend on the provider (enrolment/forge-coordinates.ts holds the rule and its reasons).
    allOf: [
      {
        if: { type: 'object', properties: { provider: { const: 'github' } }, required: ['provider'] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a promise
        then: {
          type: 'object',
          properties: {
            repo: { type: 'string', pattern: GITHUB_REPO_PATTERN },
            workflow: { type: 'string', pattern: GITHUB_WORKFLOW_PATTERN },
          },
        },
      },
      {
        if: { type: 'object', properties: { provider: { const: 'gitlab' } }, required: ['provider'] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a promise
        then: { type: 'object', properties: { repo: { type: 'string', pattern: GITLAB_PROJECT_PATTERN } } },
      },
    ],
  },
);

/** One entry of `images:`. */
export const ImageEntrySchema = Type.Object(
  {
    name: Type.String({ pattern: DNS_LABEL, description: 'DNS-1123 label, unique.' }),
    registry: Type.String({
      minLength: 1,
      pattern: NOT_AN_OPTION,
      description: 'Registry host, e.g. ghcr.io or docker.io.',
    }),
    repository: Type.String({
      minLength: 1,
      pattern: NOT_AN_OPTION,
      description: 'Repository path, e.g. acme/backstage.',
    }),
    source: Type.Optional(SourceSchema),
    rebuildDelay: Type.Optional(
      Type.String({
        pattern: DELAY,
        description:
          'Release-age delay for this image: "0" (quoted: a bare 0 is a number), 12h, 7d (default: defaults.rebuildDelay).',
      }),
    ),
    autoRebuild: Type.Optional(Type.Boolean()),
    verify: Type.Optional(VerifySchema),
    request: Type.Optional(
      Type.String({
        pattern: REQUEST_ID_PATTERN,
        description:
          'The image request that enrolled this external image (image-factory/requests/<tier>/<id>.yaml); written by request add.',
      }),
    ),
    ...SUBSCRIPTION_FIELDS,
  },
  { additionalProperties: false },
);

/** `defaults:`. */
export const DefaultsSchema = Type.Object(
  {
    rebuildDelay: Type.Optional(
      Type.String({
        pattern: DELAY,
        description:
          'Release-age delay before a base update triggers rebuilds: "0" (quoted: a bare 0 is a number), 12h, 7d (default 7d).',
      }),
    ),
    autoRebuild: Type.Optional(Type.Boolean({ description: 'Trigger rebuilds automatically (default true).' })),
    interval: Type.Optional(
      Type.String({
        pattern: K8S_DURATION,
        description: 'Warehouse interval for external images (default 5m0s, as Kargo).',
      }),
    ),
    baseImageInterval: Type.Optional(
      Type.String({
        pattern: K8S_DURATION,
        description: 'Warehouse interval for base images (default 1h: many of them, rate-limited registries).',
      }),
    ),
    discoveryLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default discoveryLimit.' })),
    verify: Type.Optional(VerifySchema),
  },
  { additionalProperties: false },
);

/** `baseImagePolicies:`: signature policies for base images, by reference pattern. */
export const BaseImagePoliciesSchema = Type.Array(
  Type.Object(
    {
      match: Type.String({
        minLength: 1,
        pattern: MATCH_PATTERN,
        description:
          'The base images covered, as a pattern over the normalised registry/repository (node is docker.io/library/node): * within one path segment, ** across segments, e.g. cgr.dev/chainguard/*.',
      }),
      verify: VerifySchema,
    },
    { additionalProperties: false },
  ),
  {
    description:
      'Signature policies of base images (images not enrolled themselves), by reference pattern; the first match wins, else defaults.verify.',
  },
);

/** The images.yaml JSON Schema (draft 2020-12). */
export const IMAGES_SCHEMA = Type.Object(
  {
    defaults: Type.Optional(DefaultsSchema),
    images: Type.Array(ImageEntrySchema),
    baseImagePolicies: Type.Optional(BaseImagePoliciesSchema),
    requests: Type.Optional(RequestsPolicySchema),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://image-factory.io/schema/images.schema.json',
    title: 'image-factory enrolment (images.yaml)',
    additionalProperties: false,
  },
);

/** images.yaml as written (before defaults are applied). */
export type ImagesFile = Static<typeof IMAGES_SCHEMA>;
/** One `images:` entry as written. */
export type ImageEntry = Static<typeof ImageEntrySchema>;
/** `baseImagePolicies:` as written. */
export type BaseImagePoliciesEntry = Static<typeof BaseImagePoliciesSchema>;
/** `defaults:` as written. */
export type DefaultsEntry = Static<typeof DefaultsSchema>;
