/**
 * The reference grammar, row by row as distribution/reference's own tests state it (normalize_test.go:
 * TestValidateReferenceName, TestValidateRemoteName, TestParseRepositoryInfo, TestNormalizedSplitHostname,
 * TestParseAnyReference, TestParseDockerRef, TestInvalidReferenceComponents; reference_test.go:
 * TestReferenceParse), read at github.com/distribution/reference 0965666 and written here as our own table.
 * Every input goes through normaliseReference, which follows ParseNormalizedNamed and adds `:latest` when there
 * is neither tag nor digest (what BuildKit pulls).
 */
import { describe, expect, it } from 'vitest';
import { normaliseReference } from '../src/reference/normalise.js';

const F64 = 'f'.repeat(64);
const HEX64 = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';
const DBCC = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const LONG_NAMESPACE = `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}x/docker`;

/** input → [registry, repository, tag, digest] */
const VALID: readonly [string, string, string, string | null, string | null][] = [
  // TestValidateReferenceName
  ['docker/docker', 'docker.io', 'docker/docker', 'latest', null],
  ['library/debian', 'docker.io', 'library/debian', 'latest', null],
  ['debian', 'docker.io', 'library/debian', 'latest', null],
  ['localhost/library/debian', 'localhost', 'library/debian', 'latest', null],
  ['localhost/debian', 'localhost', 'debian', 'latest', null],
  ['LOCALDOMAIN/library/debian', 'LOCALDOMAIN', 'library/debian', 'latest', null],
  ['LOCALDOMAIN/debian', 'LOCALDOMAIN', 'debian', 'latest', null],
  ['docker.io/docker/docker', 'docker.io', 'docker/docker', 'latest', null],
  ['docker.io/library/debian', 'docker.io', 'library/debian', 'latest', null],
  ['docker.io/debian', 'docker.io', 'library/debian', 'latest', null],
  ['index.docker.io/docker/docker', 'docker.io', 'docker/docker', 'latest', null],
  ['index.docker.io/library/debian', 'docker.io', 'library/debian', 'latest', null],
  ['index.docker.io/debian', 'docker.io', 'library/debian', 'latest', null],
  ['127.0.0.1:5000/docker/docker', '127.0.0.1:5000', 'docker/docker', 'latest', null],
  ['127.0.0.1:5000/library/debian', '127.0.0.1:5000', 'library/debian', 'latest', null],
  ['127.0.0.1:5000/debian', '127.0.0.1:5000', 'debian', 'latest', null],
  ['192.168.0.1', 'docker.io', 'library/192.168.0.1', 'latest', null],
  ['192.168.0.1:80', 'docker.io', 'library/192.168.0.1', '80', null],
  ['192.168.0.1:8/debian', '192.168.0.1:8', 'debian', 'latest', null],
  ['192.168.0.2:25000/debian', '192.168.0.2:25000', 'debian', 'latest', null],
  [
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    'docker.io',
    'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    'latest',
    null,
  ],
  ['[fc00::1]:5000/docker', '[fc00::1]:5000', 'docker', 'latest', null],
  ['[fc00::1]:5000/docker/docker', '[fc00::1]:5000', 'docker/docker', 'latest', null],
  ['[fc00:1:2:3:4:5:6:7]:5000/library/debian', '[fc00:1:2:3:4:5:6:7]:5000', 'library/debian', 'latest', null],
  [`docker.io/${HEX64}`, 'docker.io', `library/${HEX64}`, 'latest', null],
  ['Docker/docker', 'Docker', 'docker', 'latest', null],
  ['DOCKER/docker', 'DOCKER', 'docker', 'latest', null],
  // TestValidateRemoteName
  ['docker-rules/docker', 'docker.io', 'docker-rules/docker', 'latest', null],
  ['docker---rules/docker', 'docker.io', 'docker---rules/docker', 'latest', null],
  ['doc/docker', 'docker.io', 'doc/docker', 'latest', null],
  ['d/docker', 'docker.io', 'd/docker', 'latest', null],
  ['jess/t', 'docker.io', 'jess/t', 'latest', null],
  ['dock__er/docker', 'docker.io', 'dock__er/docker', 'latest', null],
  // TestParseRepositoryInfo (familiar, full and ambiguous spellings of one name)
  ['localhost/fooo/bar', 'localhost', 'fooo/bar', 'latest', null],
  ['fooo/bar', 'docker.io', 'fooo/bar', 'latest', null],
  ['index.docker.io/fooo/bar', 'docker.io', 'fooo/bar', 'latest', null],
  ['ubuntu', 'docker.io', 'library/ubuntu', 'latest', null],
  ['nonlibrary/ubuntu', 'docker.io', 'nonlibrary/ubuntu', 'latest', null],
  ['other/library', 'docker.io', 'other/library', 'latest', null],
  ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000', 'private/moonbase', 'latest', null],
  ['127.0.0.1:8000/privatebase', '127.0.0.1:8000', 'privatebase', 'latest', null],
  ['example.com/private/moonbase', 'example.com', 'private/moonbase', 'latest', null],
  ['example.com:8000/privatebasee', 'example.com:8000', 'privatebasee', 'latest', null],
  ['ubuntu-12.04-base', 'docker.io', 'library/ubuntu-12.04-base', 'latest', null],
  ['index.docker.io/library/ubuntu-12.04-base', 'docker.io', 'library/ubuntu-12.04-base', 'latest', null],
  ['docker.io/foo', 'docker.io', 'library/foo', 'latest', null],
  ['library/foo/bar', 'docker.io', 'library/foo/bar', 'latest', null],
  ['store/foo/bar', 'docker.io', 'store/foo/bar', 'latest', null],
  ['Foo/bar', 'Foo', 'bar', 'latest', null],
  ['FOO/bar', 'FOO', 'bar', 'latest', null],
  // TestNormalizedSplitHostname
  ['test.com/foo', 'test.com', 'foo', 'latest', null],
  ['test_com/foo', 'docker.io', 'test_com/foo', 'latest', null],
  ['docker/migrator', 'docker.io', 'docker/migrator', 'latest', null],
  ['test.com:8080/foo', 'test.com:8080', 'foo', 'latest', null],
  ['test-com:8080/foo', 'test-com:8080', 'foo', 'latest', null],
  ['xn--n3h.com/foo', 'xn--n3h.com', 'foo', 'latest', null],
  ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo', 'latest', null],
  ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar', 'latest', null],
  // TestParseReferenceWithTagAndDigest: both kept (ParseNormalizedNamed; ParseDockerRef would drop the tag)
  [`busybox:latest@sha256:${DBCC}`, 'docker.io', 'library/busybox', 'latest', `sha256:${DBCC}`],
  // TestParseAnyReference
  ['redis', 'docker.io', 'library/redis', 'latest', null],
  [`redis@sha256:${DBCC}`, 'docker.io', 'library/redis', null, `sha256:${DBCC}`],
  [`dmcgowan/myapp@sha256:${DBCC}`, 'docker.io', 'dmcgowan/myapp', null, `sha256:${DBCC}`],
  ['docker.io/mcgowan/myapp:latest', 'docker.io', 'mcgowan/myapp', 'latest', null],
  [DBCC.slice(0, 63), 'docker.io', `library/${DBCC.slice(0, 63)}`, 'latest', null],
  ['dbcc1', 'docker.io', 'library/dbcc1', 'latest', null],
  // TestParseDockerRef
  ['docker.io/library/busybox', 'docker.io', 'library/busybox', 'latest', null],
  ['gcr.io/library/busybox', 'gcr.io', 'library/busybox', 'latest', null],
  // TestReferenceParse (rows that are valid names once normalised)
  ['test_com', 'docker.io', 'library/test_com', 'latest', null],
  ['test.com:tag', 'docker.io', 'library/test.com', 'tag', null],
  ['test.com:5000', 'docker.io', 'library/test.com', '5000', null],
  ['test.com/repo:tag', 'test.com', 'repo', 'tag', null],
  ['test:5000/repo', 'test:5000', 'repo', 'latest', null],
  [`test:5000/repo@sha256:${F64}`, 'test:5000', 'repo', null, `sha256:${F64}`],
  [`test:5000/repo:tag@sha256:${F64}`, 'test:5000', 'repo', 'tag', `sha256:${F64}`],
  ['lowercase:Uppercase', 'docker.io', 'library/lowercase', 'Uppercase', null],
  [`${'a/'.repeat(127)}a:tag-puts-this-over-max`, 'docker.io', `${'a/'.repeat(127)}a`, 'tag-puts-this-over-max', null],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag', null],
  [
    'b.gcr.io/test.example.com/my-app:test.example.com',
    'b.gcr.io',
    'test.example.com/my-app',
    'test.example.com',
    null,
  ],
  ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com', null],
  [`xn--7o8h.com/myimage:xn--7o8h.com@sha256:${F64}`, 'xn--7o8h.com', 'myimage', 'xn--7o8h.com', `sha256:${F64}`],
  ['foo_bar.com:8080', 'docker.io', 'library/foo_bar.com', '8080', null],
  ['foo/foo_bar.com:8080', 'docker.io', 'foo/foo_bar.com', '8080', null],
  ['192.168.1.1:tag', 'docker.io', 'library/192.168.1.1', 'tag', null],
  ['192.168.1.1/repo', '192.168.1.1', 'repo', 'latest', null],
  ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000', 'repo', '5050', null],
  ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo', 'latest', null],
  ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]', 'repo', 'tag', null],
  [`[2001:db8::1]:5000/repo:tag@sha256:${F64}`, '[2001:db8::1]:5000', 'repo', 'tag', `sha256:${F64}`],
  ['[2001:db8::]:5000/repo', '[2001:db8::]:5000', 'repo', 'latest', null],
  ['[::1]:5000/repo', '[::1]:5000', 'repo', 'latest', null],
  [`example.com/${'a'.repeat(255)}:tag`, 'example.com', 'a'.repeat(255), 'tag', null],
];

