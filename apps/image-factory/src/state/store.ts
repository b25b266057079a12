/** Read and write the state folder: schema-checked reads, atomic writes (temp file + rename). */
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { FactoryError } from '../errors.js';
import { readIfExists, writeFileAtomic } from '../util/files.js';
import { mapLimit } from '../util/map-limit.js';
import { BASE_IMAGE_STATE_SCHEMA, IMAGE_STATE_SCHEMA } from './schema.js';
import { parseStateYaml, serialiseState } from './serialise.js';
import type { BaseImageState, ImageState, StateSnapshot } from './types.js';

/** Parallel file operations: the state of a large organisation is thousands of small files. */
const IO_CONCURRENCY = 32;

/** Sub-folders of the state folder. */
export const IMAGES_DIR = 'images';
export const BASE_IMAGES_DIR = 'base-images';

type Validators = { image: ValidateFunction<ImageState>; baseImage: ValidateFunction<BaseImageState> };
let validators: Validators | undefined;

/** The state-file validators (type guards: a file that passes is typed, no cast), compiled on first use. */
function stateValidators(): Validators {
  if (validators === undefined) {
    const ajv = new Ajv2020({ allErrors: false, strict: false, validateSchema: false });
    validators = {
      image: ajv.compile<ImageState>(IMAGE_STATE_SCHEMA),
      baseImage: ajv.compile<BaseImageState>(BASE_IMAGE_STATE_SCHEMA),
    };
  }
  return validators;
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
      throw new FactoryError(
        'invalid-state',
        `${label}/${entry.name}: is not a regular file (a symbolic link?): refused`,
      );
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
 * Read every state file under `stateDir` (a missing folder is an empty state).
 * @param label how messages name the folder (the repository-relative path, not a temporary clone's)
 */
export async function readState(stateDir: string, label = stateDir): Promise<StateSnapshot> {
  const readAll = async <T extends { readonly name: string }>(
    sub: string,
    validate: ValidateFunction<T>,
  ): Promise<T[]> => {
    const files = await listYaml(join(stateDir, sub), `${label}/${sub}`);
    return mapLimit(files, IO_CONCURRENCY, async (file) => {
      const shown = `${label}/${sub}/${file}`;
      const data = parseStateYaml(await readFile(join(stateDir, sub, file), 'utf8'), shown);
      return checked<T>(data, validate, shown, file.slice(0, -'.yaml'.length));
    });
  };
  const [images, baseImages] = await Promise.all([
    readAll<ImageState>(IMAGES_DIR, stateValidators().image),
    readAll<BaseImageState>(BASE_IMAGES_DIR, stateValidators().baseImage),
  ]);
  return {
    images: new Map(images.map((state) => [state.name, state])),
    baseImages: new Map(baseImages.map((state) => [state.name, state])),
  };
}

/** The files a snapshot is made of: relative path → content. */
export function renderState(snapshot: StateSnapshot): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of [...snapshot.images.keys()].sort()) {
    files.set(`${IMAGES_DIR}/${name}.yaml`, serialiseState(snapshot.images.get(name) as ImageState));
  }
  for (const name of [...snapshot.baseImages.keys()].sort()) {
    files.set(`${BASE_IMAGES_DIR}/${name}.yaml`, serialiseState(snapshot.baseImages.get(name) as BaseImageState));
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

/** The file changes that make the state folder hold exactly `snapshot`, compared with what is on disk. */
export async function stateFileChanges(
  stateDir: string,
  snapshot: StateSnapshot,
): Promise<{
  readonly changes: readonly StateFileChange[];
  readonly write: StateWrite;
}> {
  const desired = [...renderState(snapshot)];
  const outcomes = await mapLimit(desired, IO_CONCURRENCY, async ([relative, content]) => {
    const existing = await readIfExists(join(stateDir, relative));
    if (existing === content) return 'same' as const;
    return existing === null ? ('added' as const) : ('modified' as const);
  });
  const wanted = new Set(desired.map(([relative]) => relative));
  const deleted: string[] = [];
  for (const sub of [IMAGES_DIR, BASE_IMAGES_DIR]) {
    for (const file of await listYaml(join(stateDir, sub), sub)) {
      const relative = `${sub}/${file}`;
      if (!wanted.has(relative)) deleted.push(relative);
    }
  }
  const changed = desired.filter((_, i) => outcomes[i] !== 'same');
  return {
    changes: [
      ...changed.map(([path, content]) => ({ path, content })),
      ...deleted.map((path) => ({ path, content: null })),
    ],
    write: {
      added: desired.filter((_, i) => outcomes[i] === 'added').map(([relative]) => relative),
      modified: desired.filter((_, i) => outcomes[i] === 'modified').map(([relative]) => relative),
      deleted,
    },
  };
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
