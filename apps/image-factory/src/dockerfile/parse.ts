/**
 * parseDockerfile: Dockerfile text → the images it is built from, as BuildKit would see them.
 * Syntax comes from dockerfile-ast; ARG scoping, stage resolution and reference normalisation are ours.
 */
import { type Arg, type Copy, DockerfileParser, type From, type Instruction, type Run } from 'dockerfile-ast';
import { normaliseReference } from '../reference/normalise.js';
import { maskIrrelevantInstructions } from './mask.js';
import type {
  Diagnostic,
  DiagnosticCode,
  DockerfileAnalysis,
  ImageKind,
  ImageUse,
  ParseOptions,
  Stage,
} from './types.js';
import {
  defaultExpansionLimits,
  type Expansion,
  ExpansionLimitError,
  expandVariables,
  type VariableLookup,
} from './variables.js';

/** ARGs BuildKit defines in the global scope; their values depend on the build, so they resolve only from build args. */
const PLATFORM_ARGS = new Set([
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'TARGETSTAGE',
]);

const KNOWN_INSTRUCTIONS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/** A stage as we track it while walking the file. */
interface StageScope {
  readonly stage: Stage;
  readonly nameKey: string | null;
  /** ARGs declared inside the stage: visible to COPY --from / RUN --mount from= in it. */
  readonly args: Map<string, string | null>;
}

/** What a stage is built on. */
export type StageBase = { readonly image: number } | { readonly stage: number } | null;

/** The analysis plus how stages chain, for callers that need the final stage's base image. */
export interface DetailedAnalysis {
  readonly analysis: DockerfileAnalysis;
  readonly stageBases: readonly StageBase[];
}

/** Mutable state of one walk over the instructions. */
class Walk {
  readonly stages: Stage[] = [];
  readonly images: ImageUse[] = [];
  readonly diagnostics: Diagnostic[] = [];
  readonly metaArgs = new Map<string, string | null>();
  readonly usedBuildArgs = new Set<string>();
  /** Per stage: what its FROM names: an image (index into images), an earlier stage, or nothing. */
  readonly stageBases: StageBase[] = [];
  current: StageScope | null = null;
  private readonly stagesByName = new Map<string, StageScope>();

  /** Bounds on expansion for the whole file (length, nesting, total). */
  readonly limits = defaultExpansionLimits();

  constructor(
    readonly buildArgs: Readonly<Record<string, string>>,
    readonly escapeChar: string,
  ) {}

  /** Expand one word within this file's limits (throws ExpansionLimitError past them). */
  expand(written: string, lookup: VariableLookup): Expansion {
    return expandVariables(written, lookup, this.escapeChar, this.limits);
  }

  report(severity: Diagnostic['severity'], code: DiagnosticCode, line: number, message: string): void {
    this.diagnostics.push({ severity, code, line, message });
  }

  buildArg(name: string): string | undefined {
    if (!Object.hasOwn(this.buildArgs, name)) return undefined;
    this.usedBuildArgs.add(name);
    return this.buildArgs[name];
  }

  readonly metaLookup: VariableLookup = (name) => {
    if (this.metaArgs.has(name)) return this.metaArgs.get(name);
    if (PLATFORM_ARGS.has(name)) return this.buildArg(name) ?? null;
    return undefined;
  };

  readonly stageLookup: VariableLookup = (name) => this.current?.args.get(name);

  /** Start a new stage; its ARGs start empty. */
  addStage(name: string | null, line: number): void {
    const stage: Stage = { index: this.stages.length, name, line };
    const nameKey = name === null ? null : name.toLowerCase();
    const scope: StageScope = { stage, nameKey, args: new Map() };
    this.stages.push(stage);
    this.current = scope;
    if (nameKey !== null && !this.stagesByName.has(nameKey)) this.stagesByName.set(nameKey, scope);
  }

