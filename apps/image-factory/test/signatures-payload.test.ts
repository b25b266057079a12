/**
 * cosign's simple-signing payload (issue 22 item 2): the digest a legacy signature is about is
 * `critical.image.docker-manifest-digest`, its key matched case-insensitively (the containers/image spec's example
 * writes `Docker-manifest-digest`); a payload that names none, or names it twice in different cases, signs nothing.
 */
import { describe, expect, test } from 'vitest';
import { payloadDigest, signatureTag } from '../src/signatures/index.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('the digest a simple-signing payload signs', () => {
  test("cosign's spelling and the spec's capitalised one", () => {
    for (const key of ['docker-manifest-digest', 'Docker-manifest-digest', 'DOCKER-MANIFEST-DIGEST']) {
      expect(payloadDigest(bytes({ critical: { image: { [key]: DIGEST } } }))).toEqual({ ok: true, digest: DIGEST });
    }
  });

  test('two spellings in one payload are ambiguous: refused, whichever comes first', () => {
    const result = payloadDigest(
      bytes({ critical: { image: { 'docker-manifest-digest': DIGEST, 'Docker-manifest-digest': 'sha256:00' } } }),
    );
    expect(result).toEqual({
      ok: false,
      error: 'the signed payload names docker-manifest-digest twice (in different cases)',
    });
  });

  test('no digest, no critical.image, not JSON: each says so', () => {
    expect(payloadDigest(bytes({ critical: { image: {} } }))).toEqual({
      ok: false,
      error: 'the signed payload has no critical.image.docker-manifest-digest',
    });
    expect(payloadDigest(bytes({ critical: { image: { 'docker-manifest-digest': 7 } } }))).toMatchObject({
      ok: false,
    });
    expect(payloadDigest(bytes({ image: { 'docker-manifest-digest': DIGEST } }))).toEqual({
      ok: false,
      error: 'the signed payload has no critical.image',
    });
    expect(payloadDigest(new TextEncoder().encode('{"critical":'))).toEqual({
      ok: false,
      error: 'the signed payload is not JSON',
    });
  });

  test("the legacy tag of a digest is cosign's sha256-<hex>.sig", () => {
    expect(signatureTag(DIGEST)).toBe(`sha256-${'ab'.repeat(32)}.sig`);
  });
});
