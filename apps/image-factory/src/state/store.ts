/** Read and write the state folder: schema-checked reads, atomic writes (temp file + rename). */
import { closeSync, constants, type Dirent, fstatSync, openSync, readSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { FactoryError } from '../errors.js';
import { compareCodeUnits } from '../util/compare.js';
import { writeFileAtomic } from '../util/files.js';
import { mapLimit } from '../util/map-limit.js';
import { BASE_IMAGE_STATE_SCHEMA, IMAGE_STATE_SCHEMA, STATE_FORMATS } from './schema.js';
import { parseStateYaml, serialiseState } from './serialise.js';
import type { BaseImageState, ImageState, StateSnapshot } from './types.js';

/** Parallel file operations: the state of a large organisation is thousands of small files. */
const IO_CONCURRENCY = 32;

/** State files parsed between two looks at the event loop when a caller has work in flight (see StateFolder.read). */
const READ_CHUNK = 100;

/** Sub-folders of the state folder. */
export const IMAGES_DIR = 'images';
export const BASE_IMAGES_DIR = 'base-images';

type Validators = { image: ValidateFunction<ImageState>; baseImage: ValidateFunction<BaseImageState> };
let validators: Validators | undefined;

/**
 * The state-file validators (type guards: a file that passes is typed, no cast), compiled on first use, without
 * Ajv's optimising pass over the generated code (`code.optimize: false`): compiling costs a third less CPU (every
 * command pays it at start: 125 → 85 ms), and validating the benchmark's 3,500 files takes as long (~85 ms).
 */
function stateValidators(): Validators {
  if (validators === undefined) {
    const ajv = new Ajv2020({ allErrors: false, strict: false, validateSchema: false, code: { optimize: false } });
    for (const [name, validate] of Object.entries(STATE_FORMATS)) ajv.addFormat(name, { type: 'string', validate });
    validators = {
      image: ajv.compile<ImageState>(IMAGE_STATE_SCHEMA),
      baseImage: ajv.compile<BaseImageState>(BASE_IMAGE_STATE_SCHEMA),
    };
  }
  return validators;
}

/** State is written by the tool, never linked: a symbolic link, a FIFO or a folder where a state file should be. */
function notRegularFile(shown: string): FactoryError {
  return new FactoryError('invalid-state', `${shown}: is not a regular file (a symbolic link?): refused`);
}

/** The state files of a folder; a symbolic link is refused (state is written by the tool, never linked). */
async function listYaml(dir: string, label: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (!entry.name.endsWith('.yaml')) continue;
    if (!entry.isFile()) {
      throw notRegularFile(`${label}/${entry.name}`);
    }
    files.push(entry.name);
  }
  return files.sort();
}

function checked<T extends { readonly name: string }>(
  data: unknown,
  validate: ValidateFunction<T>,
  file: string,
  stem: string,
): T {
  if (!validate(data)) {
    const error = validate.errors?.[0];
    const where = error?.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : '(root)';
    throw new FactoryError('invalid-state', `${file}: ${where} ${error?.message ?? 'is invalid'}`);
  }
  if (data.name !== stem) {
    throw new FactoryError('invalid-state', `${file}: name "${data.name}" does not match the file name`);
  }
  return data;
}

/**
 * Refuse to write a state file that the next command could not load (its text parsed back and schema-checked, as a
 * read does): a bad time or an out-of-range value is an error here, before any commit, not a repository that every
 * later run fails on.
 */
