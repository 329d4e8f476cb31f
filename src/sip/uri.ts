/**
 * SIP, SIPS and TEL URIs (RFC 3261 §19.1, RFC 3966): parse, format, and compare per RFC 3261
 * §19.1.4 (what the relay needs to ask "is this URI us?").
 */
import type { SipUri } from './message.js';
import { equalsFolded, hexValue, lowerSlice, NO_PARAMS, percentDecode, percentEncode } from './lexical.js';

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

const UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()";
// '#' is not allowed unescaped by RFC 3261, but phones send it in user parts and Kamailio accepts it.
const USER = charTable(UNRESERVED + '&=+$,;?/#');
const PASSWORD = charTable(UNRESERVED + '&=+$,');
const PARAM = charTable(UNRESERVED + '[]/:&+$');
const HEADER = charTable(UNRESERVED + '[]/?:+$');
const HOST = charTable('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.');
const IPV6 = charTable('0123456789abcdefABCDEF:.');
const TEL = charTable('0123456789abcdefABCDEF-.()+*#');

const inTable = (table: Uint8Array) => (c: number): boolean => c < 128 && table[c] === 1;
const isUserChar = inTable(USER);
const isPasswordChar = inTable(PASSWORD);
const isParamChar = inTable(PARAM);
const isHeaderChar = inTable(HEADER);
const isHostChar = inTable(HOST);
const isIpv6Char = inTable(IPV6);

/** True when s[start, end) is made only of `table` chars and complete %HH escapes. */
function validPart(s: string, start: number, end: number, table: Uint8Array): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      if (i + 2 >= end || hexValue(s.charCodeAt(i + 1)) < 0 || hexValue(s.charCodeAt(i + 2)) < 0) return false;
      i += 2;
    } else if (c >= 128 || table[c] !== 1) return false;
  }
  return true;
}

/** s[start, end) %-decoded; only called on parts validPart accepted. */
const decoded = (s: string, start: number, end: number): string => percentDecode(s.slice(start, end)) as string;

/**
 * Where the parts of the SIP URI last checked by scanSipUri are. One shared record (scanning is
 * synchronous), so checking a URI allocates nothing and parseUri builds from the positions.
 */
const parts = { userEnd: -1, hostStart: 0, hostEnd: 0, port: -1, paramsStart: 0, headersStart: 0 };

/**
 * Checks a SIP, SIPS or TEL URI without building it: the index of its headers' "?" (text.length
 * when it has none), or -1 when it does not parse. What the parser needs for a Request-URI.
 */
export function checkUri(text: string): number {
  const colon = text.indexOf(':');
  if (colon < 3 || colon > 4) return -1;
  if (equalsFolded(text, 0, colon, 'sip') || equalsFolded(text, 0, colon, 'sips')) return scanSipUri(text, colon + 1) ? parts.headersStart : -1;
  if (equalsFolded(text, 0, colon, 'tel')) return scanTelUri(text, colon + 1) === -1 ? -1 : text.length;
  return -1;
}

/** Parses a SIP, SIPS or TEL URI; undefined for anything else or any syntax error. */
export function parseUri(text: string): SipUri | undefined {
  const colon = text.indexOf(':');
  if (colon < 3 || colon > 4) return undefined;
  if (equalsFolded(text, 0, colon, 'sip')) return scanSipUri(text, colon + 1) ? buildSipUri(text, colon + 1, 'sip') : undefined;
  if (equalsFolded(text, 0, colon, 'sips')) return scanSipUri(text, colon + 1) ? buildSipUri(text, colon + 1, 'sips') : undefined;
  if (equalsFolded(text, 0, colon, 'tel')) return parseTelUri(text, colon + 1);
  return undefined;
}

