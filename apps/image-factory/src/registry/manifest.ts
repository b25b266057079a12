/**
 * The OCI / Docker manifest formats the client reads, defined once (TypeBox): each is checked with `Value.Check`
 * before use, so a registry's body becomes a typed value or a clear error, never a cast.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/** What the client asks manifests for: every multi-platform and single-platform form it can read. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
].join(', ');

const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
const IMAGE_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);

/** `sha256:<64 hex>` or `sha512:<128 hex>`. */
export const DIGEST_PATTERN = '^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$';

const Annotations = Type.Record(Type.String(), Type.String());

const PlatformSchema = Type.Object({
  os: Type.String(),
  architecture: Type.String(),
  variant: Type.Optional(Type.String()),
});

const DescriptorSchema = Type.Object({
  mediaType: Type.String(),
  digest: Type.String({ pattern: DIGEST_PATTERN }),
  size: Type.Integer({ minimum: 0 }),
  platform: Type.Optional(PlatformSchema),
  annotations: Type.Optional(Annotations),
});

const IndexSchema = Type.Object({
  schemaVersion: Type.Literal(2),
  mediaType: Type.Optional(Type.String()),
  manifests: Type.Array(DescriptorSchema),
  annotations: Type.Optional(Annotations),
});

const ImageManifestSchema = Type.Object({
  schemaVersion: Type.Literal(2),
  mediaType: Type.Optional(Type.String()),
  config: DescriptorSchema,
  layers: Type.Array(DescriptorSchema),
  annotations: Type.Optional(Annotations),
});

/** The parts of an image config the factory reads (created, labels, platform). */
const ImageConfigSchema = Type.Object({
  created: Type.Optional(Type.String()),
  os: Type.Optional(Type.String()),
  architecture: Type.Optional(Type.String()),
  variant: Type.Optional(Type.String()),
  config: Type.Optional(
    Type.Union([Type.Object({ Labels: Type.Optional(Type.Union([Annotations, Type.Null()])) }), Type.Null()]),
  ),
});

export type Descriptor = Static<typeof DescriptorSchema>;
export type ImageIndex = Static<typeof IndexSchema>;
export type ImageManifest = Static<typeof ImageManifestSchema>;
export type ImageConfig = Static<typeof ImageConfigSchema>;

/** A manifest as read: an index (multi-platform) or an image manifest (one platform). */
export type ParsedManifest =
  | { readonly kind: 'index'; readonly mediaType: string; readonly index: ImageIndex }
  | { readonly kind: 'image'; readonly mediaType: string; readonly manifest: ImageManifest };

/** Either a value or a sentence saying what is wrong. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

function firstProblem(schema: Parameters<typeof Value.Errors>[0], value: unknown): string {
  const first = Value.Errors(schema, value).First();
  return first === undefined ? 'does not match the schema' : `${first.path || '/'}: ${first.message}`;
}

function parseJson(bytes: Uint8Array): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
  } catch (error) {
    return { ok: false, error: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/**
 * Read a manifest body. The media type is the response's Content-Type, else the body's own `mediaType` field;
 * Docker schema 1 and unknown types are refused with their name.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | null): Parsed<ParsedManifest> {
  const json = parseJson(bytes);
  if (!json.ok) return json;
  const data = json.value;
  const declared =
    typeof data === 'object' && data !== null && 'mediaType' in data && typeof data.mediaType === 'string'
      ? data.mediaType
      : undefined;
  const header = contentType?.split(';')[0]?.trim();
  const mediaType =
    header !== undefined && (INDEX_TYPES.has(header) || IMAGE_TYPES.has(header)) ? header : (declared ?? header ?? '');
  if (INDEX_TYPES.has(mediaType)) {
    if (!Value.Check(IndexSchema, data)) return { ok: false, error: `index ${firstProblem(IndexSchema, data)}` };
    return { ok: true, value: { kind: 'index', mediaType, index: data } };
  }
  if (IMAGE_TYPES.has(mediaType)) {
    if (!Value.Check(ImageManifestSchema, data)) {
      return { ok: false, error: `image manifest ${firstProblem(ImageManifestSchema, data)}` };
    }
    return { ok: true, value: { kind: 'image', mediaType, manifest: data } };
  }
  return {
    ok: false,
    error: `unsupported manifest media type "${mediaType}" (image-factory reads OCI and Docker schema 2 manifests and indexes)`,
  };
}

/** Read an image config blob. */
export function parseImageConfig(bytes: Uint8Array): Parsed<ImageConfig> {
  const json = parseJson(bytes);
  if (!json.ok) return json;
  if (!Value.Check(ImageConfigSchema, json.value)) {
    return { ok: false, error: `image config ${firstProblem(ImageConfigSchema, json.value)}` };
  }
  return { ok: true, value: json.value };
}

/** Is this media type a multi-platform index / manifest list? */
export const isIndexMediaType = (mediaType: string): boolean => INDEX_TYPES.has(mediaType);
