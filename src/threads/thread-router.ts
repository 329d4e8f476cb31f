/**
 * Which thread owns a UDP datagram when several threads read the same socket (the kernel gives
 * each datagram to whichever thread reads first, whatever the call):
 * - a request belongs to the thread its Call-ID hashes to (FNV-1a), so retransmissions, CANCEL,
 *   ACK and in-dialog requests meet the transactions of their call;
 * - a response belongs to the thread whose tag its top Via branch carries (each thread puts its
 *   tag after the z9hG4bK cookie of the branches it creates).
 * - with `flowsOnMain` (TLS and WebSocket listeners, whose connections live on the main thread):
 *   a request for a flow (a Route with `;ob`, or an `;alias=` Request-URI) belongs to thread 0.
 * Anything else (no Call-ID, a foreign or untagged branch, garbage) has no owner and is handled
 * where it landed. A byte scan of the header names, no parse: it runs on every datagram.
 */
import { BRANCH_COOKIE } from '../sip/build.js';
import { ascii, startsWith } from '../sip/header-scan.js';

/** No thread owns the datagram: handle it where it landed. */
export const NO_OWNER = -1;

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const COMMA = 44;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

const SIP_VERSION = ascii('SIP/');
const CALL_ID = ascii('call-id');
const VIA = ascii('via');
const BRANCH = ascii('branch=');
const COOKIE = ascii(BRANCH_COOKIE);
const ROUTE = ascii('route');
const OB = ascii(';ob');
const ALIAS = ascii(';alias=');
/** The main thread, which owns every connection. */
const MAIN = 0;

/** The tag thread `index` puts after the cookie: its number and a dot (never in a hex id). */
export function threadBranchTag(index: number): string {
  return `${index}.`;
}

/** 32-bit FNV-1a over bytes [start, end). */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** The owning thread (0..threads-1) of a datagram, or NO_OWNER. */
export function datagramOwner(bytes: Uint8Array, threads: number, flowsOnMain = false): number {
  const response = startsWith(bytes, 0, SIP_VERSION);
  let at = bytes.indexOf(LF) + 1;
  const flows = flowsOnMain && !response;
  if (flows && indexOfFolded(bytes, 0, at, ALIAS) >= 0) return MAIN;
  let owner = NO_OWNER;
  while (at > 0 && at < bytes.length) {
    const first = bytes[at];
    if (first === CR || first === LF) return owner;
    let end = bytes.indexOf(LF, at);
    if (end < 0) end = bytes.length;
    const colon = bytes.indexOf(COLON, at);
    if (colon > 0 && colon < end) {
      let nameEnd = colon;
      while (nameEnd > at && (bytes[nameEnd - 1] === SP || bytes[nameEnd - 1] === HT)) nameEnd--;
      if (response ? isName(bytes, at, nameEnd, VIA, 0x76) : isName(bytes, at, nameEnd, CALL_ID, 0x69)) {
        if (response) return branchOwner(bytes, colon + 1, end, threads);
        owner = callIdOwner(bytes, colon + 1, end, threads);
        // without flows the Call-ID decides; with them the Routes are read to the end of the headers
        if (!flows) return owner;
      } else if (flows && isName(bytes, at, nameEnd, ROUTE, -1) && indexOfFolded(bytes, colon + 1, end, OB) >= 0) {
        return MAIN;
      }
    }
    at = end + 1;
  }
  return owner;
}

function callIdOwner(bytes: Uint8Array, start: number, end: number, threads: number): number {
  while (start < end && isSpace(bytes[start]!)) start++;
  while (end > start && (isSpace(bytes[end - 1]!) || bytes[end - 1] === CR)) end--;
  return end > start ? fnv1a(bytes, start, end) % threads : NO_OWNER;
}

/** The thread tag of the top Via value's branch (the first value of the first Via line). */
function branchOwner(bytes: Uint8Array, start: number, end: number, threads: number): number {
  let valueEnd = start;
  while (valueEnd < end && bytes[valueEnd] !== COMMA) valueEnd++;
  const param = indexOfFolded(bytes, start, valueEnd, BRANCH);
  if (param < 0) return NO_OWNER;
  let i = param + BRANCH.length;
  if (!startsWith(bytes, i, COOKIE)) return NO_OWNER;
  i += COOKIE.length;
  let index = 0;
  const digits = i;
  while (i < valueEnd && i - digits < 3 && bytes[i]! >= ZERO && bytes[i]! <= NINE) index = index * 10 + bytes[i++]! - ZERO;
  return i > digits && bytes[i] === DOT && index < threads ? index : NO_OWNER;
}

const isSpace = (c: number): boolean => c === SP || c === HT;

/** bytes[start, end) is `name` (lower-case letters, any case matches) or the compact one-letter form. */
function isName(bytes: Uint8Array, start: number, end: number, name: Uint8Array, compact: number): boolean {
  const length = end - start;
  if (length === 1) return (bytes[start]! | 0x20) === compact;
  if (length !== name.length) return false;
  for (let i = 0; i < length; i++) if ((bytes[start + i]! | 0x20) !== name[i]) return false;
  return true;
}

/** Case-insensitive search of `needle` (lower case; `=` is unaffected by folding) in [start, end). */
function indexOfFolded(bytes: Uint8Array, start: number, end: number, needle: Uint8Array): number {
  const last = end - needle.length;
  outer: for (let i = start; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) if ((bytes[i + j]! | 0x20) !== needle[j]) continue outer;
    return i;
  }
  return NO_OWNER;
}
