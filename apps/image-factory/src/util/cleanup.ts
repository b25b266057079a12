/**
 * Temporary clones are removed even when the process is told to stop: Kubernetes sends SIGTERM when a Job hits its
 * deadline or is deleted, and a clone left on a node's disk is a copy of the GitOps repository. The process entry
 * (cli/bin.ts) installs the signal handlers; jobs register what they create.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';

const pending = new Set<string>();

/** Remove `dir` if the process is stopped by a signal; returns the function that forgets it again. */
export function removeOnExit(dir: string): () => void {
  pending.add(dir);
  return () => {
    pending.delete(dir);
  };
}

/** Our child processes and theirs (git and its helpers), read from /proc; empty where there is no /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** Remove everything registered, synchronously (a signal handler has no time for promises). */
export function removeRegistered(): void {
  // Stop git first: a clone still running would write into the folder while it is being removed.
  for (const pid of descendants(process.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of pending) {
    try {
      // A git process may still be writing into it: retry while it races us (ENOTEMPTY).
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
    } catch {
      // Leave what cannot be removed; exiting promptly matters more.
    }
  }
  pending.clear();
}

/** On SIGTERM / SIGINT: clean up, then exit as the signal would have (128 + its number). */
export function cleanUpOnSignals(): void {
  for (const [signal, number] of [
    ['SIGTERM', 15],
    ['SIGINT', 2],
  ] as const) {
    process.once(signal, () => {
      removeRegistered();
      process.exit(128 + number);
    });
  }
}
