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
      return `head-${pushes}`;
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
    const heads: (string | null)[] = [];
    const result = await publishChange(
      workspace,
      async (head) => {
        heads.push(head);
        prepared++;
        return { message: 'm', files: [{ path: 'a', content: 'x' }] };
      },
      silent,
      { author, sleep: async (ms) => void waits.push(ms), random: () => 0 },
    );
    expect(result).toEqual({ status: 'pushed', commit: 'c3', attempts: 4 });
    expect(prepared).toBe(4);
    expect(heads).toEqual([null, 'head-1', 'head-2', 'head-3']); // the fetched tip each retry plans on
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

  it('caps each wait at 8 × the first ceiling (a job that lost often retries as often as a newcomer)', async () => {
    const { workspace } = fakeWorkspace(7);
    const waits: number[] = [];
    await publishChange(workspace, async () => ({ message: 'm', files: [{ path: 'a', content: 'x' }] }), silent, {
      author,
      sleep: async (ms) => void waits.push(ms),
      random: () => 1,
    });
    expect(waits).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000]);
  });

  it('waits in units of what an attempt took when that is longer than the backoff (slow attempts spread out)', async () => {
    const { workspace } = fakeWorkspace(5);
    let now = 0;
    const slowPush = workspace.push.bind(workspace);
    // Each attempt (fetch, plan, commit, push) takes 3 s of the clock: longer than the 500 ms backoff.
    workspace.push = async () => {
      now += 3000;
      return slowPush();
    };
    const waits: number[] = [];
    await publishChange(workspace, async () => ({ message: 'm', files: [{ path: 'a', content: 'x' }] }), silent, {
      author,
      now: () => new Date(now),
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
      random: () => 1,
    });
    expect(waits).toEqual([3000, 6000, 12000, 24000, 24000]); // 3 s doubling, capped at 8 × 3 s
  });

  it('retries until the deadline, not a fixed count, then gives up saying it is safe to run again', async () => {
    const { workspace } = fakeWorkspace(1000);
    let now = 0;
    const waits: number[] = [];
    const error = await publishChange(
      workspace,
      async () => ({ message: 'm', files: [{ path: 'a', content: 'x' }] }),
      silent,
      {
        author,
        deadlineMs: 60_000,
        backoffMs: 1000,
        now: () => new Date(now),
        sleep: async (ms) => {
          waits.push(ms);
          now += ms;
        },
        random: () => 1,
      },
    ).catch((e: unknown) => e);
    // 1 + 2 + 4 + 8 × 6 = 55 s of waiting; the next 8 s wait would pass the 60 s deadline.
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000, 8000]);
    expect(error).toMatchObject({ code: 'conflict' });
    expect(String(error)).toMatch(
      /gave up after 10 attempt\(s\) in 55 s: main kept moving on .* It is safe to run again/,
    );
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
      /^gave up after 3 attempt\(s\) in 0 s: main kept moving on while other jobs pushed; the remote is unchanged/,
    );
  });
});