  /**
   * The stage named (case-insensitively) by `ref` among those declared so far. From a COPY or RUN
   * (`inStage`), a numeric `ref` is a stage index, and the stage the instruction is in is 'self'.
   */
  findStage(ref: string, inStage: boolean): Stage | 'self' | null {
    const scope = this.stagesByName.get(ref.toLowerCase());
    if (scope !== undefined) return inStage && scope === this.current ? 'self' : scope.stage;
    if (inStage && /^[0-9]+$/.test(ref)) {
      const index = Number(ref);
      const currentIndex = this.current?.stage.index ?? -1;
      return index < currentIndex ? (this.stages[index] as Stage) : 'self';
    }
    return null;
  }

  /**
   * Could `written` name an earlier stage once the builder fills its unresolved variables?
   * (`FROM binaries-$TARGETOS` with stages `binaries-linux` and `binaries-windows` is internal.)
   */
  matchesStagePattern(written: string, lookup: VariableLookup): boolean {
    const hole = '\u0000';
    const withHoles = this.expand(written, (name) => lookup(name) ?? hole).value;
    if (!withHoles.includes(hole)) return false;
    const escaped = withHoles.split(hole).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const pattern = new RegExp(`^${escaped.join('.*')}$`, 'i');
    return this.stages.some((stage) => stage.name !== null && pattern.test(stage.name));
  }
}

/** Lines in dockerfile-ast are 0-based. */
function lineOf(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  let replacement = 0;
  for (let i = 0; i < text.length && i < 4096; i++) if (text.charCodeAt(i) === 0xfffd) replacement++;
  return replacement > 8;
}

const UNRESOLVED = { reference: null, registry: null, repository: null, tag: null, digest: null } as const;

function recordImage(
  walk: Walk,
  kind: ImageKind,
  written: string,
  lookup: VariableLookup,
  line: number,
  platform: string | null,
): void {
  const expanded = walk.expand(written, lookup);
  const stage = kind === 'syntax' ? null : (walk.current?.stage.name ?? null);
  const push = (parts: Pick<ImageUse, 'reference' | 'registry' | 'repository' | 'tag' | 'digest'>) =>
    walk.images.push({ text: expanded.value, ...parts, kind, stage, platform, line });
  if (expanded.unresolved.length > 0) {
    for (const name of expanded.unresolved) {
      const why = expanded.undeclared.includes(name)
        ? kind === 'from'
          ? 'is not declared by an ARG before the first FROM'
          : 'is not declared by an ARG in this stage'
        : PLATFORM_ARGS.has(name)
          ? `is set by the builder per platform; pass --build-arg ${name}=...`
          : `has no default value; pass --build-arg ${name}=...`;
      walk.report('warning', 'unresolved-arg', line, `ARG ${name} used in "${written}" ${why}`);
    }
    push(UNRESOLVED);
    return;
  }
  const normalised = normaliseReference(expanded.value);
  if (!normalised.ok) {
    walk.report('error', 'invalid-reference', line, `invalid image reference: ${normalised.error}`);
    push(UNRESOLVED);
    return;
  }
  const { reference, registry, repository, tag, digest } = normalised.value;
  push({ reference, registry, repository, tag, digest });
}

function handleArg(walk: Walk, instruction: Arg): void {
  const line = lineOf(instruction);
  const properties = instruction.getProperties();
  if (properties.length === 0) {
    walk.report('error', 'missing-argument', line, 'ARG needs a name');
    return;
  }
  for (const property of properties) {
    try {
      declareArg(walk, property.getName(), property.getValue());
    } catch (error) {
      if (!(error instanceof ExpansionLimitError)) throw error;
      walk.report('error', 'limit-exceeded', line, error.message);
      // Declared, without a usable value: what uses it reports it as unresolved.
      (walk.current?.args ?? walk.metaArgs).set(property.getName(), null);
    }
  }
}

/** One `NAME[=value]` of an ARG: global before the first FROM, else in the current stage. */
function declareArg(walk: Walk, name: string, written: string | null): void {
  const override = walk.buildArg(name);
  if (walk.current === null) {
    walk.metaArgs.set(name, override ?? (written === null ? null : walk.expand(written, walk.metaLookup).value));
    return;
  }
  const scope = walk.current;
  if (override !== undefined) scope.args.set(name, override);
  else if (written !== null) scope.args.set(name, walk.expand(written, walk.stageLookup).value);
  else if (walk.metaArgs.has(name)) scope.args.set(name, walk.metaArgs.get(name) ?? null);
  else scope.args.set(name, null);
}

