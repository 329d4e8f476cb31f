/**
 * Lexical helpers for the RFC 3261 §25.1 grammar: character classes, LWS, quoted strings, list
 * splitting, header parameters and %-escapes. Everything works on byte strings (see message.ts) with
 * charCodeAt scans: no regular expressions on the hot path.
 */

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const TOKEN = charTable(ALNUM + "-.!%*_+`'~");
/** The shared empty parameter map (parameter maps are read-only once parsed). */
export const NO_PARAMS: ReadonlyMap<string, string | null> = new Map<string, string | null>();

/** token plus what a host, an IPv6 reference or a gen-value may hold. */
const PARAM_VALUE = charTable(ALNUM + "-.!%*_+`'~:[]/?@&=$");

export const isTokenChar = (c: number): boolean => c < 128 && TOKEN[c] === 1;

export const isWhitespace = (c: number): boolean => c === 32 || c === 9;

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** True when s[start, end) is a non-empty token. */
export function isToken(s: string, start = 0, end = s.length): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function skipWhitespace(s: string, i: number, end = s.length): number {
  while (i < end && isWhitespace(s.charCodeAt(i))) i++;
  return i;
}

/** End of s[start, end) with trailing whitespace dropped. */
export function trimEnd(s: string, start: number, end: number): number {
  while (end > start && isWhitespace(s.charCodeAt(end - 1))) end--;
  return end;
}

/**
 * Index just past the closing quote of the quoted-string opening at s[i] (a '"'), honouring
 * quoted-pairs; -1 when it is not terminated.
 */
export function quotedEnd(s: string, i: number, end = s.length): number {
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  return -1;
}

/** The content of a quoted-string (quotes removed, quoted-pairs unescaped). */
export function unquote(s: string, start: number, end: number): string {
  const inner = s.slice(start + 1, end - 1);
  if (inner.indexOf('\\') === -1) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    if (inner.charCodeAt(i) === 92 && i + 1 < inner.length) i++;
    out += inner[i];
  }
  return out;
}

/**
 * Splits a header value on commas outside quoted strings and <...>, each piece trimmed.
 * undefined on an unterminated quote or an empty piece (",,").
 */
export function splitCommaList(value: string): string[] | undefined {
  if (value.indexOf(',') === -1 && value.indexOf('"') === -1 && isTrimmed(value)) return [value];
  const out: string[] = [];
  for (let start = 0; ; ) {
    const end = listItemEnd(value, start);
    const piece = end === -1 ? undefined : trimmedSlice(value, start, end);
    if (piece === undefined) return undefined;
    out.push(piece);
    if (end === value.length) return out;
    start = end + 1;
  }
}

/**
 * End of the comma-separated list item starting at s[start]: the next comma outside quoted strings
 * and <...>, or s.length; -1 on an unterminated quote.
 */
export function listItemEnd(s: string, start: number): number {
  let angle = false;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      const q = quotedEnd(s, i);
      if (q < 0) return -1;
      i = q - 1;
    } else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && !angle) return i;
  }
  return s.length;
}

function isTrimmed(s: string): boolean {
  return s.length > 0 && !isWhitespace(s.charCodeAt(0)) && !isWhitespace(s.charCodeAt(s.length - 1));
}

/** s[start, end) without surrounding whitespace (s itself when that is all of it); undefined when empty. */
export function trimmedSlice(s: string, start: number, end: number): string | undefined {
  start = skipWhitespace(s, start, end);
  end = trimEnd(s, start, end);
  if (start === end) return undefined;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * `list` with `item` appended, as a new array of the exact size while it is short: pushing onto a
 * full array makes V8 allocate 16 spare slots, and most lists (Via, Route) hold one or two values.
 */
export function appendTo<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  if (list.length === 1) return [list[0] as T, item];
  list.push(item);
  return list;
}

/** Receives one parameter: name at s[ns, ne), value at s[vs, ve) (vs = -1 when it has none). */
export type ParamSink<T> = (target: T, s: string, ns: number, ne: number, vs: number, ve: number) => boolean;

