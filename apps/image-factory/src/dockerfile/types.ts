/** The JSON contract of `image-factory parse --json` and of `parseDockerfile()`. */

/** How an image is used by the Dockerfile. */
export type ImageKind = 'from' | 'copy-from' | 'mount-from' | 'syntax';

/** One build stage (`FROM ... [AS name]`). */
export interface Stage {
  readonly index: number;
  /** The stage name as written, or null for an unnamed stage. */
  readonly name: string | null;
  /** 1-based line of the FROM instruction. */
  readonly line: number;
}

/** One occurrence of an external image, in file order. */
export interface ImageUse {
  /** The reference as written, after ARG substitution. */
  readonly text: string;
  /** `registry/repository[:tag][@digest]`, or null when it could not be resolved or is invalid. */
  readonly reference: string | null;
  readonly registry: string | null;
  readonly repository: string | null;
  readonly tag: string | null;
  readonly digest: string | null;
  readonly kind: ImageKind;
  /** Name of the stage the instruction belongs to (null for unnamed stages and `syntax`). */
  readonly stage: string | null;
  /** The `--platform` flag as written, or null. */
  readonly platform: string | null;
  /** 1-based line of the instruction's first line. */
  readonly line: number;
}

export type DiagnosticSeverity = 'error' | 'warning';

/** A problem found in the Dockerfile, with the line it is on. */
export interface Diagnostic {
  readonly severity: DiagnosticSeverity;
  readonly code: DiagnosticCode;
  readonly line: number;
  readonly message: string;
}

export type DiagnosticCode =
  | 'unresolved-arg'
  | 'unused-build-arg'
  | 'invalid-reference'
  | 'no-instructions'
  | 'not-text'
  | 'missing-argument'
  | 'instruction-before-from'
  | 'unknown-stage'
  | 'unknown-instruction'
  | 'limit-exceeded';

/** What `parseDockerfile()` returns: the contract without `file`. */
export interface DockerfileAnalysis {
  readonly stages: readonly Stage[];
  readonly images: readonly ImageUse[];
  readonly diagnostics: readonly Diagnostic[];
}

/** The `--json` contract for one file. */
export interface FileAnalysis extends DockerfileAnalysis {
  readonly file: string;
}

/** Options for `parseDockerfile()`. */
export interface ParseOptions {
  /** `--build-arg` values: override the defaults of ARGs declared in the Dockerfile. */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /**
   * Skip the AST for instructions that cannot name an image (same result, faster).
   * @default true
   */
  readonly fastPath?: boolean;
}