function handleFrom(walk: Walk, instruction: From): void {
  const line = lineOf(instruction);
  // getFlags() is cached by dockerfile-ast; getArguments() and getBuildStage() re-tokenise each call.
  const flags = instruction.getFlags();
  const args = instruction.getArguments();
  const imageArg = args[0];
  const stageName =
    args.length > 2 && args[1]?.getValue().toUpperCase() === 'AS' ? (args[2]?.getValue() ?? null) : null;
  if (imageArg === undefined) {
    walk.report('error', 'missing-argument', line, 'FROM needs an image (FROM <image> [AS <name>])');
    walk.addStage(null, line);
    walk.stageBases.push(null);
    return;
  }
  if (args.length > 1 && (args.length !== 3 || args[1]?.getValue().toUpperCase() !== 'AS')) {
    walk.report('error', 'missing-argument', line, 'FROM takes one image and an optional "AS <name>"');
  }
  const platform = flags.find((flag) => flag.getName() === 'platform')?.getValue() ?? null;
  const written = imageArg.getValue();
  const expandedName = walk.expand(written, walk.metaLookup).value;
  const named = walk.findStage(expandedName, false);
  const internal = named !== null || walk.matchesStagePattern(written, walk.metaLookup);
  walk.addStage(stageName, line);
  if (expandedName.toLowerCase() === 'scratch' || internal) {
    walk.stageBases.push(named !== null && named !== 'self' ? { stage: named.index } : null);
    return;
  }
  walk.stageBases.push({ image: walk.images.length });
  recordImage(walk, 'from', written, walk.metaLookup, line, platform);
}

/** `COPY --from=x` and `RUN --mount=...,from=x`: a stage when x names an earlier one, else an image. */
function handleSourceReference(walk: Walk, kind: ImageKind, written: string, line: number): void {
  const expanded = walk.expand(written, walk.stageLookup);
  if (expanded.unresolved.length === 0) {
    const earlier = walk.findStage(expanded.value, true);
    if (earlier === 'self') {
      walk.report('error', 'unknown-stage', line, `"${written}" does not name an earlier stage`);
      return;
    }
    if (earlier !== null) return;
  } else if (walk.matchesStagePattern(written, walk.stageLookup)) {
    return;
  }
  recordImage(walk, kind, written, walk.stageLookup, line, null);
}

function handleCopy(walk: Walk, instruction: Copy): void {
  // Not getFromFlag(): dockerfile-ast returns --from only when it is the sole flag, and COPY's flags come in any
  // order and combination (`COPY --link --from=…`, `--chown`, `--chmod`, `--parents`, `--exclude`).
  const from = instruction.getFlags().find((flag) => flag.getName() === 'from');
  if (from === undefined) return;
  const value = from.getValue();
  if (value === null || value === '') {
    walk.report('error', 'missing-argument', lineOf(instruction), 'COPY --from needs a stage or image');
    return;
  }
  handleSourceReference(walk, 'copy-from', value, lineOf(instruction));
}

function handleRun(walk: Walk, instruction: Run): void {
  for (const flag of instruction.getFlags()) {
    if (flag.getName().toLowerCase() !== 'mount') continue;
    const from = flag.getOptions().find((option) => option.getName().toLowerCase() === 'from');
    const value = from?.getValue();
    if (value === undefined || value === null) continue;
    if (value === '') {
      walk.report('error', 'missing-argument', lineOf(instruction), 'RUN --mount from= needs a stage or image');
      continue;
    }
    handleSourceReference(walk, 'mount-from', value, lineOf(instruction));
  }
}

function handleInstruction(walk: Walk, instruction: Instruction): void {
  const keyword = instruction.getKeyword();
  if (keyword === 'FROM') {
    handleFrom(walk, instruction as From);
    return;
  }
  if (keyword === 'ARG') {
    handleArg(walk, instruction as Arg);
    return;
  }
  if (!KNOWN_INSTRUCTIONS.has(keyword)) {
    walk.report(
      'error',
      'unknown-instruction',
      lineOf(instruction),
      `unknown instruction "${instruction.getInstruction()}"`,
    );
    return;
  }
  if (walk.current === null) {
    walk.report(
      'error',
      'instruction-before-from',
      lineOf(instruction),
      `${keyword} before the first FROM: only ARG may come before FROM`,
    );
    return;
  }
  if (keyword === 'COPY') handleCopy(walk, instruction as Copy);
  else if (keyword === 'RUN') handleRun(walk, instruction as Run);
}

