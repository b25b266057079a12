/** JSON Schemas of the state files, so what git holds is checked before the tool trusts it. */

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const STRATEGY = { enum: ['Digest', 'Lexical', 'NewestBuild', 'SemVer'] } as const;
const warehouse = {
  repoURL: { type: 'string', minLength: 1 },
  allowTags: { type: 'string', minLength: 1 },
  imageSelectionStrategy: STRATEGY,
  constraint: { type: 'string', minLength: 1 },
  strictSemvers: { type: 'boolean' },
  discoveryLimit: { type: 'integer', minimum: 1, maximum: 100 },
  platform: { type: 'string', minLength: 1 },
  interval: { type: 'string', minLength: 1 },
} as const;

/** images/<name>.yaml */
export const IMAGE_STATE_SCHEMA = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'kind', 'registry', 'repository', 'source', 'baseImages'],
      properties: {
        name: { type: 'string', pattern: DNS_LABEL },
        kind: { const: 'managed' },
        registry: { type: 'string' },
        repository: { type: 'string' },
        source: {
          type: 'object',
          additionalProperties: false,
          required: ['provider', 'repo', 'branch', 'dockerfile'],
          properties: {
            provider: { enum: ['github', 'gitlab'] },
            repo: { type: 'string' },
            branch: { type: 'string' },
            dockerfile: { type: 'string' },
          },
        },
        build: {
          type: 'object',
          additionalProperties: false,
          required: ['tag', 'digest', 'dockerfile'],
          properties: {
            tag: { type: 'string' },
            digest: { type: 'string' },
            dockerfile: { type: 'string' },
            revision: { type: 'string' },
          },
        },
        baseImages: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'reference', 'kind', 'stage', 'finalStage'],
            properties: {
              name: { type: 'string', pattern: DNS_LABEL },
              reference: { type: 'string' },
              kind: { enum: ['from', 'copy-from', 'mount-from'] },
              stage: { type: ['string', 'null'] },
              finalStage: { type: 'boolean' },
              platform: { type: 'string' },
            },
          },
        },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'kind', 'registry', 'repository', 'repoURL', 'allowTags'],
      properties: {
        name: { type: 'string', pattern: DNS_LABEL },
        kind: { const: 'external' },
        registry: { type: 'string' },
        repository: { type: 'string' },
        ...warehouse,
      },
    },
  ],
} as const;

/** base-images/<name>.yaml */
export const BASE_IMAGE_STATE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'reference', 'registry', 'repository', 'tag', 'digest', 'dependents'],
  properties: {
    name: { type: 'string', pattern: DNS_LABEL },
    reference: { type: 'string' },
    registry: { type: 'string' },
    repository: { type: 'string' },
    tag: { type: ['string', 'null'] },
    digest: { type: ['string', 'null'] },
    untracked: { const: 'pinned-by-digest' },
    managedImage: { type: 'string', pattern: DNS_LABEL },
    dependents: { type: 'array', items: { type: 'string', pattern: DNS_LABEL } },
    rebuild: { type: 'object' },
    ...warehouse,
  },
} as const;
