/** publishChange's retry policy, with the clock and the dice injected (the git side is tested end to end). */
import { describe, expect, it } from 'vitest';
import { publishChange } from '../src/git/publish.js';
import type { GitWorkspace } from '../src/git/workspace.js';
import type { Logger } from '../src/log/logger.js';

const silent: Logger = { log() {}, info() {}, warn() {}, error() {} };
const author = { name: 'a', email: 'a@example.com' };

/** A workspace whose pushes are rejected `rejections` times, recording what happened. */
function fakeWorkspace(rejections: number) {
  const events: string[] = [];
  let pushes = 0;
  const workspace = {
    branch: 'main',
    async resetToRemote() {
      events.push('reset');
    },
    async commitFiles() {
      events.push('commit');
      return `c${pushes}`;
    },
    async push() {
      pushes++;
      events.push('push');
      return pushes <= rejections ? 'rejected' : 'pushed';
    },
  } as unknown as GitWorkspace;
  return { workspace, events };
}

describe('publishChange', () => {
  it('recomputes the change on the new head after each rejection, with equal-jitter exponential backoff', async () => {
    const { workspace, events } = fakeWorkspace(3);
    const waits: number[] = [];
    let prepared = 0;
    const result = await publishChange(
      workspace,
      async () => {
        prepared++;
        return { message: 'm', files: [{ path: 'a', content: 'x' }] };
      },
      silent,
      { author, sleep: async (ms) => void waits.push(ms), random: () => 0 },
    );
    expect(result).toEqual({ status: 'pushed', commit: 'c3', attempts: 4 });
    expect(prepared).toBe(4);
    expect(events).toEqual([
      'commit',
      'push',
      'reset',
      'commit',
      'push',
      'reset',
      'commit',
      'push',
      'reset',
      'commit',
      'push',
    ]);
    expect(waits).toEqual([250, 500, 1000]); // half of 500, 1000, 2000 with random() = 0
  });

  it('caps each wait at maxBackoffMs and never waits less than half the ceiling', async () => {
    const { workspace } = fakeWorkspace(7);
    const waits: number[] = [];
    await publishChange(workspace, async () => ({ message: 'm', files: [{ path: 'a', content: 'x' }] }), silent, {
      author,
      sleep: async (ms) => void waits.push(ms),
      random: () => 1,
    });
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000]);
  });

  it('commits nothing when the state is already up to date', async () => {
    const { workspace, events } = fakeWorkspace(0);
    const result = await publishChange(workspace, async () => ({ message: 'm', files: [] }), silent, { author });
    expect(result).toEqual({ status: 'unchanged', attempts: 1 });
    expect(events).toEqual([]);
  });

  it('gives up after maxAttempts with a clear message', async () => {
    const { workspace } = fakeWorkspace(100);
    await expect(
      publishChange(workspace, async () => ({ message: 'm', files: [{ path: 'a', content: 'x' }] }), silent, {
        author,
        maxAttempts: 3,
        sleep: async () => {},
      }),
    ).rejects.toThrow(
      'gave up after 3 attempts: main kept moving on while other jobs pushed; the remote is unchanged by this run',
    );
  });
});