/**
 * Find every image a Dockerfile is built from.
 * Never throws on bad input: problems are returned as diagnostics with their line.
 */
export function parseDockerfile(text: string, options: ParseOptions = {}): DockerfileAnalysis {
  return parseDockerfileDetailed(text, options).analysis;
}

/** Largest Dockerfile analysed: 50 times the largest of the 291 real ones in the corpus (20 KB). */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024;
/** Most stages analysed (the corpus's most is 49). */
export const MAX_STAGES = 1000;

function limitOnly(line: number, message: string): DetailedAnalysis {
  const diagnostic: Diagnostic = { severity: 'error', code: 'limit-exceeded', line, message };
  return { analysis: { stages: [], images: [], diagnostics: [diagnostic] }, stageBases: [] };
}

/** parseDockerfile, plus which image or stage each stage is built on. */
export function parseDockerfileDetailed(text: string, options: ParseOptions = {}): DetailedAnalysis {
  const buildArgs = options.buildArgs ?? {};
  if (Buffer.byteLength(text, 'utf8') > MAX_DOCKERFILE_BYTES) {
    return limitOnly(1, `the Dockerfile is larger than ${MAX_DOCKERFILE_BYTES} bytes: not analysed`);
  }
  if (looksBinary(text)) {
    const diagnostic: Diagnostic = {
      severity: 'error',
      code: 'not-text',
      line: 1,
      message: 'this is not a text Dockerfile',
    };
    return { analysis: { stages: [], images: [], diagnostics: [diagnostic] }, stageBases: [] };
  }
  const source = options.fastPath === false ? text : maskIrrelevantInstructions(text);
  const dockerfile = DockerfileParser.parse(source);
  const walk = new Walk(buildArgs, dockerfile.getEscapeCharacter());

  for (const directive of dockerfile.getDirectives()) {
    if (directive.getName().toLowerCase() !== 'syntax') continue;
    const value = directive.getValue();
    const line = directive.getRange().start.line + 1;
    if (value === '') walk.report('error', 'missing-argument', line, 'the syntax directive needs an image');
    else recordImage(walk, 'syntax', value, () => undefined, line, null);
  }

  const instructions = dockerfile.getInstructions();
  for (const instruction of instructions) {
    if (walk.stages.length >= MAX_STAGES && instruction.getKeyword() === 'FROM') {
      walk.report(
        'error',
        'limit-exceeded',
        lineOf(instruction),
        `more than ${MAX_STAGES} stages: the rest is not analysed`,
      );
      break;
    }
    const stagesBefore = walk.stages.length;
    try {
      handleInstruction(walk, instruction);
    } catch (error) {
      if (!(error instanceof ExpansionLimitError)) throw error;
      walk.report('error', 'limit-exceeded', lineOf(instruction), error.message);
      // A FROM that failed still opens its stage, so that the instructions after it keep theirs.
      if (instruction.getKeyword() === 'FROM' && walk.stages.length === stagesBefore) {
        walk.addStage(null, lineOf(instruction));
        walk.stageBases.push(null);
      }
    }
  }

  if (instructions.length === 0) {
    walk.report('error', 'no-instructions', 1, 'the Dockerfile has no instructions');
  } else if (walk.stages.length === 0) {
    walk.report('error', 'no-instructions', 1, 'the Dockerfile has no FROM instruction');
  }
  for (const name of Object.keys(buildArgs).sort()) {
    if (!walk.usedBuildArgs.has(name)) {
      walk.report('warning', 'unused-build-arg', 1, `build arg ${name} is not declared by any ARG`);
    }
  }
  walk.diagnostics.sort((a, b) => a.line - b.line);
  return {
    analysis: { stages: walk.stages, images: walk.images, diagnostics: walk.diagnostics },
    stageBases: walk.stageBases,
  };
}
