/** Test helpers: fixture paths and the built CLI. */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli as runCliInProcess } from '../src/cli/main.js';
import { redact } from '../src/log/redact.js';

export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The committed bin entry (loads dist/cli/bin.js), as npm links it. */
export const CLI = fileURLToPath(new URL('../bin/image-factory.mjs', import.meta.url));

/** Absolute path of a file under test/fixtures. */
export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(`fixtures/${relative}`, import.meta.url));
}

/** Text of a file under test/fixtures. */
export function fixture(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8');
}

/**
 * Run the CLI in this process, with its IO captured exactly as the process entry would write it (redacted). The
 * same `runCli` the bin entry calls: use it unless the process itself is the point (exit status of a real process,
 * signals, stdin, concurrency of separate jobs).
 */
export async function cli(
  args: string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; now?: Date } = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCliInProcess(args, {
    stdout: (text) => {
      stdout += redact(text);
    },
    stderr: (text) => {
      stderr += redact(text);
    },
    readStdin: async () => options.input ?? '',
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? PACKAGE_ROOT,
    ...(options.now === undefined ? {} : { now: () => options.now ?? new Date() }),
  });
  return { status, stdout, stderr };
}

/** Run the `image-factory` command as a separate process, as a user would. */
export function runCli(args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input ?? '',
    cwd: options.cwd ?? PACKAGE_ROOT,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Run the compiled CLI as a process without blocking this one (the test's own servers keep answering meanwhile). */
export function runCliAsync(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? PACKAGE_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
