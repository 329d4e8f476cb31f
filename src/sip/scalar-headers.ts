/**
 * Values of the single-valued numeric headers: CSeq, Max-Forwards, Content-Length and Expires.
 * Each returns undefined (or -1) for a value RFC 3261 and RFC 4475 §3.1.2.4 say to reject.
 */
import type { CSeq } from './message.js';
import { isDigit, isToken, parseDigits, skipWhitespace } from './lexical.js';

const MAX_CSEQ = 0xffffffff;

/** `1*DIGIT LWS Method`, the number below 2**32 (RFC 3261 §8.1.1.5). */
export function parseCSeq(value: string): CSeq | undefined {
  let i = 0;
  while (i < value.length && isDigit(value.charCodeAt(i))) i++;
  const seq = parseDigits(value, 0, i);
  const methodStart = skipWhitespace(value, i);
  if (seq < 0 || seq > MAX_CSEQ || methodStart === i || !isToken(value, methodStart)) return undefined;
  return { seq, method: value.slice(methodStart) };
}

/** 0 to 255; -1 otherwise. */
export function parseMaxForwards(value: string): number {
  const n = parseDigits(value);
  return n > 255 ? -1 : n;
}

/** A non-negative byte count; -1 otherwise. */
export function parseContentLength(value: string): number {
  return parseDigits(value);
}

/** delta-seconds: digits only, any length (an overlarge value means "the default", RFC 4475 §3.1.2.4). */
export function isDeltaSeconds(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isDigit(value.charCodeAt(i))) return false;
  return true;
}
