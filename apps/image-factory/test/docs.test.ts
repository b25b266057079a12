/**
 * The docs a newcomer walks (issue 20, item 6): the README is the front page, every docs page is reachable from it,
 * every relative link lands on a file (and its `#anchor` on a heading there, by GitHub's slug rule), and every
 * `npx image-factory …` line in a fenced code block names a command the CLI registers and only options that command
 * declares, given as its parser reads them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/main.js';
import { cli, REPO_ROOT } from './helpers.js';

/** The options each command declares (its parser reads exactly these, strictly), from the CLI's own registry. */
const declared = new Map(COMMANDS.flatMap((c) => (c.options === undefined ? [] : [[c.name, c.options] as const])));

/** What parseArgs needs of one option. */
type ParseOption = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** The options a --help lists: `  [-x, ]--name[ VALUE]` at the start of a line (for a command that forwards). */
function listedOptions(help: string): Record<string, ParseOption> {
  const options: Record<string, ParseOption> = {};
  for (const m of help.matchAll(/^ {2}(?:-(\w), )?--([a-z][a-z-]*)(?: (\S+))?/gm)) {
    options[m[2] ?? ''] = { type: m[3] === undefined ? 'boolean' : 'string', ...(m[1] ? { short: m[1] } : {}) };
  }
  return options;
}

/** The CLI's registry of commands, as `image-factory --help` lists it (main.ts renders it from COMMANDS). */
async function registeredCommands(): Promise<string[]> {
  const main = await cli(['--help']);
  const block = /\nCommands:\n((?: {2}\S.*\n)+)/.exec(main.stdout)?.[1] ?? '';
  return block.split('\n').flatMap((line) => /^ {2}([a-z-]+) {2,}\S/.exec(line)?.[1] ?? []);
}

const commands = await registeredCommands();

/**
 * Each registered command's options as its parser reads them: the declarations it made, or — for `synth`, which
 * forwards its argv to the chart's entry point — the options that program's --help lists. Every command also takes
 * the global --verbose.
 */
async function optionsOf(command: string): Promise<Record<string, ParseOption>> {
  const own = declared.get(command);
  const options: Record<string, ParseOption> =
    own === undefined ? listedOptions((await cli([command, '--help'])).stdout) : { ...own };
  return { ...options, verbose: { type: 'boolean' } };
}

const optionsByCommand = new Map<string, Record<string, ParseOption>>();
for (const command of commands) optionsByCommand.set(command, await optionsOf(command));

/** What may stand before the command (main.ts reads them). */
const GLOBAL_OPTIONS: Record<string, ParseOption> = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  verbose: { type: 'boolean' },
};

/** README.md and every Markdown page under docs/, as repository-relative paths. */
function docFiles(): string[] {
  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  if (existsSync(join(REPO_ROOT, 'docs'))) walk('docs');
  return ['README.md', ...pages.sort()];
}

/** One line of a Markdown file, with whether it is inside a fenced code block. */
interface MarkdownLine {
  readonly number: number;
  readonly text: string;
  readonly fenced: boolean;
}

/** The lines of a Markdown file; fence lines themselves count as fenced. */
function markdownLines(text: string): MarkdownLine[] {
  let fence: string | undefined;
  return text.split('\n').map((line, index) => {
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && open !== undefined) {
      fence = open;
      return { number: index + 1, text: line, fenced: true };
    }
    if (fence !== undefined) {
      const closes = new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(line);
      if (closes) fence = undefined;
      return { number: index + 1, text: line, fenced: true };
    }
    return { number: index + 1, text: line, fenced: false };
  });
}

