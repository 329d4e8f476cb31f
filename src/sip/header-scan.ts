/**
 * Byte scans of a SIP message's header lines, without a parse: for decisions taken on every
 * datagram before it is parsed (the ACK of a stateless reply, the owner thread, the intake). They read
 * unfolded lines only; a message they misread is still parsed and judged by the relay.
 */
const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;

/** The bytes of an ASCII string, for the scans' constants. */
export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** bytes[at...] starts with `prefix`. */
export function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (at + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * Where the first To header line (`To` or compact `t`, any case, blanks before the colon) starts,
 * or -1. An index, not an object: this runs on every datagram.
 */
export function findToHeader(bytes: Uint8Array): number {
  let at = bytes.indexOf(LF) + 1;
  while (at > 0 && at < bytes.length && bytes[at] !== CR && bytes[at] !== LF) {
    const end = lineEnd(bytes, at);
    if (isToName(bytes, at, end)) return at;
    at = end + 1;
  }
  return -1;
}

/** The end of the line starting at `start`: its LF, or the end of the bytes. */
export function lineEnd(bytes: Uint8Array, start: number): number {
  const end = bytes.indexOf(LF, start);
  return end < 0 ? bytes.length : end;
}

/** The line at `start` is a To header (`To` or compact `t`, any case, spaces before the colon). */
function isToName(bytes: Uint8Array, start: number, end: number): boolean {
  const first = bytes[start]! | 0x20;
  if (first !== 0x74) return false;
  let i = start + 1;
  if (i < end && (bytes[i]! | 0x20) === 0x6f) i++;
  while (i < end && (bytes[i] === SP || bytes[i] === HT)) i++;
  return bytes[i] === COLON;
}
