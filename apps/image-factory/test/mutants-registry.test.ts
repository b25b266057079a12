/**
 * The registry client's pure parts as their contracts state them, pinned where the mutation run found them unpinned
 * (docs/mutation.md): platforms matched as containerd does (arm64 is v8, arm is v7; attestations are no platform),
 * the tag Kargo's Warehouse would pick (pkg/image in Kargo v1.11: SemVer ties broken by the original string, Lexical
 * the greatest, Digest follows `constraint`), and `WWW-Authenticate` challenges read as RFC 7235 writes them
 * (optional whitespace around `=` and `,`, quoted strings with escapes).
 */
import { describe, expect, test } from 'vitest';
import { parseChallenge } from '../src/registry/challenge.js';
import {
  choosePlatform,
  formatPlatform,
  parsePlatform,
  platformEntries,
  samePlatform,
} from '../src/registry/platform.js';
import { chooseTag } from '../src/registry/tag-selection.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('platforms', () => {
  test('os/arch and os/arch/variant are read; a missing variant is no variant', () => {
    expect(parsePlatform('linux/arm64/v8')).toStrictEqual({
      ok: true,
      value: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    expect(parsePlatform('linux/amd64')).toStrictEqual({ ok: true, value: { os: 'linux', architecture: 'amd64' } });
  });

  test('every part must be lower-case letters, digits, ".", "_" or "-"', () => {
    expect(parsePlatform('linux/AMD64')).toMatchObject({ ok: false, error: expect.stringContaining('linux/AMD64') });
    expect(parsePlatform('Linux/amd64/v8')).toMatchObject({ ok: false });
  });

  test('written back as os/arch[/variant]', () => {
    expect(formatPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64/v8');
    expect(formatPlatform({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
    expect(formatPlatform({ os: 'linux', architecture: 'amd64', variant: '' })).toBe('linux/amd64');
  });

  test('arm64 means v8 and arm means v7 when no variant is written; other architectures mean none', () => {
    const p = (architecture: string, variant?: string) => ({
      os: 'linux',
      architecture,
      ...(variant === undefined ? {} : { variant }),
    });
    expect(samePlatform(p('arm64'), p('arm64', 'v8'))).toBe(true);
    expect(samePlatform(p('arm64', ''), p('arm64', 'v8'))).toBe(true);
    expect(samePlatform(p('arm'), p('arm', 'v7'))).toBe(true);
    expect(samePlatform(p('arm'), p('arm', 'v6'))).toBe(false);
    expect(samePlatform(p('amd64'), p('amd64', 'v7'))).toBe(false);
    expect(samePlatform(p('amd64'), p('amd64', 'v8'))).toBe(false);
  });

  test('the os and the architecture must both match', () => {
    expect(samePlatform({ os: 'linux', architecture: 'amd64' }, { os: 'windows', architecture: 'amd64' })).toBe(false);
    expect(samePlatform({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' })).toBe(false);
  });

  const manifest = (c: string, platform?: { os: string; architecture: string; variant?: string }) => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: D(c),
    size: 100,
    ...(platform === undefined ? {} : { platform }),
  });

  test("an index's entries without a platform or for unknown/unknown (attestations) are no platform", () => {
    const entries = platformEntries([
      manifest('a', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      manifest('b', { os: 'unknown', architecture: 'unknown' }),
      manifest('c'),
      manifest('d', { os: 'linux', architecture: 'unknown' }),
      manifest('e', { os: 'unknown', architecture: 'amd64' }),
      manifest('f', { os: 'linux', architecture: 'amd64' }),
    ]);
    expect(entries.map((e) => [e.descriptor.digest, formatPlatform(e.platform)])).toEqual([
      [D('a'), 'linux/arm64/v8'],
      [D('f'), 'linux/amd64'],
    ]);
  });

  test('the platform asked for, or none; without one, linux/amd64, else the first', () => {
    const entries = platformEntries([
      manifest('a', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      manifest('f', { os: 'linux', architecture: 'amd64' }),
    ]);
    expect(choosePlatform(entries, { os: 'linux', architecture: 'arm64' })?.descriptor.digest).toBe(D('a'));
    expect(choosePlatform(entries, { os: 'linux', architecture: 's390x' })).toBeUndefined();
    expect(choosePlatform(entries)?.descriptor.digest).toBe(D('f'));
    expect(choosePlatform(entries.slice(0, 1))?.descriptor.digest).toBe(D('a'));
    expect(choosePlatform([])).toBeUndefined();
  });
});

describe("the tag a Warehouse would pick (Kargo's selectors)", () => {
  test('Digest follows the tag in constraint, and needs one', () => {
    expect(chooseTag(['1.0.0'], { imageSelectionStrategy: 'Digest', constraint: 'latest' })).toEqual({
      ok: true,
      tag: 'latest',
    });
    expect(chooseTag(['1.0.0'], { imageSelectionStrategy: 'Digest' })).toEqual({
      ok: false,
      error: 'the Digest strategy needs the tag to follow in constraint',
    });
  });

  test('NewestBuild is not decided here, and says so', () => {
    expect(chooseTag(['1.0.0'], { imageSelectionStrategy: 'NewestBuild' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('NewestBuild'),
    });
  });

  test('Lexical: the greatest tag allowTags lets through, whatever the order; none is an error', () => {
    expect(chooseTag(['b', 'a'], { imageSelectionStrategy: 'Lexical' })).toEqual({ ok: true, tag: 'b' });
    expect(chooseTag(['a', 'c', 'b'], { imageSelectionStrategy: 'Lexical', allowTags: '^[ab]$' })).toEqual({
      ok: true,
      tag: 'b',
    });
    expect(chooseTag(['a'], { imageSelectionStrategy: 'Lexical', allowTags: '^z' })).toEqual({
      ok: false,
      error: 'no tag matches allowTags',
    });
  });

  test('allowTags that is no regular expression is an error naming it', () => {
    expect(chooseTag(['a'], { allowTags: '(' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^allowTags is not a regular expression: /),
    });
  });

  test('SemVer (the default): the greatest version, not the greatest string', () => {
    expect(chooseTag(['1.10.0', '1.9.0'], {})).toEqual({ ok: true, tag: '1.10.0' });
    expect(chooseTag(['1.9.0', '1.10.0'], {})).toEqual({ ok: true, tag: '1.10.0' });
  });

  test('SemVer: two tags of one version are decided by the original string, whatever their order', () => {
    expect(chooseTag(['v1.2.3', '1.2.3'], {})).toEqual({ ok: true, tag: 'v1.2.3' });
    expect(chooseTag(['1.2.3', 'v1.2.3'], {})).toEqual({ ok: true, tag: 'v1.2.3' });
  });

  test('a constraint may separate its parts with commas; one that is no range is an error naming it', () => {
    expect(chooseTag(['1.1.0', '1.3.0', '2.0.0'], { constraint: '>=1.2,<2' })).toEqual({ ok: true, tag: '1.3.0' });
    expect(chooseTag(['1.1.0'], { constraint: 'not a range' })).toEqual({
      ok: false,
      error: 'constraint "not a range" is not a semantic version range',
    });
  });

  test('no version found: the error says strict or not, and whether a constraint applied', () => {
    expect(chooseTag(['latest'], {})).toEqual({
      ok: false,
      error: 'no tag is a strict semantic version matching allowTags',
    });
    expect(chooseTag(['latest'], { strictSemvers: false, constraint: '^1' })).toEqual({
      ok: false,
      error: 'no tag is a semantic version matching allowTags and constraint',
    });
  });
});

describe('WWW-Authenticate challenges', () => {
  const bearer = { realm: 'https://auth.example/token', service: 'registry.example' };

  test('whitespace around the header, around "=" and around "," is optional whitespace', () => {
    expect(parseChallenge('  Bearer realm = "https://auth.example/token" ,  service= "registry.example"  ')).toEqual({
      scheme: 'bearer',
      params: bearer,
    });
  });

  test('unquoted values, one after another', () => {
    expect(parseChallenge('Bearer realm=https://auth.example/token,service=registry.example')).toEqual({
      scheme: 'bearer',
      params: bearer,
    });
  });

  test('a quoted value may hold escaped quotes; an unterminated one ends with the header', () => {
    expect(parseChallenge('Bearer realm="a\\"b",service="c"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'a"b', service: 'c' },
    });
    expect(parseChallenge('Bearer realm="abc')).toEqual({ scheme: 'bearer', params: { realm: 'abc' } });
    expect(parseChallenge('Bearer realm="ab\\')).toEqual({ scheme: 'bearer', params: { realm: 'ab\\' } });
  });

  test('what is not a parameter ends the challenge', () => {
    expect(parseChallenge('Bearer realm="a" "junk"')).toEqual({ scheme: 'bearer', params: { realm: 'a' } });
  });
});