/** A heading's text as GitHub renders it for its anchor: code spans keep their text, links their label. */
function headingText(markdown: string): string {
  return markdown.replace(/`([^`]*)`/g, '$1').replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
}

/**
 * GitHub's heading anchors (github-slugger): lowercase; every character that is not a letter, mark, number,
 * connector, hyphen or space removed; each space a hyphen; a repeated slug gets `-1`, `-2`, … in order.
 */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of markdownLines(markdown)) {
    if (line.fenced) continue;
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line.text)?.[1];
    if (heading === undefined) continue;
    const base = headingText(heading)
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The relative links (and images) outside code: `[label](target)`, code spans left out first. */
function relativeLinks(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  for (const line of markdownLines(markdown)) {
    if (line.fenced) continue;
    const prose = line.text.replace(/(`+)[^`]*?\1/g, 'code');
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
      links.push({ line: line.number, target });
    }
  }
  return links;
}

/** What is wrong with one link of `file` (repository-relative), or undefined when it lands. */
function brokenLink(file: string, target: string): string | undefined {
  const hash = target.indexOf('#');
  const path = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const absolute = path === '' ? join(REPO_ROOT, file) : resolve(REPO_ROOT, dirname(file), decodeURI(path));
  const inRepo = relative(REPO_ROOT, absolute);
  if (inRepo.startsWith(`..${sep}`) || inRepo === '..') return `${target} leaves the repository`;
  if (!existsSync(absolute)) return `${target}: no file ${inRepo}`;
  if (anchor === undefined) return undefined;
  if (statSync(absolute).isDirectory()) return `${target}: an anchor on a folder`;
  if (extname(absolute) !== '.md') {
    return /^L\d+(-L\d+)?$/.test(anchor) ? undefined : `${target}: an anchor into a file that is not Markdown`;
  }
  return anchorsOf(readFileSync(absolute, 'utf8')).has(anchor) ? undefined : `${target}: no heading #${anchor}`;
}

/** The Markdown pages a file links to (repository-relative). */
function linkedPages(file: string): string[] {
  return relativeLinks(readFileSync(join(REPO_ROOT, file), 'utf8')).flatMap(({ target }) => {
    const path = target.split('#')[0] ?? '';
    if (!path.endsWith('.md')) return [];
    return [
      relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), decodeURI(path)))
        .split(sep)
        .join('/'),
    ];
  });
}

/** A shell line cut into words: quotes kept together (and removed), a `#` word starting a comment. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(/(?:'[^']*'|"(?:[^"\\]|\\.)*"|[^\s'"])+/g)) {
    const word = m[0];
    if (word.startsWith('#')) break;
    words.push(word.replace(/'([^']*)'|"((?:[^"\\]|\\.)*)"/g, '$1$2'));
  }
  return words;
}

/** Words that end a command on a shell line. */
const SHELL_SEPARATORS = new Set(['|', '||', '&&', ';', '>', '>>', '2>', '2>&1', '<']);

/**
 * The `npx image-factory …` command lines in the fenced blocks of a Markdown file: a line ending in `\` goes on with
 * the next, and so does a synopsis whose next line is indented and opens with `[`; the command ends at a shell
 * separator or comment. Synopsis brackets and ellipses (`[--json]`, `NAME=VALUE]...`) are taken off each word.
 */
function commandLines(markdown: string): { line: number; words: string[] }[] {
  const lines = markdownLines(markdown);
  const found: { line: number; words: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === undefined || !line.fenced) continue;
    const start = line.text.indexOf('npx image-factory');
    if (start === -1) continue;
    let text = line.text.slice(start);
    for (let next = lines[i + 1]; next?.fenced === true; next = lines[i + 1]) {
      if (/\\\s*$/.test(text)) text = `${text.replace(/\\\s*$/, '')} ${next.text}`;
      else if (/^\s+\[/.test(next.text)) text = `${text} ${next.text}`;
      else break;
      i++;
    }
    const words: string[] = [];
    for (const word of shellWords(text).slice(2)) {
      if (SHELL_SEPARATORS.has(word)) break;
      // `[--json]` and `NAME=VALUE]...` are synopsis; a lone `…` or `[...]` stands for a value or more options.
      const unbracketed = word.replace(/^\[+/, '').replace(/\]+$/, '');
      const bare = unbracketed.replace(/(?:\]|\.\.\.|…)+$/, '');
      if (unbracketed !== '') words.push(bare === '' ? unbracketed : bare);
    }
    found.push({ line: line.number, words });
  }
  return found;
}

