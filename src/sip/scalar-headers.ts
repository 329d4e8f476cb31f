/**
 * Values of the single-valued numeric headers: CSeq, Max-Forwards, Content-Length and Expires, and
 * the method names of CSeq and the request line. Each returns undefined (or -1) for a value RFC 3261
 * and RFC 4475 §3.1.2.4 say to reject.
 */
import type { CSeq } from './message.js';
import { isDigit, isToken, parseDigits, skipWhitespace } from './lexical.js';

const MAX_CSEQ = 0xffffffff;

/** Methods of RFC 3261 and its extensions by first letter, shared instead of sliced from every message. */
const METHODS: ReadonlyArray<readonly string[] | undefined> = (() => {
  const table: string[][] = [];
  for (const m of ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH']) {
    (table[m.charCodeAt(0)] ??= []).push(m);
  }
  return table;
})();

/** The method written at s[start, end): a shared string for the usual ones (methods are case-sensitive). */
export function methodName(s: string, start: number, end: number): string {
  const candidates = METHODS[s.charCodeAt(start)];
  if (candidates !== undefined) {
    for (const m of candidates) if (m.length === end - start && s.startsWith(m, start)) return m;
  }
  return s.slice(start, end);
}

// Each reads the value at s[start, end) (the whole string by default), so the parser can read it
// in place in the header text.

/** `1*DIGIT LWS Method`, the number below 2**32 (RFC 3261 §8.1.1.5). */
export function parseCSeq(s: string, start = 0, end = s.length): CSeq | undefined {
  let i = start;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  const seq = parseDigits(s, start, i);
  const methodStart = skipWhitespace(s, i, end);
  if (seq < 0 || seq > MAX_CSEQ || methodStart === i || !isToken(s, methodStart, end)) return undefined;
  return { seq, method: methodName(s, methodStart, end) };
}

/** 0 to 255; -1 otherwise. */
export function parseMaxForwards(s: string, start = 0, end = s.length): number {
  const n = parseDigits(s, start, end);
  return n > 255 ? -1 : n;
}

/** A non-negative byte count; -1 otherwise. */
export function parseContentLength(s: string, start = 0, end = s.length): number {
  return parseDigits(s, start, end);
}

/** delta-seconds: digits only, any length (an overlarge value means "the default", RFC 4475 §3.1.2.4). */
export function isDeltaSeconds(s: string, start = 0, end = s.length): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}
