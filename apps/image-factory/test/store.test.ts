/** The state folder on disk: deterministic bytes, atomic writes, schema-checked reads. */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnrolment } from '../src/enrolment/load.js';
import { analyseDockerfile } from '../src/state/analysis.js';
import { planStateUpdate } from '../src/state/plan.js';
import { MAX_STATE_FILE_BYTES, readState, StateFolder, writeState } from '../src/state/store.js';
import { EMPTY_STATE } from '../src/state/types.js';
import { tempDir as scratchDir } from './support/git-repos.js';

const enrolment = loadEnrolment(
  "images:\n  - {name: app, registry: ghcr.io, repository: acme/app, source: {provider: github, repo: acme/app, dockerfile: Dockerfile}}\n  - {name: pg, registry: docker.io, repository: library/postgres, allowTags: '^16$'}\n",
);
const snapshot = planStateUpdate(EMPTY_STATE, enrolment, [
  {
    image: 'app',
    dockerfile: 'Dockerfile',
    uses: analyseDockerfile('FROM node:22\n', 'Dockerfile', {}),
    build: { tag: '1', digest: `sha256:${'2'.repeat(64)}` },
  },
]);

const tempDir = async () => scratchDir('if-store-');

describe('StateFolder: read once, then only what changed', () => {
  it('keeps what it read until told which files changed, then re-reads only those', async () => {
    const dir = await tempDir();
    await writeState(dir, snapshot);
    const folder = await StateFolder.read(dir, 'image-factory/state');
    expect(folder.snapshot()).toEqual(snapshot);
    // Another job's commit changes two files; only those are named to refresh().
    const smaller = planStateUpdate(
      snapshot,
      loadEnrolment("images:\n  - {name: pg, registry: docker.io, repository: library/postgres, allowTags: '^17$'}\n"),
    );
    await writeState(dir, smaller);
    expect(folder.snapshot()).toEqual(snapshot); // nothing re-read yet
    await folder.refresh(['images/pg.yaml']);
    expect(folder.snapshot().images.get('pg')).toMatchObject({ allowTags: '^17$' });
    expect(folder.snapshot().images.has('app')).toBe(true); // not named, so not re-read
    await folder.refresh(['images/app.yaml', 'base-images/node-22.yaml', 'README.md']);
    expect(folder.snapshot()).toEqual(smaller);
    expect(folder.changesTo(smaller).changes).toEqual([]);
    expect(folder.changesTo(snapshot).write).toEqual({
      added: ['images/app.yaml', 'base-images/node-22.yaml'],
      modified: ['images/pg.yaml'],
      deleted: [],
    });
  });

  it('names the repository-relative path of a file that is invalid or not a regular file', async () => {
    const dir = await tempDir();
    await writeState(dir, snapshot);
    const folder = await StateFolder.read(dir, 'image-factory/state');
    await writeFile(join(dir, 'images/pg.yaml'), 'kind: external\nname: pg\n');
    await expect(folder.refresh(['images/pg.yaml'])).rejects.toThrow(/^image-factory\/state\/images\/pg\.yaml: /);
    await rm(join(dir, 'images/pg.yaml'));
    await folder.refresh(['images/pg.yaml']);
    expect(folder.snapshot().images.has('pg')).toBe(false);
  });

  it('refuses, without waiting, a state file that is a FIFO, a symbolic link or over the size bound', async () => {
    const dir = await tempDir();
    await writeState(dir, snapshot);
    const folder = await StateFolder.read(dir, 'image-factory/state');
    const pg = join(dir, 'images/pg.yaml');
    await rm(pg);
    // A FIFO with no writer: opening it for reading would wait for one forever.
    execFileSync('mkfifo', [pg]);
    await expect(folder.refresh(['images/pg.yaml'])).rejects.toThrow(
      'image-factory/state/images/pg.yaml: is not a regular file (a symbolic link?): refused',
    );
    await rm(pg);
    await symlink(join(dir, 'images/app.yaml'), pg);
    await expect(folder.refresh(['images/pg.yaml'])).rejects.toThrow(
      'image-factory/state/images/pg.yaml: is not a regular file (a symbolic link?): refused',
    );
    await rm(pg);
    await writeFile(pg, `kind: external\nname: pg\n#${'x'.repeat(MAX_STATE_FILE_BYTES)}\n`);
    await expect(folder.refresh(['images/pg.yaml'])).rejects.toThrow(
      `image-factory/state/images/pg.yaml: is ${MAX_STATE_FILE_BYTES + 26} bytes, over the limit of ${MAX_STATE_FILE_BYTES} bytes for a state file: refused`,
    );
  });

  it('adopts the texts of its own commit without reading the disk: parsed and checked as read', async () => {
    const dir = await tempDir();
    await writeState(dir, snapshot);
    const folder = await StateFolder.read(dir, 'image-factory/state');
    const smaller = planStateUpdate(
      snapshot,
      loadEnrolment("images:\n  - {name: pg, registry: docker.io, repository: library/postgres, allowTags: '^17$'}\n"),
    );
    const { changes } = folder.changesTo(smaller);
    expect(changes.map((c) => [c.path, c.content === null])).toEqual([
      ['images/pg.yaml', false],
      ['images/app.yaml', true],
      ['base-images/node-22.yaml', true],
    ]);
    // The disk still holds the old files (a commit through fast-import leaves the working tree): nothing is read.
    folder.adopt(changes);
    expect(folder.snapshot()).toEqual(smaller);
    expect(folder.changesTo(smaller).changes).toEqual([]);
    expect(await readState(dir)).toEqual(snapshot);
    // A text that breaks the schema is refused as a file read from disk would be, naming it.
    expect(() => folder.adopt([{ path: 'images/pg.yaml', content: 'kind: external\nname: pg\n' }])).toThrow(
      /^image-factory\/state\/images\/pg\.yaml: /,
    );
    // What is not a state file is not taken in.
    folder.adopt([{ path: 'README.md', content: 'x' }]);
    expect(folder.changesTo(smaller).changes).toEqual([]);
  });

  it('hands over the base images before reading the images, and the whole state after', async () => {
    const dir = await tempDir();
    await writeState(dir, snapshot);
    const handed: string[][] = [];
    const folder = await StateFolder.read(dir, 'image-factory/state', (bases) => handed.push([...bases.keys()]));
    expect(handed).toEqual([[...snapshot.baseImages.keys()]]);
    expect(handed[0]?.length).toBeGreaterThan(0);
    expect(folder.snapshot()).toEqual(snapshot);
    // An image file that cannot be read fails the read, after the base images were handed over: they came first.
    await writeFile(join(dir, 'images/pg.yaml'), 'kind: external\nname: pg\n');
    const before: string[][] = [];
    await expect(
      StateFolder.read(dir, 'image-factory/state', (bases) => before.push([...bases.keys()])),
    ).rejects.toThrow(/^image-factory\/state\/images\/pg\.yaml: /);
    expect(before).toEqual([[...snapshot.baseImages.keys()]]);
  });
});