/** Checks `[userinfo "@"] host [":" port] *(";" param) ["?" headers]` from `start`; fills `parts`. */
function scanSipUri(text: string, start: number): boolean {
  const at = text.indexOf('@', start);
  parts.userEnd = -1;
  parts.hostStart = start;
  if (at !== -1) {
    const pc = text.indexOf(':', start);
    const userEnd = pc !== -1 && pc < at ? pc : at;
    if (userEnd === start || !validPart(text, start, userEnd, USER)) return false;
    if (userEnd !== at && !validPart(text, userEnd + 1, at, PASSWORD)) return false;
    parts.userEnd = userEnd;
    parts.hostStart = at + 1;
  }
  const hostEnd = hostEndAt(text, parts.hostStart);
  if (hostEnd === -1) return false;
  parts.hostEnd = hostEnd;
  let i = hostEnd;
  parts.port = -1;
  if (i < text.length && text.charCodeAt(i) === 58) {
    i = portEndAt(text, i + 1);
    if (i === -1) return false;
  }
  parts.paramsStart = i;
  i = walkParams(text, i, undefined);
  if (i === -1) return false;
  parts.headersStart = i;
  return i === text.length || (text.charCodeAt(i) === 63 && walkHeaders(text, i, undefined));
}

/** End of the host at `start` (a name, IPv4 address or bracketed IPv6 reference); -1 when none. */
function hostEndAt(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(start) === 91) {
    i++;
    while (i < text.length && isIpv6Char(text.charCodeAt(i))) i++;
    return i === start + 1 || text.charCodeAt(i) !== 93 ? -1 : i + 1;
  }
  while (i < text.length && isHostChar(text.charCodeAt(i))) i++;
  return i === start ? -1 : i;
}

/** End of the port digits at `start`, its value in parts.port; -1 when not a port. */
function portEndAt(text: string, start: number): number {
  let i = start;
  let port = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    port = port * 10 + (c - 48);
    i++;
  }
  if (i === start || i - start > 5 || port > 65535) return -1;
  parts.port = port;
  return i;
}

function buildSipUri(text: string, start: number, scheme: 'sip' | 'sips'): SipUri {
  const { userEnd, hostStart, hostEnd, port, paramsStart, headersStart } = parts;
  let user: string | undefined;
  let password: string | undefined;
  if (userEnd !== -1) {
    user = decoded(text, start, userEnd);
    if (userEnd + 1 !== hostStart) password = decoded(text, userEnd + 1, hostStart - 1);
  }
  const host = lowerSlice(text, hostStart, hostEnd);
  const params = paramMap(text, paramsStart, headersStart);
  let headers = NO_HEADERS;
  if (headersStart !== text.length) {
    const map = new Map<string, string>();
    walkHeaders(text, headersStart, map);
    headers = map;
  }
  return { scheme, user, password, host, port: port === -1 ? undefined : port, params, headers, raw: text };
}

const NO_HEADERS: ReadonlyMap<string, string> = new Map<string, string>();

/** The parameters walkParams accepted between `start` and `stop`, as a map. */
function paramMap(text: string, start: number, stop: number): ReadonlyMap<string, string | null> {
  if (start === stop) return NO_PARAMS;
  const map = new Map<string, string | null>();
  walkParams(text, start, map);
  return map;
}

/**
 * `*( ";" pname [ "=" pvalue ] )` from `i` up to the first char that does not continue it; checks
 * each and, given a map, stores it (names lower-cased, both %-decoded). Where it stopped, or -1.
 */
function walkParams(text: string, i: number, into: Map<string, string | null> | undefined): number {
  const end = text.length;
  while (i < end && text.charCodeAt(i) === 59) {
    let j = i + 1;
    let eq = -1;
    for (; j < end; j++) {
      const c = text.charCodeAt(j);
      if (c === 59 || c === 63) break;
      if (c === 61 && eq === -1) eq = j;
    }
    const nameEnd = eq === -1 ? j : eq;
    if (nameEnd === i + 1 || !validPart(text, i + 1, nameEnd, PARAM)) return -1;
    if (nameEnd !== j && (nameEnd + 1 === j || !validPart(text, nameEnd + 1, j, PARAM))) return -1;
    if (into !== undefined) {
      const name = decoded(text, i + 1, nameEnd);
      into.set(lowerSlice(name, 0, name.length), nameEnd === j ? null : decoded(text, nameEnd + 1, j));
    }
    i = j;
  }
  return i;
}

/**
 * `"?" header *( "&" header )`, header = hname "=" hvalue, from text[q] = "?" to the end: checks
 * each and, given a map, stores it (both %-decoded).
 */
function walkHeaders(text: string, q: number, into: Map<string, string> | undefined): boolean {
  let i = q + 1;
  for (;;) {
    let amp = text.indexOf('&', i);
    if (amp === -1) amp = text.length;
    const eq = text.indexOf('=', i);
    if (eq <= i || eq >= amp || !validPart(text, i, eq, HEADER) || !validPart(text, eq + 1, amp, HEADER)) return false;
    into?.set(decoded(text, i, eq), decoded(text, eq + 1, amp));
    if (amp === text.length) return true;
    i = amp + 1;
  }
}

