/**
 * Read at most `maxBytes` of an HTTP answer and cancel the rest: a server's 400 MB answer costs 64 KiB of memory,
 * not 400 MB, and the connection is closed instead of drained.
 */

/** The first `maxBytes` of a body as text, and whether there was more. */
export interface BoundedText {
  readonly text: string;
  readonly truncated: boolean;
}

/**
 * Read a response body up to `maxBytes` bytes (UTF-8; a character cut at the bound is dropped), then cancel the
 * stream. Errors while reading (the request's timeout firing, the connection breaking) are thrown to the caller.
 */
export async function readBounded(response: Response, maxBytes: number): Promise<BoundedText> {
  if (response.body === null) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  let cut = false;
  try {
    while (!cut) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      const kept = value.subarray(0, maxBytes - total);
      chunks.push(kept);
      total += kept.length;
      cut = kept.length < value.length;
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  const bytes = Buffer.concat(chunks, total);
  // A character cut at the bound would decode as U+FFFD: drop its incomplete bytes instead.
  return { text: new TextDecoder().decode(ended ? bytes : completeUtf8(bytes)), truncated: !ended };
}

/** `bytes` without a trailing incomplete UTF-8 sequence. */
function completeUtf8(bytes: Uint8Array): Uint8Array {
  let start = bytes.length - 1;
  // Walk back over continuation bytes (10xxxxxx) to the lead byte of the last character.
  while (start >= 0 && start > bytes.length - 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start--;
  if (start < 0) return bytes;
  const lead = bytes[start] ?? 0;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return bytes.length - start < need ? bytes.subarray(0, start) : bytes;
}
