/**
 * A report file, read at the edge: a regular file, at most MAX_REPORT_BYTES (read bounded, never more, whatever
 * the file claims or grows to), UTF-8 JSON, a Trivy report with RepoDigests. Every refusal names the file and what.
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FactoryError, messageOf } from '../errors.js';
import { type RepoDigest, repoDigestsOf } from './match.js';
import { parseTrivyReport, type TrivyReport } from './trivy-report.js';

/**
 * The largest report read: a scan of a large image with every finding's description runs to a few MiB; an
 * operating system with tens of thousands of findings stays well under this.
 */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** A report read and checked, with the name it was given by. */
export interface ReportFile {
  readonly file: string;
  readonly report: TrivyReport;
  readonly repoDigests: readonly RepoDigest[];
}

/** The bytes of `path`, refused past `maxBytes` (read one byte more to know). */
async function readBoundedFile(path: string, shown: string, maxBytes: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new FactoryError('io', `--report ${shown}: cannot read: ${messageOf(error)}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FactoryError('usage', `--report ${shown}: not a regular file`);
    const tooLarge = () =>
      new FactoryError(
        'invalid-config',
        `--report ${shown}: larger than ${maxBytes} bytes: refused (not a Trivy report of one image?)`,
      );
    if (info.size > maxBytes) throw tooLarge();
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge();
      if (length === buffer.length) break;
    }
    if (length > maxBytes) throw tooLarge();
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof FactoryError) throw error;
    throw new FactoryError('io', `--report ${shown}: cannot read: ${messageOf(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
}

/**
 * Read and check one report (`file` relative to `cwd`). A missing or unreadable file is exit 2; a file that is too
 * large, not UTF-8 JSON, not SchemaVersion 2 or without RepoDigests is exit 1, each said with the file's name.
 */
export async function readReportFile(cwd: string, file: string, maxBytes = MAX_REPORT_BYTES): Promise<ReportFile> {
  const bytes = await readBoundedFile(resolve(cwd, file), file, maxBytes);
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    // V8's message quotes the text around the mistake: a report may hold secret findings, so only the place is said.
    const at = /position (\d+)/.exec(messageOf(error))?.[1];
    const where = at === undefined ? (error instanceof TypeError ? ' (not UTF-8)' : '') : ` at position ${at}`;
    throw new FactoryError('invalid-config', `--report ${file}: not a Trivy JSON report: not JSON${where}`);
  }
  const parsed = parseTrivyReport(data);
  if (!parsed.ok) throw new FactoryError('invalid-config', `--report ${file}: ${parsed.error}`);
  const repoDigests = repoDigestsOf(parsed.value.Metadata.RepoDigests);
  if (!repoDigests.ok) throw new FactoryError('invalid-config', `--report ${file}: ${repoDigests.error}`);
  return { file, report: parsed.value, repoDigests: repoDigests.value };
}