/**
 * Scans header parameters `*( SEMI name [ EQUAL value ] )` from s[i] to the end, with LWS allowed
 * around ";" and "="; values are tokens, hosts or quoted strings. Each is handed to `sink`.
 * False when malformed (empty name, empty value, stray characters) or when `sink` refuses one.
 */
export function scanHeaderParams<T>(s: string, i: number, target: T, sink: ParamSink<T>): boolean {
  const end = s.length;
  i = skipWhitespace(s, i, end);
  while (i < end) {
    if (s.charCodeAt(i) !== 59) return false;
    i = skipWhitespace(s, i + 1, end);
    const nameStart = i;
    while (i < end && isTokenChar(s.charCodeAt(i))) i++;
    if (i === nameStart) return false;
    const nameEnd = i;
    i = skipWhitespace(s, i, end);
    let valueStart = -1;
    let valueEnd = -1;
    if (i < end && s.charCodeAt(i) === 61) {
      valueStart = skipWhitespace(s, i + 1, end);
      valueEnd = paramValueEnd(s, valueStart, end);
      if (valueEnd <= valueStart) return false;
      i = skipWhitespace(s, valueEnd, end);
    }
    if (!sink(target, s, nameStart, nameEnd, valueStart, valueEnd)) return false;
  }
  return true;
}

const intoMap: ParamSink<Map<string, string | null>> = (map, s, ns, ne, vs, ve) => {
  map.set(lowerSlice(s, ns, ne), vs === -1 ? null : s.slice(vs, ve));
  return true;
};

/** Header parameters as a map: names lower-cased, values as written (null = no value). */
export function parseHeaderParams(s: string, i: number): ReadonlyMap<string, string | null> | undefined {
  i = skipWhitespace(s, i, s.length);
  if (i === s.length) return NO_PARAMS;
  const params = new Map<string, string | null>();
  return scanHeaderParams(s, i, params, intoMap) ? params : undefined;
}

/** True when s[start, end) is `lowerName` in any case. */
export function equalsFolded(s: string, start: number, end: number, lowerName: string): boolean {
  if (end - start !== lowerName.length) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== lowerName.charCodeAt(i - start)) return false;
  }
  return true;
}

/** s[start, end) in lower case, without the extra copy when it already is. */
export function lowerSlice(s: string, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.slice(start, end).toLowerCase();
  }
  return s.slice(start, end);
}

function paramValueEnd(s: string, i: number, end: number): number {
  if (i < end && s.charCodeAt(i) === 34) return quotedEnd(s, i, end);
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 128 ? PARAM_VALUE[c] !== 1 : false) break;
    i++;
  }
  return i;
}

/** The value of a hex digit; -1 for any other char (NaN included). */
export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Decodes %HH escapes (to byte chars); undefined when a "%" is not followed by two hex digits. */
export function percentDecode(s: string): string | undefined {
  let p = s.indexOf('%');
  if (p === -1) return s;
  let out = s.slice(0, p);
  while (p !== -1) {
    const hi = hexValue(s.charCodeAt(p + 1));
    const lo = hexValue(s.charCodeAt(p + 2));
    if (hi < 0 || lo < 0) return undefined;
    out += String.fromCharCode(hi * 16 + lo);
    const next = s.indexOf('%', p + 3);
    out += s.slice(p + 3, next === -1 ? s.length : next);
    p = next;
  }
  return out;
}

const HEX = '0123456789ABCDEF';

/** %-escapes every char of `s` for which `keep` is false (byte strings: chars are bytes). */
export function percentEncode(s: string, keep: (c: number) => boolean): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (keep(c)) continue;
    out += s.slice(from, i) + '%' + HEX[(c >> 4) & 15] + HEX[c & 15];
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** Converts any JS string to the model's byte-string form (its UTF-8 bytes as latin1 chars). */
export function toByteString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 127) return Buffer.from(s, 'utf8').toString('latin1');
  }
  return s;
}

/** Parses 1*DIGIT (leading zeros allowed, at most 10 significant digits); -1 otherwise. */
export function parseDigits(s: string, start = 0, end = s.length): number {
  if (start >= end) return -1;
  while (end - start > 1 && s.charCodeAt(start) === 48) start++;
  if (end - start > 10) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}