/** What is wrong with one `npx image-factory` command line, or undefined when the CLI would take it. */
function badCommand(words: readonly string[]): string | undefined {
  const first = words.findIndex((word) => !word.startsWith('-'));
  const globals = first === -1 ? words : words.slice(0, first);
  try {
    parseArgs({ args: [...globals], options: GLOBAL_OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    return `before the command: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (first === -1) return undefined;
  const command = words[first] ?? '';
  const options = optionsByCommand.get(command);
  if (options === undefined) return `"${command}" is not a command of image-factory (${commands.join(', ')})`;
  try {
    parseArgs({ args: words.slice(first + 1), options, strict: true, allowPositionals: true });
    return undefined;
  } catch (error) {
    return `${command}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

const files = docFiles();
const text = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

describe('the docs', () => {
  it('README.md is a front page: under 15 KB, the install and test commands CI runs', () => {
    expect(statSync(join(REPO_ROOT, 'README.md')).size).toBeLessThan(15 * 1024);
    const ci = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8');
    for (const command of ['npm ci', 'npm test']) {
      expect(ci, `.ci/run runs ${command}`).toContain(command);
      expect(text('README.md'), `README.md shows ${command}`).toMatch(new RegExp(`^${command}\\b`, 'm'));
    }
  });

  it('every docs page is reachable from README.md by links', () => {
    const reached = new Set(['README.md']);
    const queue = ['README.md'];
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      for (const page of linkedPages(file)) {
        if (reached.has(page) || !existsSync(join(REPO_ROOT, page))) continue;
        reached.add(page);
        queue.push(page);
      }
    }
    expect(files.filter((file) => !reached.has(file))).toEqual([]);
    expect(files.length).toBeGreaterThan(1);
  });

  it.each(files)('%s: every relative link lands on a file, and its #anchor on a heading there', (file) => {
    const problems = relativeLinks(text(file)).flatMap(({ line, target }) => {
      const problem = brokenLink(file, target);
      return problem === undefined ? [] : [`${file}:${line}: ${problem}`];
    });
    expect(problems).toEqual([]);
  });

  it.each(files)('%s: every `npx image-factory` line names a command and only options it declares', (file) => {
    const problems = commandLines(text(file)).flatMap(({ line, words }) => {
      const problem = badCommand(words);
      return problem === undefined ? [] : [`${file}:${line}: ${problem}`];
    });
    expect(problems).toEqual([]);
  });

  it('the docs show every registered command as an `npx image-factory` line', () => {
    expect(commands.length).toBeGreaterThan(10);
    const shown = new Set(
      files.flatMap((file) => commandLines(text(file)).map(({ words }) => words.find((w) => !w.startsWith('-')))),
    );
    expect(commands.filter((command) => !shown.has(command))).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('GitHub slugs: code spans, punctuation and repeated headings', () => {
    const anchors = anchorsOf(
      [
        '# image-factory',
        '### `image-factory inspect <reference> [--platform OS/ARCH[/VARIANT]] [--json]`',
        '## Rebuilds: `image-factory rebuild`',
        '## Delivery: what is once, what is at-least-once',
        '```',
        '# not a heading',
        '```',
        '## Limits',
        '## Limits',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      'image-factory',
      'image-factory-inspect-reference---platform-osarchvariant---json',
      'rebuilds-image-factory-rebuild',
      'delivery-what-is-once-what-is-at-least-once',
      'limits',
      'limits-1',
    ]);
  });

  it('command lines: continuations, synopsis brackets, pipes and comments', () => {
    const lines = commandLines(
      [
        '```sh',
        'kubectl get pods -A -o json | npx image-factory compliance --workloads - --json   # from stdin',
        'npx image-factory enroll --external --name postgres \\',
        "  --allow-tags '^16\\.\\d+$' --strict-semvers false",
        'npx image-factory parse <Dockerfile|->... [--build-arg NAME=VALUE]... [--json]',
        '```',
      ].join('\n'),
    );
    expect(lines).toEqual([
      { line: 2, words: ['compliance', '--workloads', '-', '--json'] },
      {
        line: 3,
        words: [
          'enroll',
          '--external',
          '--name',
          'postgres',
          '--allow-tags',
          '^16\\.\\d+$',
          '--strict-semvers',
          'false',
        ],
      },
      { line: 5, words: ['parse', '<Dockerfile|->', '--build-arg', 'NAME=VALUE', '--json'] },
    ]);
    expect(badCommand(['parse', 'Dockerfile', '--json'])).toBeUndefined();
    expect(badCommand(['parse', 'Dockerfile', '--jsn'])).toMatch(/^parse: .*--jsn/);
    expect(badCommand(['parse', 'Dockerfile', '--json=yes'])).toMatch(/^parse: /);
    expect(badCommand(['frobnicate'])).toMatch(/"frobnicate" is not a command/);
    expect(badCommand(['--version'])).toBeUndefined();
  });
});
