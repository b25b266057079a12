import { describe, expect, it } from 'vitest';
import { normaliseReference } from '../src/reference/normalise.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function ok(text: string) {
  const result = normaliseReference(text);
  if (!result.ok) throw new Error(`expected ${text} to be valid: ${result.error}`);
  return result.value;
}

function error(text: string): string {
  const result = normaliseReference(text);
  if (result.ok) throw new Error(`expected ${text} to be invalid, got ${result.value.reference}`);
  return result.error;
}

describe('normaliseReference (distribution/reference grammar)', () => {
  it.each([
    ['node', 'docker.io/library/node:latest', 'docker.io', 'library/node', 'latest', null],
    [
      'node:22-bookworm-slim',
      'docker.io/library/node:22-bookworm-slim',
      'docker.io',
      'library/node',
      '22-bookworm-slim',
      null,
    ],
    ['user/app', 'docker.io/user/app:latest', 'docker.io', 'user/app', 'latest', null],
    ['localhost/a', 'localhost/a:latest', 'localhost', 'a', 'latest', null],
    ['localhost:5000/a', 'localhost:5000/a:latest', 'localhost:5000', 'a', 'latest', null],
    [
      'registry.example.com:5000/team/java:21',
      'registry.example.com:5000/team/java:21',
      'registry.example.com:5000',
      'team/java',
      '21',
      null,
    ],
    ['ghcr.io/acme/base:1.4', 'ghcr.io/acme/base:1.4', 'ghcr.io', 'acme/base', '1.4', null],
    ['index.docker.io/library/debian:12', 'docker.io/library/debian:12', 'docker.io', 'library/debian', '12', null],
    ['docker.io/node', 'docker.io/library/node:latest', 'docker.io', 'library/node', 'latest', null],
    [`node@${DIGEST}`, `docker.io/library/node@${DIGEST}`, 'docker.io', 'library/node', null, DIGEST],
    [`node:22@${DIGEST}`, `docker.io/library/node:22@${DIGEST}`, 'docker.io', 'library/node', '22', DIGEST],
    ['[::1]:5000/a/b:c', '[::1]:5000/a/b:c', '[::1]:5000', 'a/b', 'c', null],
    [
      'a__b/c-d--e/f.g_h:T_1.2-3',
      'docker.io/a__b/c-d--e/f.g_h:T_1.2-3',
      'docker.io',
      'a__b/c-d--e/f.g_h',
      'T_1.2-3',
      null,
    ],
  ])('%s → %s', (text, reference, registry, repository, tag, digest) => {
    expect(ok(text)).toEqual({ reference, registry, repository, tag, digest });
  });

  it('treats a first component without "." or ":" as a Docker Hub namespace', () => {
    expect(ok('acme/tools/cli:1').registry).toBe('docker.io');
    expect(ok('acme/tools/cli:1').repository).toBe('acme/tools/cli');
  });

  it('rejects uppercase repositories with a hint', () => {
    expect(error('Node:22')).toMatch(/must be lowercase/);
    expect(error('ghcr.io/Acme/app')).toMatch(/must be lowercase/);
  });

  it.each([
    ['', /empty/],
    [':tag', /no repository/],
    ['node:', /tag "" is not a valid tag/],
    ['node:-bad', /tag "-bad"/],
    ['node@sha256:1234', /digest "sha256:1234" is not valid/],
    [`node@sha256:${'A'.repeat(64)}`, /digest/],
    ['node@md5:0123456789abcdef0123456789abcdef', /digest/],
    ['a/-b', /"-b" is not a valid repository path component/],
    ['a//b', /\(empty\)/],
    ['node bad', /white space/],
    ['-invalid.example.com/a', /not a valid registry host/],
    [`a/${'b'.repeat(260)}`, /longer than 255/],
  ])('rejects %j', (text, message) => {
    expect(error(text)).toMatch(message);
  });

  it('accepts a tag of 128 characters and rejects 129', () => {
    expect(ok(`a:${'t'.repeat(128)}`).tag).toHaveLength(128);
    expect(error(`a:${'t'.repeat(129)}`)).toMatch(/not a valid tag/);
  });
});