/** End of the telephone-subscriber number at `start`; -1 when it is empty or holds other chars. */
function scanTelUri(text: string, start: number): number {
  let i = start;
  while (i < text.length && text.charCodeAt(i) !== 59) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TEL[c] !== 1) return -1;
    i++;
  }
  return i === start || walkParams(text, i, undefined) !== text.length ? -1 : i;
}

function parseTelUri(text: string, start: number): SipUri | undefined {
  const numberEnd = scanTelUri(text, start);
  if (numberEnd === -1) return undefined;
  const params = paramMap(text, numberEnd, text.length);
  const user = text.slice(start, numberEnd);
  return { scheme: 'tel', user, password: undefined, host: '', port: undefined, params, headers: NO_HEADERS, raw: text };
}

/** Formats a URI from its parts, %-escaping what each part may not hold. */
export function formatUri(u: SipUri): string {
  let out = u.scheme + ':';
  if (u.scheme === 'tel') out += u.user ?? '';
  else {
    if (u.user !== undefined) {
      out += percentEncode(u.user, isUserNoPercent);
      if (u.password !== undefined) out += ':' + percentEncode(u.password, isPasswordNoPercent);
      out += '@';
    }
    out += u.host;
    if (u.port !== undefined) out += ':' + u.port;
  }
  for (const [name, value] of u.params) {
    out += ';' + percentEncode(name, isParamNoPercent);
    if (value !== null) out += '=' + percentEncode(value, isParamNoPercent);
  }
  let sep = '?';
  for (const [name, value] of u.headers) {
    out += sep + percentEncode(name, isHeaderNoPercent) + '=' + percentEncode(value, isHeaderNoPercent);
    sep = '&';
  }
  return out;
}

// A decoded "%" must be escaped again, so it is never kept as is.
const isUserNoPercent = (c: number): boolean => c !== 35 && isUserChar(c);
const isPasswordNoPercent = (c: number): boolean => isPasswordChar(c);
const isParamNoPercent = (c: number): boolean => isParamChar(c);
const isHeaderNoPercent = (c: number): boolean => isHeaderChar(c);

/** Parameters that never match when present in only one URI (RFC 3261 §19.1.4). */
const MUST_MATCH = ['user', 'ttl', 'method', 'maddr'];

/** URI equality per RFC 3261 §19.1.4 (SIP/SIPS) and RFC 3966 §4 (TEL). */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme === 'tel') return telEquals(a, b);
  if (a.user !== b.user || a.password !== b.password) return false;
  if (a.host !== b.host || a.port !== b.port) return false;
  for (const name of MUST_MATCH) {
    if (a.params.has(name) !== b.params.has(name)) return false;
  }
  for (const [name, value] of a.params) {
    if (b.params.has(name) && !sameParam(value, b.params.get(name))) return false;
  }
  if (a.headers.size !== b.headers.size) return false;
  for (const [name, value] of a.headers) {
    if (!hasHeader(b.headers, name, value)) return false;
  }
  return true;
}

function sameParam(x: string | null, y: string | null | undefined): boolean {
  if (x === null || y === null || y === undefined) return x === y;
  return x.toLowerCase() === y.toLowerCase();
}

function hasHeader(headers: ReadonlyMap<string, string>, name: string, value: string): boolean {
  const lower = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === lower && v === value) return true;
  return false;
}

function telEquals(a: SipUri, b: SipUri): boolean {
  if (telDigits(a.user ?? '') !== telDigits(b.user ?? '')) return false;
  if (a.params.size !== b.params.size) return false;
  for (const [name, value] of a.params) {
    if (!b.params.has(name) || !sameParam(value, b.params.get(name))) return false;
  }
  return true;
}

/** The number without visual separators (RFC 3966 §5.1.1), case-folded. */
function telDigits(number: string): string {
  let out = '';
  for (let i = 0; i < number.length; i++) {
    const c = number.charCodeAt(i);
    if (c !== 45 && c !== 46 && c !== 40 && c !== 41) out += number[i];
  }
  return out.toLowerCase();
}
