/**
 * Reading files of a checkout without leaving it: a path from a flag or from images.yaml must stay inside the
 * checkout lexically (no absolute path, no `..` escape) and physically (no symlink pointing outside), and a file is
 * read only up to a size bound. The Job that does this holds git credentials: it must never print or commit a file
 * from elsewhere on the machine.
 */
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { FactoryError } from '../errors.js';

/** Largest Dockerfile or images.yaml read (the analysis Job runs in 512 MiB). */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;

/** The lexical check, done before anything is cloned: a relative path that stays inside its root. */
export function checkRelativePath(path: string, label: string): string {
  const normalised = posix.normalize(path.replaceAll('\\', '/'));
  if (
    path === '' ||
    isAbsolute(path) ||
    /^[a-zA-Z]:/.test(path) ||
    normalised === '..' ||
    normalised.startsWith('../')
  ) {
    throw new FactoryError('usage', `${label} ${JSON.stringify(path)} must be a relative path inside the repository`);
  }
  return normalised.replace(/^\.\//, '');
}

const within = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/** The absolute path of `path` under `root`, after following symlinks; refused when it leaves `root`. */
export async function confinedPath(root: string, path: string, label: string): Promise<string> {
  const relativePath = checkRelativePath(path, label);
  const realRoot = await realpath(root);
  const absolute = resolve(realRoot, relativePath);
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return absolute;
    throw error;
  }
  if (!within(realRoot, real)) {
    throw new FactoryError(
      'usage',
      `${label} ${relativePath} is a symbolic link that leads outside the repository: refused`,
    );
  }
  return real;
}

/** Read a text file inside `root` (see {@link confinedPath}), refusing files over `maxBytes`. Null when missing. */
export async function readConfinedFile(
  root: string,
  path: string,
  label: string,
  tooLarge: 'invalid-dockerfile' | 'invalid-enrolment',
  maxBytes = MAX_INPUT_BYTES,
): Promise<string | null> {
  const absolute = await confinedPath(root, path, label);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(absolute, 'r');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw new FactoryError('io', `${label} ${path} cannot be read: ${error instanceof Error ? error.message : error}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FactoryError('usage', `${label} ${path} is not a regular file`);
    if (info.size > maxBytes) {
      throw new FactoryError(
        tooLarge,
        `${label} ${path} is ${info.size} bytes, over the limit of ${maxBytes} bytes: refused`,
      );
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
