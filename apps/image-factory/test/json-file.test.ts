/**
 * One way to read a JSON file the user names: bounded, parsed, and each failure a FactoryError naming the file and
 * what it should be, with the exit status docs/cli.md gives (2: cannot be read; 1: the input is wrong).
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, FactoryError } from '../src/errors.js';
import { parseJsonText, readJsonFile } from '../src/util/json-file.js';
import { cli } from './helpers.js';
import { tempDir } from './support/git-repos.js';

const WHAT = 'a Trivy JSON report (SchemaVersion 2)';

/** The FactoryError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<FactoryError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof FactoryError)) throw new Error(`expected a FactoryError, got ${String(error)}`);
  return error;
}

describe('readJsonFile', () => {
  it('returns the parsed value', async () => {
    const file = join(tempDir('if-json-'), 'report.json');
    writeFileSync(file, '{"SchemaVersion": 2, "Results": []}');
    expect(await readJsonFile(file, WHAT)).toEqual({ SchemaVersion: 2, Results: [] });
  });

  it('a file that is not JSON: exit 1, "<label>: not <what>: not JSON (<reason>)", with the advice given', async () => {
    const file = join(tempDir('if-json-'), 'report.json');
    writeFileSync(file, '{"SchemaVersion": 2,');
    const error = await failure(readJsonFile(file, WHAT, { label: '--vulnerability-report r.json', advice: 'rescan' }));
    expect(exitCodeOf(error.code)).toBe(1);
    expect(error.message).toMatch(
      /^--vulnerability-report r\.json: not a Trivy JSON report \(SchemaVersion 2\): not JSON \(.+\) \(rescan\)$/,
    );
  });

  it('the reason never quotes the text (a Docker config.json holds credentials); the position is kept', async () => {
    const secret = 'c2VjcmV0LXBhc3N3b3Jk';
    const dir = tempDir('if-json-');
    const token = join(dir, 'config.json');
    writeFileSync(token, `{"auths": {"r": {"auth": "${secret}", "x": bad}}}`);
    const unexpected = await failure(readJsonFile(token, 'a Docker config.json'));
    expect(unexpected.message).toBe(`${token}: not a Docker config.json: not JSON (an unexpected character)`);
    const cut = join(dir, 'cut.json');
    writeFileSync(cut, `{"auths": {"r": {"auth": "${secret}" "`);
    const positioned = await failure(readJsonFile(cut, 'a Docker config.json'));
    expect(positioned.message).toMatch(/not JSON \(.+ at position \d+\)$/);
    for (const error of [unexpected, positioned]) expect(error.message).not.toMatch(/c2Vj|Jk"|bad/);
  });

  it('a file that cannot be read: exit 2, naming it; absent reads as undefined only when asked', async () => {
    const file = join(tempDir('if-json-'), 'missing.json');
    const error = await failure(readJsonFile(file, WHAT));
    expect(exitCodeOf(error.code)).toBe(2);
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot read: ENOENT`));
    expect(await readJsonFile(file, WHAT, { absentIsUndefined: true })).toBeUndefined();
    // A folder is not absent: it is an error even then.
    const folder = tempDir('if-json-');
    expect(exitCodeOf((await failure(readJsonFile(folder, WHAT, { absentIsUndefined: true }))).code)).toBe(2);
  });

  it('a file larger than the bound is refused by name (exit 2), one of exactly the bound is read', async () => {
    const dir = tempDir('if-json-');
    const at = join(dir, 'at.json');
    const over = join(dir, 'over.json');
    writeFileSync(at, `"${'x'.repeat(1022)}"`);
    writeFileSync(over, `"${'x'.repeat(1023)}"`);
    expect(await readJsonFile(at, WHAT, { maxBytes: 1024 })).toHaveLength(1022);
    const error = await failure(readJsonFile(over, WHAT, { maxBytes: 1024, label: 'registry config c.json' }));
    expect(exitCodeOf(error.code)).toBe(2);
    expect(error.message).toBe('registry config c.json: larger than 1024 bytes');
    writeFileSync(over, `"${'x'.repeat(4 * 1024 * 1024)}"`);
    expect((await failure(readJsonFile(over, WHAT, { maxBytes: 4 * 1024 * 1024 }))).message).toBe(
      `${over}: larger than 4 MiB`,
    );
  });

  it('a file with no size to trust (a pipe that never ends) is refused once past the bound, never read whole', async () => {
    const fifo = join(tempDir('if-json-'), 'pods.json');
    execFileSync('mkfifo', [fifo]);
    // `yes` writes for ever; it ends with SIGPIPE once the reader has read one byte more than the bound and closed.
    const writer = spawn('sh', ['-c', `exec yes '"x"' > '${fifo}'`], { stdio: 'ignore' });
    const ended = new Promise((resolve) => writer.once('exit', resolve));
    const error = await failure(readJsonFile(fifo, WHAT, { maxBytes: 1024, label: '--workloads pods.json' }));
    expect(exitCodeOf(error.code)).toBe(2);
    expect(error.message).toBe('--workloads pods.json: larger than 1024 bytes');
    await ended;
  });

  it('JSON is UTF-8: bytes that are not are refused (exit 1), never read as replacement characters', async () => {
    const file = join(tempDir('if-json-'), 'latin1.json');
    writeFileSync(file, Buffer.concat([Buffer.from('{"auths": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]));
    const error = await failure(readJsonFile(file, 'a Docker config.json', { label: 'c.json' }));
    expect(exitCodeOf(error.code)).toBe(1);
    expect(error.message).toBe('c.json: not a Docker config.json: not JSON (not UTF-8)');
  });
});

describe('parseJsonText (stdin)', () => {
  it('names the input and what it should be', () => {
    expect(() => parseJsonText('[', 'stdin', 'a pod list (kubectl get pods -A -o json)')).toThrow(
      /^stdin: not a pod list \(kubectl get pods -A -o json\): not JSON \(/,
    );
    expect(parseJsonText('{"items": []}', 'stdin', 'a pod list')).toEqual({ items: [] });
  });
});

describe('the commands that read JSON the user names', () => {
  it('compliance --workloads: a pod list that is not JSON is named with what it should be, on stdin or in a file', async () => {
    const piped = await cli(['compliance', '--workloads', '-'], { input: '{"items": [' });
    expect(piped.status).toBe(1);
    expect(piped.stderr).toContain('stdin: not a pod list (kubectl get pods -A -o json): not JSON (');
    const file = join(tempDir('if-json-'), 'pods.json');
    writeFileSync(file, 'apiVersion: v1\nkind: List\n');
    const named = await cli(['compliance', '--workloads', file]);
    expect(named.status).toBe(1);
    expect(named.stderr).toContain(`${file}: not a pod list (kubectl get pods -A -o json): not JSON (`);
  });
});
