/**
 * Edit images.yaml in place: add or remove one image entry. The yaml Document API locates the entries; the
 * text is spliced at those positions, so every other byte (comments, their alignment, blank lines) stays.
 */
import { Document, isMap, isScalar, isSeq, type Node, parseDocument, type YAMLSeq } from 'yaml';
import { FactoryError } from '../errors.js';

/** An entry as written to images.yaml (field names as in the schema). */
export type ImageEntry = Readonly<Record<string, unknown>>;

function parse(text: string, file: string) {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new FactoryError('invalid-enrolment', `${file}: ${doc.errors[0]?.message}`);
  return doc;
}

function imagesSeq(doc: Document.Parsed, file: string): YAMLSeq | null {
  const images = doc.get('images', true);
  if (images === undefined || images === null || (isScalar(images) && images.value === null)) return null;
  if (!isSeq(images)) throw new FactoryError('invalid-enrolment', `${file}: images must be a list`);
  return images;
}

function nameOf(item: unknown): string | undefined {
  if (!isMap(item)) return undefined;
  const name = item.get('name', true);
  return isScalar(name) ? String(name.value) : undefined;
}

const lineStart = (text: string, offset: number) => text.lastIndexOf('\n', offset - 1) + 1;
const nextLine = (text: string, offset: number) => {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end + 1;
};

/** Where an item's block starts: its line, or the comment lines directly above it. */
function blockStart(text: string, item: Node): number {
  let start = lineStart(text, item.range?.[0] ?? 0);
  while (start > 0) {
    const previous = lineStart(text, start - 1);
    if (!text.slice(previous, start).trim().startsWith('#')) break;
    start = previous;
  }
  return start;
}

/** images.yaml with `entry` appended to `images`; refuses a name already enrolled. */
export function addImageEntry(text: string, entry: ImageEntry, file = 'images.yaml'): string {
  const doc = parse(text, file);
  const seq = imagesSeq(doc, file);
  if (seq?.items.some((item) => nameOf(item) === entry.name)) {
    throw new FactoryError(
      'invalid-enrolment',
      `${file}: image ${String(entry.name)} is already enrolled (unenroll it first)`,
    );
  }
  const last = seq?.items[seq.items.length - 1] as Node | undefined;
  if (seq === null || seq.flow || last?.range === undefined || last.range === null) {
    // No block list to extend (missing, empty or flow-style): let the Document API write it.
    if (seq === null) doc.set('images', doc.createNode([entry]));
    else seq.items.push(doc.createNode(entry));
    return doc.toString();
  }
  const itemLine = lineStart(text, last.range[0]);
  const indent = text.slice(itemLine, last.range[0]).indexOf('-');
  const pad = ' '.repeat(Math.max(indent, 0));
  const body = new Document(entry).toString({ lineWidth: 0 }).trimEnd().split('\n');
  const block = body.map((line, i) => (i === 0 ? `${pad}- ${line}` : `${pad}  ${line}`)).join('\n');
  const previous = seq.items[seq.items.length - 2] as Node | undefined;
  // Keep the file's rhythm: a blank line between entries if the last two are separated by one.
  const gap = previous?.range ? text.slice(nextLine(text, previous.range[1] - 1), blockStart(text, last)) : '';
  const spaced = gap.length > 0 && gap.trim() === '';
  const at = nextLine(text, last.range[1] - 1);
  const before = text.slice(0, at);
  const prefix = before.endsWith('\n') ? '' : '\n';
  return `${before}${prefix}${spaced ? '\n' : ''}${block}\n${text.slice(at)}`;
}

/** images.yaml without the entry named `name` (and the comment lines directly above it). */
export function removeImageEntry(text: string, name: string, file = 'images.yaml'): string {
  const doc = parse(text, file);
  const seq = imagesSeq(doc, file);
  const index = seq === null ? -1 : seq.items.findIndex((item) => nameOf(item) === name);
  if (seq === null || index === -1)
    throw new FactoryError('invalid-enrolment', `${file}: image ${name} is not enrolled`);
  const item = seq.items[index] as Node;
  if (seq.flow || item.range === undefined || item.range === null) {
    seq.items.splice(index, 1);
    return doc.toString();
  }
  let start = blockStart(text, item);
  const next = seq.items[index + 1] as Node | undefined;
  let end: number;
  if (next?.range) {
    end = blockStart(text, next);
  } else {
    end = nextLine(text, item.range[1] - 1);
    // The last entry: also drop the blank lines that separated it from the one before.
    while (start > 0 && text.slice(lineStart(text, start - 1), start).trim() === '') start = lineStart(text, start - 1);
    if (index === 0) start = blockStart(text, item);
  }
  return text.slice(0, start) + text.slice(end);
}
