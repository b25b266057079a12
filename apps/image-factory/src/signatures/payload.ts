/**
 * cosign's simple-signing payload (`application/vnd.dev.cosign.simplesigning.v1+json`): the JSON a legacy
 * signature signs. What matters is `critical.image.docker-manifest-digest`: the digest the signature is about. The
 * key is matched case-insensitively (the containers/image spec's own example writes `Docker-manifest-digest`); two
 * spellings in one payload are ambiguous and refused.
 */

/** The digest a payload signs, or why it names none. */
export type PayloadDigest =
  | { readonly ok: true; readonly digest: string }
  | { readonly ok: false; readonly error: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value of `key` in `record`, matched case-insensitively; `ambiguous` when two keys match. */
function field(record: Record<string, unknown>, key: string): unknown | 'ambiguous' {
  const matches = Object.keys(record).filter((k) => k.toLowerCase() === key);
  if (matches.length > 1) return 'ambiguous';
  const only = matches[0];
  return only === undefined ? undefined : record[only];
}

/** Read the digest a simple-signing payload signs. */
export function payloadDigest(payload: Uint8Array): PayloadDigest {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return { ok: false, error: 'the signed payload is not JSON' };
  }
  const critical = isRecord(data) ? data.critical : undefined;
  const image = isRecord(critical) ? critical.image : undefined;
  if (!isRecord(image)) return { ok: false, error: 'the signed payload has no critical.image' };
  const digest = field(image, 'docker-manifest-digest');
  if (digest === 'ambiguous') {
    return { ok: false, error: 'the signed payload names docker-manifest-digest twice (in different cases)' };
  }
  if (typeof digest !== 'string') {
    return { ok: false, error: 'the signed payload has no critical.image.docker-manifest-digest' };
  }
  return { ok: true, digest };
}