const INVALID: readonly string[] = [
  // TestValidateReferenceName
  'https://github.com/docker/docker',
  'docker/Docker',
  '-docker',
  '-docker/docker',
  '-docker.io/docker/docker',
  'docker///docker',
  'docker.io/docker/Docker',
  'docker.io/docker///docker',
  '[fc00::1]',
  '[fc00::1]:5000',
  'fc00::1:5000/debian',
  '[fe80::1%eth0]:5000/debian',
  '[2001:db8:3:4::192.0.2.33]:5000/debian',
  HEX64,
  // TestValidateRemoteName
  'docker-/docker',
  '-docker-/docker',
  '____/____',
  '_docker/_docker',
  'dock..er/docker',
  'dock_.er/docker',
  'dock-.er/docker',
  'docker/',
  LONG_NAMESPACE,
  // TestInvalidReferenceComponents, TestParseAnyReference
  '-foo',
  'busybox:-foo',
  'busybox@foo',
  DBCC,
  // TestReferenceParse
  '',
  ':justtag',
  `@sha256:${F64}`,
  `repo@sha256:${'f'.repeat(34)}`,
  `validname@invaliddigest:${F64}`,
  'Uppercase:tag',
  'test:5000/Uppercase/lowercase:tag',
  `domain/${'a'.repeat(256)}:tag`,
  'aa/asdf$$^/aa',
  '[2001:db8::1]',
  '[2001:db8::1]:5000',
  '[2001:db8::1]:tag',
  '[fe80::1%eth0]:5000/repo',
  '[fe80::1%@invalidzone]:5000/repo',
];

describe('normaliseReference follows distribution/reference', () => {
  it.each(VALID)('%s', (input, registry, repository, tag, digest) => {
    const result = normaliseReference(input);
    expect(result).toEqual({
      ok: true,
      value: {
        reference: `${registry}/${repository}${tag === null ? '' : `:${tag}`}${digest === null ? '' : `@${digest}`}`,
        registry,
        repository,
        tag,
        digest,
      },
    });
  });

  it.each(INVALID.map((input) => [input.length > 80 ? `${input.slice(0, 77)}...` : input, input]))(
    'refuses %s',
    (_label, input) => {
      const result = normaliseReference(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.length).toBeGreaterThan(10);
    },
  );

  it('keeps registry-1.docker.io as a host of its own (only index.docker.io is the legacy name of docker.io)', () => {
    expect(normaliseReference('registry-1.docker.io/library/node:22')).toMatchObject({
      ok: true,
      value: { registry: 'registry-1.docker.io', repository: 'library/node' },
    });
  });

  it('says why a 64-character hexadecimal name is refused', () => {
    expect(normaliseReference(HEX64)).toEqual({
      ok: false,
      error: `"${HEX64}" is a 64-character hexadecimal image ID, not a repository name`,
    });
  });
});