describe('state store', () => {
  it('writes sorted, timestamp-free YAML that reads back to the same state', async () => {
    const dir = await tempDir();
    const write = await writeState(dir, snapshot);
    expect(write).toEqual({
      added: ['images/app.yaml', 'images/pg.yaml', 'base-images/node-22.yaml'],
      modified: [],
      deleted: [],
    });
    expect(await readFile(join(dir, 'images/pg.yaml'), 'utf8')).toBe(
      '# Written by image-factory from images.yaml and Dockerfile analyses. Do not edit by hand.\n' +
        'allowTags: ^16$\nkind: external\nname: pg\nregistry: docker.io\nrepoURL: docker.io/library/postgres\nrepository: library/postgres\n',
    );
    expect(await readState(dir)).toEqual(snapshot);
  });

  it('touches nothing when nothing changed, and leaves no temporary files', async () => {
    const dir = await tempDir();
    await writeState(dir, snapshot);
    const before = await readFile(join(dir, 'base-images/node-22.yaml'), 'utf8');
    expect(await writeState(dir, await readState(dir))).toEqual({ added: [], modified: [], deleted: [] });
    expect(await readFile(join(dir, 'base-images/node-22.yaml'), 'utf8')).toBe(before);
    expect((await readdir(join(dir, 'images'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes over a folder only as the reader reads it: a symbolic link or a file over the bound is refused', async () => {
    const dir = await tempDir();
    await writeState(dir, snapshot);
    const pg = join(dir, 'images/pg.yaml');
    const outside = join(await tempDir(), 'outside.yaml');
    await writeFile(outside, 'kind: external\nname: pg\n');
    await rm(pg);
    await symlink(outside, pg);
    await expect(writeState(dir, snapshot)).rejects.toThrow('images/pg.yaml: is not a regular file');
    expect(await readFile(outside, 'utf8')).toBe('kind: external\nname: pg\n');
    await rm(pg);
    await writeFile(pg, `#${'x'.repeat(MAX_STATE_FILE_BYTES)}\n`);
    await expect(writeState(dir, snapshot)).rejects.toThrow(
      `images/pg.yaml: is ${MAX_STATE_FILE_BYTES + 2} bytes, over the limit`,
    );
    await rm(pg);
    expect(await writeState(dir, snapshot)).toEqual({ added: ['images/pg.yaml'], modified: [], deleted: [] });
  });

  it('deletes the files of state that is gone', async () => {
    const dir = await tempDir();
    await writeState(dir, snapshot);
    const smaller = planStateUpdate(
      snapshot,
      loadEnrolment("images:\n  - {name: pg, registry: docker.io, repository: library/postgres, allowTags: '^16$'}\n"),
    );
    expect(await writeState(dir, smaller)).toEqual({
      added: [],
      modified: [],
      deleted: ['images/app.yaml', 'base-images/node-22.yaml'],
    });
  });

  it('reads a missing folder as empty state', async () => {
    expect(await readState(join(await tempDir(), 'nope'))).toEqual(EMPTY_STATE);
  });

  it('rejects a hand-broken state file, naming the file and the field', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'images'), { recursive: true });
    await writeFile(join(dir, 'images/x.yaml'), 'name: x\nkind: external\nregistry: r\nrepository: r\nrepoURL: r/r\n');
    await expect(readState(dir)).rejects.toThrow(/images\/x.yaml: .*must/);
    await writeFile(
      join(dir, 'images/x.yaml'),
      'name: y\nkind: external\nregistry: r\nrepository: r\nrepoURL: r/r\nallowTags: a\n',
    );
    await expect(readState(dir)).rejects.toThrow(/images\/x.yaml: name "y" does not match the file name/);
    await writeFile(join(dir, 'images/x.yaml'), 'name: [\n');
    await expect(readState(dir)).rejects.toThrow(/images\/x.yaml:2:1: not valid YAML: unexpected end of the stream/);
  });
});
