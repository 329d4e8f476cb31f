/**
 * SIP, SIPS and TEL URIs (RFC 3261 §19.1, RFC 3966): parse, format, and compare per RFC 3261
 * §19.1.4 (what the relay needs to ask "is this URI us?").
 */
import type { SipUri } from './message.js';
import { equalsFolded, lowerSlice, NO_PARAMS, percentDecode, percentEncode } from './lexical.js';

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

/** True when s[start, end) is made only of `table` chars or %-escapes. */
function allIn(s: string, start: number, end: number, table: Uint8Array): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c !== 37 && (c >= 128 || table[c] !== 1)) return false;
  }
  return true;
}

/** Parses a SIP, SIPS or TEL URI; undefined for anything else or any syntax error. */
export function parseUri(text: string): SipUri | undefined {
  const colon = text.indexOf(':');
  if (colon < 3 || colon > 4) return undefined;
  if (equalsFolded(text, 0, colon, 'sip')) return parseSipUri(text, colon + 1, 'sip');
  if (equalsFolded(text, 0, colon, 'sips')) return parseSipUri(text, colon + 1, 'sips');
  if (equalsFolded(text, 0, colon, 'tel')) return parseTelUri(text, colon + 1);
  return undefined;
}

interface Cursor {
  i: number;
}

function parseSipUri(text: string, start: number, scheme: 'sip' | 'sips'): SipUri | undefined {
  const end = text.length;
  const at = text.indexOf('@', start);
  let user: string | undefined;
  let password: string | undefined;
  let hostStart = start;
  if (at !== -1) {
    const pc = text.indexOf(':', start);
    const userEnd = pc !== -1 && pc < at ? pc : at;
    if (userEnd === start || !allIn(text, start, userEnd, USER)) return undefined;
    user = percentDecode(text.slice(start, userEnd));
    if (userEnd !== at) {
      if (!allIn(text, userEnd + 1, at, PASSWORD)) return undefined;
      password = percentDecode(text.slice(userEnd + 1, at));
      if (password === undefined) return undefined;
    }
    if (user === undefined) return undefined;
    hostStart = at + 1;
  }
  const cur: Cursor = { i: hostStart };
  const host = parseHost(text, cur);
  if (host === undefined) return undefined;
  let port: number | undefined;
  if (cur.i < end && text.charCodeAt(cur.i) === 58) {
    port = parsePort(text, cur);
    if (port === undefined) return undefined;
  }
  const params = parseUriParams(text, cur);
  if (params === undefined) return undefined;
  const headers = parseUriHeaders(text, cur);
  if (headers === undefined || cur.i !== end) return undefined;
  return { scheme, user, password, host, port, params, headers, raw: text };
}

function parseHost(text: string, cur: Cursor): string | undefined {
  const start = cur.i;
  let i = start;
  if (text.charCodeAt(start) === 91) {
    i++;
    while (i < text.length && isIpv6Char(text.charCodeAt(i))) i++;
    if (i === start + 1 || text.charCodeAt(i) !== 93) return undefined;
    cur.i = i + 1;
  } else {
    while (i < text.length && isHostChar(text.charCodeAt(i))) i++;
    if (i === start) return undefined;
    cur.i = i;
  }
  return lowerSlice(text, start, cur.i);
}

function parsePort(text: string, cur: Cursor): number | undefined {
  let i = cur.i + 1;
  const start = i;
  let port = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    port = port * 10 + (c - 48);
    i++;
  }
  if (i === start || i - start > 5 || port > 65535) return undefined;
  cur.i = i;
  return port;
}

const NO_HEADERS: ReadonlyMap<string, string> = new Map<string, string>();

/** `*( ";" pname [ "=" pvalue ] )` up to "?" or the end; names lower-cased, both %-decoded. */
function parseUriParams(text: string, cur: Cursor): ReadonlyMap<string, string | null> | undefined {
  const end = text.length;
  let i = cur.i;
  if (i >= end || text.charCodeAt(i) !== 59) return NO_PARAMS;
  const params = new Map<string, string | null>();
  while (i < end && text.charCodeAt(i) === 59) {
    let j = i + 1;
    while (j < end && text.charCodeAt(j) !== 59 && text.charCodeAt(j) !== 63) j++;
    const eq = text.indexOf('=', i + 1);
    const nameEnd = eq !== -1 && eq < j ? eq : j;
    if (nameEnd === i + 1 || !allIn(text, i + 1, nameEnd, PARAM)) return undefined;
    const name = percentDecode(text.slice(i + 1, nameEnd));
    if (name === undefined) return undefined;
    let value: string | null = null;
    if (nameEnd !== j) {
      if (nameEnd + 1 === j || !allIn(text, nameEnd + 1, j, PARAM)) return undefined;
      const decoded = percentDecode(text.slice(nameEnd + 1, j));
      if (decoded === undefined) return undefined;
      value = decoded;
    }
    params.set(lowerSlice(name, 0, name.length), value);
    i = j;
  }
  cur.i = i;
  return params;
}

/** `"?" header *( "&" header )` with header = hname "=" hvalue, both %-decoded. */
function parseUriHeaders(text: string, cur: Cursor): ReadonlyMap<string, string> | undefined {
  if (cur.i >= text.length || text.charCodeAt(cur.i) !== 63) return NO_HEADERS;
  const headers = new Map<string, string>();
  for (const part of text.slice(cur.i + 1).split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || !allIn(part, 0, eq, HEADER) || !allIn(part, eq + 1, part.length, HEADER)) return undefined;
    const name = percentDecode(part.slice(0, eq));
    const value = percentDecode(part.slice(eq + 1));
    if (name === undefined || value === undefined) return undefined;
    headers.set(name, value);
  }
  cur.i = text.length;
  return headers;
}

function parseTelUri(text: string, start: number): SipUri | undefined {
  let i = start;
  while (i < text.length && text.charCodeAt(i) !== 59) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TEL[c] !== 1) return undefined;
    i++;
  }
  if (i === start) return undefined;
  const cur: Cursor = { i };
  const params = parseUriParams(text, cur);
  if (params === undefined || cur.i !== text.length) return undefined;
  const user = text.slice(start, i);
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
