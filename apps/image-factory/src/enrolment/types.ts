/**
 * The enrolment (`images.yaml`) as the tool uses it: loaded, validated, defaults applied. Field names follow
 * Kargo's vocabulary; the image subscription is the one definition in kargo/subscription.ts.
 */
import type { ImageSubscriptionFields } from '../kargo/subscription.js';
import type { RequestsPolicy } from '../requests/schema.js';
import type { VerifyPolicy } from '../signatures/index.js';

export {
  type ImageSelectionStrategy,
  type ImageSubscriptionFields,
  OPTIONAL_SUBSCRIPTION_FIELDS,
} from '../kargo/subscription.js';

/** Where a managed image's Dockerfile lives and how its CI is triggered. */
export interface ImageSource {
  readonly provider: 'github' | 'gitlab';
  /** `owner/name` (GitHub), a GitLab project path or id, a full git URL, or a local path. */
  readonly repo: string;
  readonly branch: string;
  /** Path of the Dockerfile from the source repository's root. */
  readonly dockerfile: string;
  /** GitHub workflow file to dispatch; GitLab: the trigger ref. */
  readonly workflow?: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Inputs (GitHub) / variables (GitLab) every rebuild trigger sends; empty when none are declared. */
  readonly triggerInputs: Readonly<Record<string, string>>;
  /** The input carrying the trigger's idempotency key, when the workflow declares one. */
  readonly triggerKeyInput?: string;
  /**
   * The input carrying the base digests decided for the rebuild (BuildKit named-context lines); absent: the build
   * is unpinned.
   */
  readonly baseImagesInput?: string;
}

/** Fields shared by every enrolled image. */
interface EnrolledImageBase {
  /** DNS-1123 label, unique. */
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  /** Release-age delay before a base update triggers a rebuild, in seconds. */
  readonly rebuildDelaySeconds: number;
  readonly autoRebuild: boolean;
  /** The image's own signature policy; when unspecified, `defaults.verify` applies (if any). */
  readonly verify?: VerifyPolicy;
}

/** An image the organisation builds from a Dockerfile. */
export interface ManagedImage extends EnrolledImageBase {
  readonly kind: 'managed';
  readonly source: ImageSource;
  /** images.yaml's subscription fields, used only by the managed pipeline's Warehouse (never written to state). */
  readonly subscription: ImageSubscriptionFields;
}

/** A third-party image the factory only tracks: its subscription, with `allowTags` required. */
export interface ExternalImage extends EnrolledImageBase, Omit<ImageSubscriptionFields, 'allowTags'> {
  readonly kind: 'external';
  /** Kargo `allowTags`: one regular expression. */
  readonly allowTags: string;
  /** The image request that enrolled it; absent: enrolled by hand or by enroll. */
  readonly request?: string;
}

export type EnrolledImage = ManagedImage | ExternalImage;

/** Defaults applied to every image (and to base-image Warehouses). */
export interface EnrolmentDefaults {
  readonly rebuildDelaySeconds: number;
  readonly autoRebuild: boolean;
  /** Warehouse discovery interval for external images. */
  readonly interval: string;
  /** Warehouse discovery interval for base images (longer: they are many, and registries rate-limit). */
  readonly baseImageInterval: string;
  readonly discoveryLimit: number;
  /** The signature policy of every image without its own; when unspecified, signatures are not checked. */
  readonly verify?: VerifyPolicy;
}

/** `baseImagePolicies[]`: the signature policy of the base images a reference pattern covers. */
export interface BaseImagePolicy {
  /** Pattern over the normalised `registry/repository`: `*` within a path segment, `**` across segments. */
  readonly match: string;
  readonly verify: VerifyPolicy;
}

/** A loaded, validated images.yaml. Images keep file order. */
export interface Enrolment {
  readonly defaults: EnrolmentDefaults;
  readonly images: readonly EnrolledImage[];
  /** In file order, the first match wins; when unspecified (or none matches), `defaults.verify` applies. */
  readonly baseImagePolicies?: readonly BaseImagePolicy[];
  /** `requests:`: the image-request policy; when unspecified, request add refuses (no tiers to route to). */
  readonly requests?: RequestsPolicy;
}