function loadable(path: string, content: string): void {
  const base = path.startsWith(`${BASE_IMAGES_DIR}/`);
  const stem = path.slice(path.lastIndexOf('/') + 1, -'.yaml'.length);
  try {
    const data = parseStateYaml(content, path);
    if (base) checked(data, stateValidators().baseImage, path, stem);
    else checked(data, stateValidators().image, path, stem);
  } catch (error) {
    if (error instanceof FactoryError) {
      throw new FactoryError(
        'internal',
        `refusing to write ${path}: the next run could not load it (${error.message})`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** Largest state file read: a base image's file with its bounded history is a few KiB; this bounds a hostile one. */
export const MAX_STATE_FILE_BYTES = 1024 * 1024;

/**
 * A state file's text, or null when it is gone. A symbolic link (`O_NOFOLLOW`), a FIFO (`O_NONBLOCK` opens it without
 * waiting for a writer) or anything else but a regular file is refused, and so is a file over
 * {@link MAX_STATE_FILE_BYTES}. Synchronous on purpose: thousands of small files read in a tenth of the time the
 * promise API takes (four thread-pool round trips per file).
 */
function readStateFile(absolute: string, shown: string): string | null {
  let fd: number;
  try {
    fd = openSync(absolute, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw notRegularFile(shown);
    throw new FactoryError('io', `${shown}: cannot be read: ${error instanceof Error ? error.message : error}`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw notRegularFile(shown);
    if (info.size > MAX_STATE_FILE_BYTES) {
      throw new FactoryError(
        'invalid-state',
        `${shown}: is ${info.size} bytes, over the limit of ${MAX_STATE_FILE_BYTES} bytes for a state file: refused`,
      );
    }
    // At most one byte more than fstat said: a file that grows while it is read is refused, never read past the bound.
    const buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) {
      n = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > info.size) {
      throw new FactoryError('io', `${shown}: grew while it was read (${info.size} bytes when opened): refused`);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/** A state file parsed and checked against its schema. */
type StateEntry =
  | { readonly kind: 'image'; readonly state: ImageState }
  | { readonly kind: 'base'; readonly state: BaseImageState };

/** A state file's path relative to the state folder. */
const STATE_FILE = /^(images|base-images)\/[^/]+\.yaml$/;

/**
 * The state folder of a working copy, read once and then kept in step incrementally: a job that loses the push
 * race re-reads only the files the new head changed (in a GitOps repository of 5,000 images, a handful instead of
 * thousands), and compares its plan with the texts it holds instead of reading every file again.
 */
export class StateFolder {
  private constructor(
    private readonly dir: string,
    private readonly label: string,
    /** Relative path (`images/a.yaml`) → the file's text, for every state file on disk. */
    private readonly texts: Map<string, string>,
    private readonly entries: Map<string, StateEntry>,
  ) {}

  /**
   * Read every state file under `dir` (a missing folder is an empty state).
   * @param label how messages name the folder (the repository-relative path, not a temporary clone's)
   * @param onBaseImages called with the base images once they are read (they come first), before the images: a
   *   caller can start its registry lookups of them while the rest is read
   */
  static async read(
    dir: string,
    label = dir,
    onBaseImages?: (baseImages: ReadonlyMap<string, BaseImageState>) => void,
  ): Promise<StateFolder> {
    const folder = new StateFolder(dir, label, new Map(), new Map());
    const [images, bases] = await Promise.all(
      [IMAGES_DIR, BASE_IMAGES_DIR].map(async (sub) =>
        (await listYaml(join(dir, sub), `${label}/${sub}`)).map((file) => `${sub}/${file}`),
      ),
    );
    folder.load(bases ?? []);
    onBaseImages?.(folder.snapshot().baseImages);
    const rest = images ?? [];
    for (let start = 0; start < rest.length; start += READ_CHUNK) {
      folder.load(rest.slice(start, start + READ_CHUNK));
      // Let what `onBaseImages` started (a sweep's registry lookups) go on while thousands of files are parsed.
      if (onBaseImages !== undefined) await new Promise((done) => setImmediate(done));
    }
    return folder;
  }

  /** Re-read these files (relative to the folder; a file that is gone is dropped); others are kept as read. */
  async refresh(paths: readonly string[]): Promise<void> {
    this.load(paths);
  }

  /**
   * Take in the files of a commit this job made (`changes`, paths relative to the folder) from the texts it wrote,
   * without reading them back: after its own push, a job's next step starts from that commit without a fetch, a
   * reset and a re-read. Each text is parsed and checked as a file read from disk would be.
   */
  adopt(changes: readonly StateFileChange[]): void {
    for (const { path, content } of changes) {
      if (STATE_FILE.test(path)) this.hold(path, content);
    }
  }

  private load(paths: readonly string[]): void {
    const relevant = paths.filter((path) => STATE_FILE.test(path));
    const read = relevant.map((path) => readStateFile(join(this.dir, path), `${this.label}/${path}`));
    relevant.forEach((path, i) => {
      this.hold(path, read[i] ?? null);
    });
  }

  /** Hold `text` as the file at `path` (null: the file is gone). */
  private hold(path: string, text: string | null): void {
    if (text === null) {
      this.texts.delete(path);
      this.entries.delete(path);
      return;
    }
    const shown = `${this.label}/${path}`;
    const stem = path.slice(path.indexOf('/') + 1, -'.yaml'.length);
    const data = parseStateYaml(text, shown);
    const entry: StateEntry = path.startsWith(`${IMAGES_DIR}/`)
      ? { kind: 'image', state: checked(data, stateValidators().image, shown, stem) }
      : { kind: 'base', state: checked(data, stateValidators().baseImage, shown, stem) };
    this.texts.set(path, text);
    this.entries.set(path, entry);
  }

  /** The state as read. */
  snapshot(): StateSnapshot {
    const images = new Map<string, ImageState>();
    const baseImages = new Map<string, BaseImageState>();
    for (const path of [...this.entries.keys()].sort()) {
      const entry = this.entries.get(path);
      if (entry?.kind === 'image') images.set(entry.state.name, entry.state);
      else if (entry?.kind === 'base') baseImages.set(entry.state.name, entry.state);
    }
    return { images, baseImages };
  }

  /** The file changes that make the folder hold exactly `snapshot`, compared with the texts it holds. */
  changesTo(snapshot: StateSnapshot): { readonly changes: readonly StateFileChange[]; readonly write: StateWrite } {
    const parsed = new Map([...this.entries].map(([path, entry]) => [path, entry.state]));
    return diffStateFiles(this.texts, snapshot, parsed);
  }
}

/** Read every state file under `stateDir` (see {@link StateFolder.read}). */
export async function readState(stateDir: string, label = stateDir): Promise<StateSnapshot> {
  return (await StateFolder.read(stateDir, label)).snapshot();
}

/** The files a snapshot is made of: relative path → content. */
export function renderState(snapshot: StateSnapshot): Map<string, string> {
  return new Map([...stateFiles(snapshot)].map(([path, state]) => [path, serialiseState(state)]));
}

/** The state objects of a snapshot by file path, in the order files are written (images/, then base-images/). */
function stateFiles(snapshot: StateSnapshot): Map<string, ImageState | BaseImageState> {
  const files = new Map<string, ImageState | BaseImageState>();
  for (const [name, state] of [...snapshot.images].sort(([a], [b]) => compareCodeUnits(a, b))) {
    files.set(`${IMAGES_DIR}/${name}.yaml`, state);
  }
  for (const [name, state] of [...snapshot.baseImages].sort(([a], [b]) => compareCodeUnits(a, b))) {
    files.set(`${BASE_IMAGES_DIR}/${name}.yaml`, state);
  }
  return files;
}

/** What a write changed, as paths relative to the state folder. */
export interface StateWrite {
  readonly added: readonly string[];
  readonly modified: readonly string[];
  readonly deleted: readonly string[];
}

/** One file to write (content) or delete (null), relative to the state folder. */
export interface StateFileChange {
  readonly path: string;
  readonly content: string | null;
}

/**
 * The file changes that turn the files `existing` (relative path → text) into exactly `snapshot`. Pure.
 * `parsed` (path → the state those texts hold) lets a file whose state is unchanged skip rendering: in a
 * repository of 5,000 images, a plan changes a handful of files, and rendering them all took most of an attempt.
 */
export function diffStateFiles(
  existing: ReadonlyMap<string, string>,
  snapshot: StateSnapshot,
  parsed: ReadonlyMap<string, ImageState | BaseImageState> = new Map(),
): { readonly changes: readonly StateFileChange[]; readonly write: StateWrite } {
  const desired = stateFiles(snapshot);
  const added: string[] = [];
  const modified: string[] = [];
  const changes: StateFileChange[] = [];
  for (const [path, state] of desired) {
    const before = existing.get(path);
    if (before !== undefined) {
      // The same object as read (a plan leaves most files' states untouched) is the same text, without a deep look.
      const read = parsed.get(path);
      if (read === state || isDeepStrictEqual(read, state)) continue;
    }
    const content = serialiseState(state);
    if (before === content) continue;
    loadable(path, content);
    (before === undefined ? added : modified).push(path);
    changes.push({ path, content });
  }
  // Deletions in the order files are rendered: images/ first, then base-images/, each by name.
  const folderRank = (path: string) => (path.startsWith(`${IMAGES_DIR}/`) ? 0 : 1);
  const deleted = [...existing.keys()]
    .filter((path) => !desired.has(path))
    .sort((a, b) => folderRank(a) - folderRank(b) || compareCodeUnits(a, b));
  for (const path of deleted) changes.push({ path, content: null });
  return { changes, write: { added, modified, deleted } };
}

/** The file changes that make the state folder hold exactly `snapshot`, compared with what is on disk. */
export async function stateFileChanges(
  stateDir: string,
  snapshot: StateSnapshot,
): Promise<{
  readonly changes: readonly StateFileChange[];
  readonly write: StateWrite;
}> {
  const existing = new Map<string, string>();
  for (const sub of [IMAGES_DIR, BASE_IMAGES_DIR]) {
    for (const file of await listYaml(join(stateDir, sub), sub)) {
      // Read as the state reader reads (the listing refused what is not a regular file): a file over the bound too.
      const text = readStateFile(join(stateDir, sub, file), `${sub}/${file}`);
      if (text !== null) existing.set(`${sub}/${file}`, text);
    }
  }
  return diffStateFiles(existing, snapshot);
}

/** Make the state folder on disk hold exactly `snapshot`: atomic per file, unchanged files untouched. */
export async function writeState(stateDir: string, snapshot: StateSnapshot): Promise<StateWrite> {
  const { changes, write } = await stateFileChanges(stateDir, snapshot);
  await Promise.all([IMAGES_DIR, BASE_IMAGES_DIR].map((sub) => mkdir(join(stateDir, sub), { recursive: true })));
  await mapLimit(changes, IO_CONCURRENCY, ({ path, content }) =>
    content === null ? rm(join(stateDir, path)) : writeFileAtomic(join(stateDir, path), content, false),
  );
  return write;
}
