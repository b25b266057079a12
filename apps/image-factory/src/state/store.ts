/** Read and write the state folder: schema-checked reads, atomic writes (temp file + rename). */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { FactoryError } from '../errors.js';
import { BASE_IMAGE_STATE_SCHEMA, IMAGE_STATE_SCHEMA } from './schema.js';
import { parseStateYaml, serialiseState } from './serialise.js';
import type { BaseImageState, ImageState, StateSnapshot } from './types.js';

/** Sub-folders of the state folder. */
export const IMAGES_DIR = 'images';
export const BASE_IMAGES_DIR = 'base-images';

const ajv = new Ajv2020({ allErrors: false, strict: false });
const validateImage = ajv.compile(IMAGE_STATE_SCHEMA);
const validateBaseImage = ajv.compile(BASE_IMAGE_STATE_SCHEMA);

async function listYaml(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function checked<T extends { name: string }>(data: unknown, validate: ValidateFunction, file: string, stem: string): T {
  if (!validate(data)) {
    const error = validate.errors?.[0];
    const where = error?.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : '(root)';
    throw new FactoryError('invalid-state', `${file}: ${where} ${error?.message ?? 'is invalid'}`);
  }
  const value = data as T;
  if (value.name !== stem) {
    throw new FactoryError('invalid-state', `${file}: name "${value.name}" does not match the file name`);
  }
  return value;
}

/** Read every state file under `stateDir` (a missing folder is an empty state). */
export async function readState(stateDir: string): Promise<StateSnapshot> {
  const images = new Map<string, ImageState>();
  const baseImages = new Map<string, BaseImageState>();
  for (const file of await listYaml(join(stateDir, IMAGES_DIR))) {
    const path = join(stateDir, IMAGES_DIR, file);
    const data = parseStateYaml(await readFile(path, 'utf8'), path);
    const state = checked<ImageState>(data, validateImage, path, file.slice(0, -'.yaml'.length));
    images.set(state.name, state);
  }
  for (const file of await listYaml(join(stateDir, BASE_IMAGES_DIR))) {
    const path = join(stateDir, BASE_IMAGES_DIR, file);
    const data = parseStateYaml(await readFile(path, 'utf8'), path);
    const state = checked<BaseImageState>(data, validateBaseImage, path, file.slice(0, -'.yaml'.length));
    baseImages.set(state.name, state);
  }
  return { images, baseImages };
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

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Write a file so readers see the old or the new content, never half of it. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, content, { flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Make the state folder hold exactly `snapshot`; unchanged files are not touched. */
export async function writeState(stateDir: string, snapshot: StateSnapshot): Promise<StateWrite> {
  const desired = renderState(snapshot);
  const added: string[] = [];
  const modified: string[] = [];
  const deleted: string[] = [];
  for (const [relative, content] of desired) {
    const path = join(stateDir, relative);
    const existing = await readIfExists(path);
    if (existing === content) continue;
    await writeFileAtomic(path, content);
    (existing === null ? added : modified).push(relative);
  }
  for (const sub of [IMAGES_DIR, BASE_IMAGES_DIR]) {
    for (const file of await listYaml(join(stateDir, sub))) {
      const relative = `${sub}/${file}`;
      if (desired.has(relative)) continue;
      await rm(join(stateDir, relative));
      deleted.push(relative);
    }
  }
  return { added, modified, deleted };
}

/** Compare two snapshots file by file without touching disk (for --dry-run and commit messages). */
export function diffStates(before: StateSnapshot, after: StateSnapshot): StateWrite {
  const a = renderState(before);
  const b = renderState(after);
  const added: string[] = [];
  const modified: string[] = [];
  const deleted: string[] = [];
  for (const [path, content] of b) {
    const old = a.get(path);
    if (old === undefined) added.push(path);
    else if (old !== content) modified.push(path);
  }
  for (const path of a.keys()) if (!b.has(path)) deleted.push(path);
  return { added, modified, deleted };
}
