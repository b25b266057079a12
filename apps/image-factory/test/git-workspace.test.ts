/**
 * GitWorkspace reads all of git's output, however late it arrives after git exits; and it pushes HEAD to its branch
 * or to another one (a request branch) without ever overwriting what someone else pushed: a new branch that exists
 * already is not replaced, and a replacing push (force-with-lease) happens only while the branch is where it was read.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitWorkspace, gitEnvironment } from '../src/git/workspace.js';
import { commitFiles, createRemote, remoteFile, remoteHead, tempDir } from './support/git-repos.js';

describe('GitWorkspace', () => {
  it('waits for the output to close, not for the process to exit (a busy event loop reads it late)', async () => {
    const remote = createRemote({ 'state/a.yaml': 'a: 1\n', 'state/b.yaml': 'b: 1\n' });
    // A `git` whose `diff` exits at once and leaves its output to a child that writes 300 ms later: what a loaded
    // machine looks like to the parent (the exit is seen before the output is read).
    const bin = tempDir('if-fake-git-');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\nif [ "$1" = diff ]; then (sleep 0.3; exec ${real} "$@") & exit 0; fi\nexec ${real} "$@"\n`,
    );
    chmodSync(join(bin, 'git'), 0o755);
    const env = gitEnvironment({ ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }, null);
    const workspace = await GitWorkspace.cloneShallow(remote, 'main', join(tempDir('if-clone-'), 'c'), env);
    const before = await workspace.head();
    // Another job pushes; this one fetches the new head, as a retry does, and asks what changed.
    commitFiles(remote, { 'state/a.yaml': 'a: 2\n', 'state/c.yaml': 'c: 1\n' }, 'a and c');
    const after = await workspace.resetToRemote();
    expect(await workspace.changedFiles(before, after, 'state')).toEqual(['state/a.yaml', 'state/c.yaml']);
  });

  const AUTHOR = { name: 'image-factory', email: 'image-factory@example.com' };
  const NOW = new Date('2026-12-04T10:00:00Z');
  const BRANCH = 'image-factory/request/req-0123456789ab';

  async function clone(remote: string): Promise<GitWorkspace> {
    return GitWorkspace.cloneShallow(
      remote,
      'main',
      join(tempDir('if-clone-'), 'c'),
      gitEnvironment(process.env, null),
    );
  }

  it('pushes HEAD to a new branch, and never overwrites that branch once it exists', async () => {
    const remote = createRemote({ 'a.yaml': 'a: 1\n' });
    const first = await clone(remote);
    await first.commitFiles([{ path: 'r.yaml', content: 'first\n' }], 'first', AUTHOR, NOW);
    expect(await first.push({ branch: BRANCH })).toBe('pushed');
    expect(remoteFile(remote, 'r.yaml', BRANCH)).toBe('first');
    expect(remoteFile(remote, 'r.yaml')).toBeNull();
    const second = await clone(remote);
    await second.commitFiles([{ path: 'r.yaml', content: 'second\n' }], 'second', AUTHOR, NOW);
    expect(await second.push({ branch: BRANCH })).toBe('rejected');
    expect(remoteFile(remote, 'r.yaml', BRANCH)).toBe('first');
  });

  it('replaces a branch only while it is at the expected commit (force-with-lease)', async () => {
    const remote = createRemote({ 'a.yaml': 'a: 1\n' });
    const proposed = commitFiles(remote, { 'r.yaml': 'proposed\n' }, 'proposed', BRANCH);
    const workspace = await clone(remote);
    await workspace.commitFiles([{ path: 'r.yaml', content: 'refreshed\n' }], 'refreshed', AUTHOR, NOW);
    // Someone pushes to the branch after it was read: the lease on the old commit no longer holds.
    const meanwhile = commitFiles(remote, { 'r.yaml': 'meanwhile\n' }, 'meanwhile', BRANCH);
    expect(await workspace.push({ branch: BRANCH, expected: proposed })).toBe('rejected');
    expect(remoteHead(remote, BRANCH)).toBe(meanwhile);
    // At the commit it was read at, the branch is replaced though HEAD does not descend from it.
    expect(await workspace.push({ branch: BRANCH, expected: meanwhile })).toBe('pushed');
    expect(remoteHead(remote, BRANCH)).toBe(await workspace.head());
    expect(remoteFile(remote, 'r.yaml', BRANCH)).toBe('refreshed');
  });
});
