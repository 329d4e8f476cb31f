/**
 * Kamailio's ds_get_hash (dispatch.c), bit for bit: 32-bit unsigned arithmetic over the bytes read
 * as C `char`, which is signed on x86, so bytes >= 0x80 sign-extend before the shifts.
 * Keys from the wire are byte strings (latin1, one char per byte: see src/sip/message.ts) and are
 * hashed as they are; text typed by a person (the dispatcher.hash RPC) is hashed as UTF-8.
 * Test vectors made with Kamailio 5.6 are in test/fixtures/dispatcher/kamailio-hash-vectors.json.
 */

/** h += v ^ (v >> 3), unsigned. */
function mix(h: number, v: number): number {
  return (h + ((v ^ (v >>> 3)) >>> 0)) >>> 0;
}

/**
 * Adds the byte string s[start, end) to the running hash. `(c << 24) >> n` sign-extends the low
 * byte, which is what C does with a negative `char` before shifting it left by 24 - n.
 */
export function hashAddRange(h: number, s: string, start: number, end: number): number {
  let p = start;
  for (; p + 4 <= end; p += 4) {
    const v = (s.charCodeAt(p) << 24) + ((s.charCodeAt(p + 1) << 24) >> 8) + ((s.charCodeAt(p + 2) << 24) >> 16) + ((s.charCodeAt(p + 3) << 24) >> 24);
    h = mix(h, v >>> 0);
  }
  let v = 0;
  for (; p < end; p++) v = ((v << 8) + ((s.charCodeAt(p) << 24) >> 24)) >>> 0;
  // added even when no bytes remain, as in Kamailio
  return mix(h, v);
}

/** The final avalanche; Kamailio never returns 0 (0 becomes 1). */
export function hashFinish(h: number): number {
  const f = (h + (h >>> 11) + ((h >>> 13) + (h >>> 23))) >>> 0;
  return f === 0 ? 1 : f;
}

/** ds_get_hash(v1, v2) over byte strings, as an unsigned 32-bit number (never 0). */
export function kamailioHash(v1: string, v2?: string): number {
  let h = hashAddRange(0, v1, 0, v1.length);
  if (v2 !== undefined) h = hashAddRange(h, v2, 0, v2.length);
  return hashFinish(h);
}

export interface HashResult {
  /** Unsigned 32-bit hash. Kamailio 5.6's kamcmd prints it as a signed int; newer versions unsigned. */
  hashid: number;
  /** hashid % nslots, or 0 when nslots <= 0. */
  slot: number;
}

const utf8Bytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** The `dispatcher.hash nslots val1 [val2]` RPC over text (UTF-8). For URIs pass user and host[:port]. */
export function dispatcherHash(nslots: number, v1: string, v2?: string): HashResult {
  const hashid = kamailioHash(utf8Bytes(v1), v2 === undefined ? undefined : utf8Bytes(v2));
  return { hashid, slot: nslots > 0 ? hashid % nslots : 0 };
}

/** Whitespace as Kamailio's trim() sees it. */
function isTrimmed(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** ds_get_hash(trim(s[from, to)), NULL) of a byte string without copying it; 0 when that is empty. */
export function hashTrimmed(s: string, from = 0, to = s.length): number {
  let start = from;
  let end = to;
  while (start < end && isTrimmed(s.charCodeAt(start))) start++;
  while (end > start && isTrimmed(s.charCodeAt(end - 1))) end--;
  if (start === end) return 0;
  return hashFinish(hashAddRange(0, s, start, end));
}
