/**
 * The state files, defined once (TypeBox): the JSON Schemas the store checks what git holds with before the tool
 * trusts it, and the TypeScript types of every file (state/types.ts names them).
 */
import { Type } from '@sinclair/typebox';
import { ImageSelectionStrategySchema, SUBSCRIPTION_FIELDS } from '../kargo/subscription.js';

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const Name = Type.String({ pattern: DNS_LABEL });

/** How a managed image uses a base image (one entry per distinct reference, kind and stage). */
export const BaseImageUseSchema = Type.Object(
  {
    name: Name,
    reference: Type.String(),
    kind: Type.Unsafe<'from' | 'copy-from' | 'mount-from'>({ enum: ['from', 'copy-from', 'mount-from'] }),
    stage: Type.Union([Type.String(), Type.Null()]),
    finalStage: Type.Boolean(),
    platform: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** The last analysed build of a managed image. */
export const AnalysedBuildSchema = Type.Object(
  {
    tag: Type.String(),
    digest: Type.String(),
    dockerfile: Type.String(),
    revision: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** images/<name>.yaml for a managed image. */
export const ManagedImageStateSchema = Type.Object(
  {
    name: Name,
    kind: Type.Literal('managed'),
    registry: Type.String(),
    repository: Type.String(),
    source: Type.Object(
      {
        provider: Type.Unsafe<'github' | 'gitlab'>({ enum: ['github', 'gitlab'] }),
        repo: Type.String(),
        branch: Type.String(),
        dockerfile: Type.String(),
      },
      { additionalProperties: false },
    ),
    build: Type.Optional(AnalysedBuildSchema),
    baseImages: Type.Array(BaseImageUseSchema),
  },
  { additionalProperties: false },
);

/** The Warehouse config a state file carries: repoURL and the subscription fields. */
const WAREHOUSE_FIELDS = {
  repoURL: Type.Optional(Type.String({ minLength: 1 })),
  ...SUBSCRIPTION_FIELDS,
  imageSelectionStrategy: Type.Optional(ImageSelectionStrategySchema),
};

/** images/<name>.yaml for an external image. */
export const ExternalImageStateSchema = Type.Object(
  {
    name: Name,
    kind: Type.Literal('external'),
    registry: Type.String(),
    repository: Type.String(),
    ...WAREHOUSE_FIELDS,
    repoURL: Type.String({ minLength: 1 }),
    allowTags: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

/** images/<name>.yaml */
export const IMAGE_STATE_SCHEMA = Type.Union([ManagedImageStateSchema, ExternalImageStateSchema]);

/** base-images/<name>.yaml */
export const BASE_IMAGE_STATE_SCHEMA = Type.Object(
  {
    name: Name,
    reference: Type.String(),
    registry: Type.String(),
    repository: Type.String(),
    tag: Type.Union([Type.String(), Type.Null()]),
    digest: Type.Union([Type.String(), Type.Null()]),
    untracked: Type.Optional(Type.Literal('pinned-by-digest')),
    managedImage: Type.Optional(Name),
    dependents: Type.Array(Name),
    /** Owned by the rebuild logic (current/pending digest, eligibility, history); carried over unchanged. */
    rebuild: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    ...WAREHOUSE_FIELDS,
  },
  { additionalProperties: false },
);
