/** Human-readable tables: a Dockerfile analysis, and plain column tables for reports. */
import type { FileAnalysis } from '../dockerfile/types.js';

function pad(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Columns padded to their widest cell, two spaces apart, each row indented by two; `(none)` when empty. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '  (none)';
  const all: (readonly string[])[] = [header];
  for (const row of rows) all.push(row);
  return pad(all)
    .map((line) => `  ${line}`)
    .join('\n');
}

/** A table of the images, then one `file:line: severity code: message` line per diagnostic. */
export function formatAnalysisTable(analysis: FileAnalysis): string {
  const lines = [`${analysis.file}: ${analysis.stages.length} stage(s), ${analysis.images.length} image(s)`];
  if (analysis.images.length > 0) {
    const rows = [['LINE', 'KIND', 'STAGE', 'PLATFORM', 'REFERENCE']];
    for (const image of analysis.images) {
      rows.push([
        String(image.line),
        image.kind,
        image.stage ?? '-',
        image.platform ?? '-',
        image.reference ?? `(no reference: ${image.text || 'empty'})`,
      ]);
    }
    // A loop, not push(...rows): a spread of 200,000 rows overflows the call stack.
    for (const row of pad(rows)) lines.push(`  ${row}`);
  }
  for (const d of analysis.diagnostics) {
    lines.push(`${analysis.file}:${d.line}: ${d.severity} ${d.code}: ${d.message}`);
  }
  return `${lines.join('\n')}\n`;
}
