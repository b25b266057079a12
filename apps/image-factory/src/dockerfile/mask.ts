/**
 * The fast path: blank out the instructions that cannot name an image, keeping every line in place,
 * so dockerfile-ast only builds nodes for FROM, ARG, COPY --from and RUN --mount (line numbers stay exact).
 *
 * Instruction boundaries follow dockerfile-ast's parser (continuations, comment lines inside them,
 * heredocs); the equivalence test compares this path with the full parse on every corpus file.
 */

/** Instructions that never name an image once the first FROM has been seen. */
const MASKABLE = new Set([
  'ADD',
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);
const HEREDOC_KEYWORDS = new Set(['ADD', 'COPY', 'RUN']);
const DIRECTIVE_RE = /^[ \t]*#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(\S*)/;

/** The escape character set by a `# escape=` parser directive at the top of the file. */
export function escapeCharacterOf(lines: readonly string[]): string {
  for (const raw of lines) {
    const line = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    const match = DIRECTIVE_RE.exec(line);
    if (match === null) break;
    if (match[1]?.toLowerCase() === 'escape' && (match[2] === '`' || match[2] === '\\')) return match[2];
  }
  return '\\';
}

function endsWithEscape(line: string, escapeChar: string): boolean {
  let end = line.length;
  while (end > 0) {
    const ch = line.charCodeAt(end - 1);
    if (ch === 32 || ch === 9 || ch === 13) end--;
    else break;
  }
  return end > 0 && line.charAt(end - 1) === escapeChar;
}

function firstWord(text: string, from: number): [string, number] {
  let i = from;
  while (i < text.length && (text.charAt(i) === ' ' || text.charAt(i) === '\t')) i++;
  const start = i;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === ' ' || ch === '\t' || ch === '\r') break;
    i++;
  }
  return [text.slice(start, i), i];
}

/** Heredoc names opened by an instruction, as dockerfile-ast's `Util.parseHeredocName` reads them. */
function heredocNames(instruction: string): string[] {
  const names: string[] = [];
  for (const token of instruction.split(/[ \t\r\n]+/)) {
    if (!token.startsWith('<<') || token.length <= 2) continue;
    let value = token.slice(2);
    if (value.startsWith('-')) value = value.slice(1);
    if (value.startsWith('"')) {
      if (!value.endsWith('"')) continue;
      value = value.slice(1, -1);
    }
    if (value.startsWith("'")) {
      if (!value.endsWith("'")) continue;
      value = value.slice(1, -1);
    }
    if (value.startsWith('<')) continue;
    names.push(value);
  }
  return names;
}

function isHeredocEnd(line: string, name: string, tabbed: boolean): boolean {
  let text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (tabbed) text = text.replace(/^\t+/, '');
  return text === name;
}

/** Does an instruction after the first FROM need the AST? */
function needsAst(keyword: string, text: string): boolean {
  if (keyword === 'FROM' || keyword === 'ARG') return true;
  if (keyword === 'COPY') return /--from/i.test(text);
  if (keyword === 'RUN') return /--mount/i.test(text);
  return !MASKABLE.has(keyword);
}

/**
 * Return the text with every instruction that cannot name an image replaced by empty lines.
 * Instructions before the first FROM, unknown instructions and comments are kept.
 */
export function maskIrrelevantInstructions(text: string): string {
  const lines = text.split('\n');
  const escapeChar = escapeCharacterOf(lines);
  let seenFrom = false;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    const [word, wordEnd] = firstWord(line, i === 0 && line.charCodeAt(0) === 0xfeff ? 1 : 0);
    if (word.length === 0 || word.startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    let body = line;
    let continued = endsWithEscape(line, escapeChar);
    i++;
    while (continued && i < lines.length) {
      const next = lines[i] as string;
      const trimmed = next.trimStart();
      i++;
      if (trimmed.length === 0 || trimmed === '\r' || trimmed.startsWith('#')) continue;
      body += `\n${next}`;
      continued = endsWithEscape(next, escapeChar);
    }
    let keyword = word.toUpperCase();
    let heredocKeyword = keyword;
    if (keyword === 'ONBUILD') heredocKeyword = firstWord(line, wordEnd)[0].toUpperCase();
    if (HEREDOC_KEYWORDS.has(heredocKeyword) && body.includes('<<')) {
      const names = heredocNames(body);
      const tabbed = /<<-/.test(body);
      for (const name of names) {
        while (i < lines.length && !isHeredocEnd(lines[i] as string, name, tabbed)) i++;
        if (i < lines.length) i++;
      }
    }
    if (keyword === 'FROM') seenFrom = true;
    else if (seenFrom && !needsAst(keyword, body)) {
      for (let j = start; j < i; j++) lines[j] = '';
    }
    keyword = '';
  }
  return lines.join('\n');
}
