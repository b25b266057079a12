/**
 * Kargo's image subscription, defined once: its TypeScript type and its JSON Schema both come from this TypeBox
 * definition. images.yaml entries, external images' state files, base images' Warehouse config, the Warehouse
 * planner and the chart all use it (field names are Kargo's; `allowTags` is one regex here, written to Kargo as
 * `allowTagsRegexes`).
 */
import { type Static, Type } from '@sinclair/typebox';

/** How Kargo picks the newest image (Kargo's `imageSelectionStrategy`). */
export const IMAGE_SELECTION_STRATEGIES = ['Digest', 'Lexical', 'NewestBuild', 'SemVer'] as const;
export type ImageSelectionStrategy = (typeof IMAGE_SELECTION_STRATEGIES)[number];

/** A Kubernetes duration, as Kargo's Warehouse `interval` takes it (`5m0s`, `1h`, `30m`). */
export const K8S_DURATION = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';

/** The strategy as a plain `enum` (not an anyOf of constants): editors and error messages list the four values. */
export const ImageSelectionStrategySchema = Type.Unsafe<ImageSelectionStrategy>({
  enum: [...IMAGE_SELECTION_STRATEGIES],
  description: 'How Kargo picks the newest image (default SemVer). Digest follows the one tag in constraint.',
});

/** Each optional field of the subscription, for spreading into an object schema. */
export const SUBSCRIPTION_FIELDS = {
  allowTags: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Kargo allowTags: a regular expression the tags Kargo may pick must match (e.g. ^16\\.\\d+$).',
    }),
  ),
  imageSelectionStrategy: Type.Optional(ImageSelectionStrategySchema),
  constraint: Type.Optional(
    Type.String({ minLength: 1, description: 'SemVer range, or the tag to follow with Digest.' }),
  ),
  strictSemvers: Type.Optional(
    Type.Boolean({ description: 'Only consider tags that are strict semantic versions (Kargo default true).' }),
  ),
  discoveryLimit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, description: 'How many images Kargo discovers.' }),
  ),
  platform: Type.Optional(
    Type.String({ minLength: 1, description: 'Only images for this platform (e.g. linux/amd64); unset: no filter.' }),
  ),
  interval: Type.Optional(
    Type.String({ pattern: K8S_DURATION, description: 'How often Kargo polls the registry (e.g. 30m).' }),
  ),
};

/** The subscription's optional fields as one object. */
export const ImageSubscriptionFieldsSchema = Type.Object(SUBSCRIPTION_FIELDS);
/** The subscription's optional fields (what images.yaml and state may set). */
export type ImageSubscriptionFields = Readonly<Static<typeof ImageSubscriptionFieldsSchema>>;

/** The names of the optional fields an external image carries from images.yaml into its state (all but allowTags). */
export const OPTIONAL_SUBSCRIPTION_FIELDS = [
  'imageSelectionStrategy',
  'constraint',
  'strictSemvers',
  'discoveryLimit',
  'platform',
  'interval',
] as const satisfies readonly (keyof ImageSubscriptionFields)[];
