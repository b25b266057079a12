/** The enrolment (`images.yaml`): what teams write. Field names follow Kargo's vocabulary. */

/** How Kargo picks the newest image (Kargo's `imageSelectionStrategy`). */
export type ImageSelectionStrategy = 'Digest' | 'Lexical' | 'NewestBuild' | 'SemVer';

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
}

/** How the managed pipeline's Warehouse watches a managed image's own builds (all optional). */
export interface PublishedSubscription {
  readonly allowTags?: string;
  readonly imageSelectionStrategy?: ImageSelectionStrategy;
  readonly constraint?: string;
  readonly strictSemvers?: boolean;
  readonly discoveryLimit?: number;
  readonly platform?: string;
  readonly interval?: string;
}

/** An image the organisation builds from a Dockerfile. */
export interface ManagedImage extends EnrolledImageBase {
  readonly kind: 'managed';
  readonly source: ImageSource;
  /** images.yaml's Warehouse fields, used only by the managed pipeline's Warehouse (never written to state). */
  readonly subscription: PublishedSubscription;
}

/** A third-party image the factory only tracks. */
export interface ExternalImage extends EnrolledImageBase {
  readonly kind: 'external';
  /** Kargo `allowTags`: one regular expression. */
  readonly allowTags: string;
  readonly imageSelectionStrategy?: ImageSelectionStrategy;
  readonly constraint?: string;
  readonly strictSemvers?: boolean;
  readonly discoveryLimit?: number;
  readonly platform?: string;
  readonly interval?: string;
}

export type EnrolledImage = ManagedImage | ExternalImage;

/** The optional Kargo subscription fields an external image carries from images.yaml into its state. */
export const OPTIONAL_SUBSCRIPTION_FIELDS = [
  'imageSelectionStrategy',
  'constraint',
  'strictSemvers',
  'discoveryLimit',
  'platform',
  'interval',
] as const satisfies readonly (keyof ExternalImage)[];

/** Defaults applied to every image (and to base-image Warehouses). */
export interface EnrolmentDefaults {
  readonly rebuildDelaySeconds: number;
  readonly autoRebuild: boolean;
  /** Warehouse discovery interval for external images. */
  readonly interval: string;
  /** Warehouse discovery interval for base images (longer: they are many, and registries rate-limit). */
  readonly baseImageInterval: string;
  readonly discoveryLimit: number;
}

/** A loaded, validated images.yaml. Images keep file order. */
export interface Enrolment {
  readonly defaults: EnrolmentDefaults;
  readonly images: readonly EnrolledImage[];
}
