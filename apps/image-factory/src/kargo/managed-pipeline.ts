/**
 * The managed pipeline of one managed image, as Kargo objects: a Warehouse watching its published builds, and
 * the Stages `<image>-analyze-dockerfile` (verified by the analysis AnalysisTemplate, with the Freight's tag and
 * digest) → `<image>-analyzed`. Pure: objects in, YAML written by the caller.
 */
import type { ManagedImage } from '../enrolment/types.js';
import { repoURLOf } from '../state/plan.js';

/** Names shared by the static kustomize resources and the generated pipelines. */
export const KARGO_PROJECT = 'image-factory-kargo';
export const ANALYSIS_TEMPLATE = 'image-factory-analyze';

/** Options for the generated objects. */
export interface PipelineOptions {
  /** @default 'image-factory-kargo' */
  readonly namespace?: string;
  /** @default 'image-factory-analyze' */
  readonly analysisTemplate?: string;
}

const LABELS = { 'app.kubernetes.io/managed-by': 'image-factory', 'image-factory.io/kind': 'managed' } as const;

/** `<image>-analyze-dockerfile` and `<image>-analyzed`. */
export function stageNames(image: string): { analyze: string; analyzed: string } {
  return { analyze: `${image}-analyze-dockerfile`, analyzed: `${image}-analyzed` };
}

/** The Warehouse and Stages of a managed image. */
export function managedPipelineObjects(image: ManagedImage, options: PipelineOptions = {}): object[] {
  const namespace = options.namespace ?? KARGO_PROJECT;
  const repoURL = repoURLOf(image.registry, image.repository);
  const s = image.subscription;
  const stages = stageNames(image.name);
  const freight = `imageFrom("${repoURL}")`;
  const metadata = (name: string) => ({
    name,
    namespace,
    labels: { ...LABELS, 'image-factory.io/image': image.name },
    annotations: { 'image-factory.io/reference': repoURL },
  });
  const requested = (sources: object) => [{ origin: { kind: 'Warehouse', name: image.name }, sources }];
  return [
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Warehouse',
      metadata: metadata(image.name),
      spec: {
        interval: s.interval ?? '5m0s',
        subscriptions: [
          {
            image: {
              repoURL,
              ...(s.allowTags === undefined ? {} : { allowTagsRegexes: [s.allowTags] }),
              imageSelectionStrategy: s.imageSelectionStrategy ?? 'SemVer',
              ...(s.constraint === undefined ? {} : { constraint: s.constraint }),
              ...(s.strictSemvers === undefined ? {} : { strictSemvers: s.strictSemvers }),
              discoveryLimit: s.discoveryLimit ?? 5,
            },
          },
        ],
      },
    },
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: metadata(stages.analyze),
      spec: {
        requestedFreight: requested({ direct: true }),
        verification: {
          analysisTemplates: [{ name: options.analysisTemplate ?? ANALYSIS_TEMPLATE }],
          args: [
            { name: 'image', value: image.name },
            { name: 'tag', value: `\${{ ${freight}.Tag }}` },
            { name: 'digest', value: `\${{ ${freight}.Digest }}` },
          ],
        },
      },
    },
    {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Stage',
      metadata: metadata(stages.analyzed),
      spec: { requestedFreight: requested({ stages: [stages.analyze] }) },
    },
  ];
}
