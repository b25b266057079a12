/** Turn a Dockerfile analysis into the base-image uses a managed image records (pure). */
import { parseDockerfileDetailed } from '../dockerfile/parse.js';
import type { ImageUse } from '../dockerfile/types.js';
import { FactoryError } from '../errors.js';
import type { BaseImageUse } from './types.js';

/** A base-image use before state names are assigned. */
export type UnnamedBaseImageUse = Omit<BaseImageUse, 'name'>;

/** What a managed image's Dockerfile is built from, and the new build it was analysed for (if any). */
export interface ImageAnalysis {
  readonly image: string;
  readonly dockerfile: string;
  readonly revision?: string;
  readonly uses: readonly UnnamedBaseImageUse[];
  /** The build that triggered the analysis; absent for `analyze --all`, which keeps the recorded build. */
  readonly build?: { readonly tag: string; readonly digest: string };
}

/**
 * Parse a managed image's Dockerfile into its base-image uses.
 * Throws when the Dockerfile has errors or an image reference cannot be resolved: recording a partial
 * list of base images would silently stop rebuilds.
 */
export function analyseDockerfile(
  text: string,
  file: string,
  buildArgs: Readonly<Record<string, string>>,
): UnnamedBaseImageUse[] {
  const { analysis, stageBases } = parseDockerfileDetailed(text, { buildArgs });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new FactoryError(
      'invalid-dockerfile',
      errors.map((d) => `${file}:${d.line}: ${d.code}: ${d.message}`).join('\n'),
    );
  }
  const unresolved = analysis.images.filter((i) => i.reference === null && i.kind !== 'syntax');
  if (unresolved.length > 0) {
    const lines = unresolved.map((i) => {
      const why = analysis.diagnostics.find((d) => d.line === i.line && d.code === 'unresolved-arg');
      return `${file}:${i.line}: cannot resolve "${i.text}": ${why?.message ?? 'unresolved'} (set source.buildArgs in images.yaml)`;
    });
    throw new FactoryError('invalid-dockerfile', lines.join('\n'));
  }

  let finalImage: number | null = null;
  let stage = stageBases.length - 1;
  const visited = new Set<number>();
  while (stage >= 0 && !visited.has(stage)) {
    visited.add(stage);
    const base = stageBases[stage];
    if (base === null || base === undefined) break;
    if ('image' in base) {
      finalImage = base.image;
      break;
    }
    stage = base.stage;
  }

  const uses = new Map<string, UnnamedBaseImageUse>();
  analysis.images.forEach((image: ImageUse, index) => {
    if (image.kind === 'syntax' || image.reference === null) return;
    const use: UnnamedBaseImageUse = {
      reference: image.reference,
      kind: image.kind,
      stage: image.stage,
      finalStage: index === finalImage,
      ...(image.platform === null ? {} : { platform: image.platform }),
    };
    const key = `${use.reference}\u0000${use.kind}\u0000${use.stage ?? ''}`;
    const existing = uses.get(key);
    if (existing === undefined || (use.finalStage && !existing.finalStage)) uses.set(key, use);
  });
  return [...uses.values()];
}
