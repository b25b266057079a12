/** GitWorkspace reads all of git's output, however late it arrives after git exits. */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitWorkspace, gitEnvironment } from '../src/git/workspace.js';
import { commitFiles, createRemote, tempDir } from './support/git-repos.js';

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
});
