/**
 * The JSON Schema of images.yaml: the one definition, used by the loader and written to
 * image-factory/schema/images.schema.json (`npm run schema`) for editors via yaml-language-server.
 */

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const DELAY = '^(0|[0-9]{1,6}[smhdw])$';
const K8S_DURATION = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';
/** A value passed to git or a URL: no leading "-" (git would read an option), no whitespace, no "#". */
const NOT_AN_OPTION = '^(?!-)[^\\s#]+$';
/** A git branch name as `git check-ref-format --branch` accepts it (the common rules). */
const BRANCH = '^(?!-)(?!/)(?!.*(\\.\\.|//|@\\{|\\.lock$|/$|\\.$))[^\\s~^:?*\\[\\\\\\x00-\\x1f\\x7f]+$';
/** A path inside a repository: relative, no leading "-", no control characters. */
const REPO_PATH = '^(?![-/])[^\\x00-\\x1f\\x7f]+$';

const warehouseFields = {
  allowTags: {
    type: 'string',
    minLength: 1,
    description: 'Kargo allowTags: a regular expression the tags Kargo may pick must match (e.g. ^16\\.\\d+$).',
  },
  imageSelectionStrategy: {
    enum: ['Digest', 'Lexical', 'NewestBuild', 'SemVer'],
    description: 'How Kargo picks the newest image (default SemVer). Digest follows the one tag in constraint.',
  },
  constraint: { type: 'string', minLength: 1, description: 'SemVer range, or the tag to follow with Digest.' },
  strictSemvers: { type: 'boolean', description: 'Only consider tags that are strict semantic versions.' },
  discoveryLimit: { type: 'integer', minimum: 1, maximum: 100, description: 'How many images Kargo discovers.' },
  platform: { type: 'string', minLength: 1, description: 'Only images for this platform (e.g. linux/amd64).' },
  interval: { type: 'string', pattern: K8S_DURATION, description: 'How often Kargo polls the registry (e.g. 30m).' },
} as const;

/** The images.yaml JSON Schema (draft 2020-12). */
export const IMAGES_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://image-factory.io/schema/images.schema.json',
  title: 'image-factory enrolment (images.yaml)',
  type: 'object',
  additionalProperties: false,
  required: ['images'],
  properties: {
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rebuildDelay: {
          type: 'string',
          pattern: DELAY,
          description: 'Release-age delay before a base update triggers rebuilds: 0, 12h, 7d (default 7d).',
        },
        autoRebuild: { type: 'boolean', description: 'Trigger rebuilds automatically (default true).' },
        interval: {
          type: 'string',
          pattern: K8S_DURATION,
          description: 'Warehouse interval for external images (default 5m0s, as Kargo).',
        },
        baseImageInterval: {
          type: 'string',
          pattern: K8S_DURATION,
          description: 'Warehouse interval for base images (default 1h: many of them, rate-limited registries).',
        },
        discoveryLimit: { type: 'integer', minimum: 1, maximum: 100, description: 'Default discoveryLimit.' },
      },
    },
    images: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'registry', 'repository'],
        properties: {
          name: { type: 'string', pattern: DNS_LABEL, description: 'DNS-1123 label, unique.' },
          registry: {
            type: 'string',
            minLength: 1,
            pattern: NOT_AN_OPTION,
            description: 'Registry host, e.g. ghcr.io or docker.io.',
          },
          repository: {
            type: 'string',
            minLength: 1,
            pattern: NOT_AN_OPTION,
            description: 'Repository path, e.g. acme/backstage.',
          },
          source: {
            type: 'object',
            additionalProperties: false,
            required: ['provider', 'repo', 'dockerfile'],
            description: 'Present for managed images (built from a Dockerfile).',
            properties: {
              provider: { enum: ['github', 'gitlab'] },
              repo: {
                type: 'string',
                minLength: 1,
                pattern: NOT_AN_OPTION,
                description: 'owner/name, GitLab path or id, git URL or path.',
              },
              branch: { type: 'string', minLength: 1, pattern: BRANCH, description: 'Default main.' },
              dockerfile: {
                type: 'string',
                minLength: 1,
                pattern: REPO_PATH,
                description: "Path from the source repository's root.",
              },
              workflow: {
                type: 'string',
                minLength: 1,
                pattern: NOT_AN_OPTION,
                description: 'GitHub workflow file; GitLab trigger ref.',
              },
              buildArgs: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
          rebuildDelay: { type: 'string', pattern: DELAY },
          autoRebuild: { type: 'boolean' },
          ...warehouseFields,
        },
      },
    },
  },
} as const;
