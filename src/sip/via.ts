/**
 * Via header values (RFC 3261 §20.42, RFC 3581 rport): parse a header value into its Via entries,
 * format the one we push, and rewrite one parameter of an entry in place.
 */
import type { Via } from './message.js';
import { appendTo, equalsFolded, isDigit, isTokenChar, listItemEnd, parseDigits, quotedEnd, scanHeaderParams, skipWhitespace, trimmedSlice } from './lexical.js';

/** Parses every Via entry of a header value (entries are comma-separated); undefined if any is bad. */
export function parseVia(value: string): Via[] | undefined {
  return parseViaInto(value, []);
}

/**
 * parseVia appending to `list` (the parser's): the list to keep (`list`, or a new one when it was
 * empty, see appendTo), or undefined when an entry is bad. No intermediate array of pieces.
 */
export function parseViaInto(value: string, list: Via[]): Via[] | undefined {
  if (value.indexOf(',') === -1 && value.indexOf('"') === -1) {
    const entry = value.trim();
    const via = entry.length > 0 ? parseViaEntry(entry) : undefined;
    return via === undefined ? undefined : appendTo(list, via);
  }
  for (let start = 0; ; ) {
    const end = listItemEnd(value, start);
    const entry = end === -1 ? undefined : trimmedSlice(value, start, end);
    const via = entry === undefined ? undefined : parseViaEntry(entry);
    if (via === undefined) return undefined;
    list = appendTo(list, via);
    if (end === value.length) return list;
    start = end + 1;
  }
}

/** End of the token starting at s[i] (i itself when there is none). */
function tokenEnd(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'];
const TRANSPORTS_LOWER = TRANSPORTS.map((t) => t.toLowerCase());

/** The transport upper-cased; the usual ones without allocating (toUpperCase is a runtime call). */
function transportName(s: string, start: number, end: number): string {
  for (let t = 0; t < TRANSPORTS.length; t++) {
    if (equalsFolded(s, start, end, TRANSPORTS_LOWER[t] as string)) return TRANSPORTS[t] as string;
  }
  return s.slice(start, end).toUpperCase();
}

/** `sent-protocol LWS sent-by *( SEMI via-params )`, LWS allowed around "/", ":" and ";". */
function parseViaEntry(s: string): Via | undefined {
  let i = tokenEnd(s, 0);
  if (i === 0) return undefined;
  for (let part = 0; part < 2; part++) {
    i = skipWhitespace(s, i);
    if (s.charCodeAt(i) !== 47) return undefined;
    const start = skipWhitespace(s, i + 1);
    i = tokenEnd(s, start);
    if (i === start) return undefined;
    if (part === 1) return parseSentBy(s, transportName(s, start, i), i);
  }
  return undefined;
}

function parseSentBy(s: string, transport: string, i: number): Via | undefined {
  const hostStart = skipWhitespace(s, i);
  if (hostStart === i) return undefined;
  const hostEnd = sentByHostEnd(s, hostStart);
  if (hostEnd === hostStart) return undefined;
  const host = s.slice(hostStart, hostEnd);
  i = skipWhitespace(s, hostEnd);
  let port: number | undefined;
  if (s.charCodeAt(i) === 58) {
    const portStart = skipWhitespace(s, i + 1);
    i = portStart;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    port = parseDigits(s, portStart, i);
    if (port < 0 || port > 65535) return undefined;
  }
  const via: Via = { transport, host, port, branch: undefined, rport: undefined, received: undefined, maddr: undefined, ttl: undefined, raw: s };
  return scanHeaderParams(s, i, via, viaParam) ? via : undefined;
}

/** A host name, IPv4 address or bracketed IPv6 reference. */
function sentByHostEnd(s: string, i: number): number {
  if (s.charCodeAt(i) === 91) {
    const close = s.indexOf(']', i);
    return close === -1 ? i : close + 1;
  }
  const start = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    // letters, digits, "-", "." and "_" (seen in the wild in host names)
    if (!((c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 45 || c === 46 || c === 95)) break;
    i++;
  }
  return i === start ? start : i;
}

/** Stores the parameters a proxy reads (RFC 3261 §20.42, RFC 3581); checks their values. */
function viaParam(via: Via, s: string, ns: number, ne: number, vs: number, ve: number): boolean {
  switch (ne - ns) {
    case 6:
      if (!equalsFolded(s, ns, ne, 'branch')) return true;
      via.branch = vs === -1 ? undefined : s.slice(vs, ve);
      return vs !== -1;
    case 5:
      if (equalsFolded(s, ns, ne, 'rport')) {
        via.rport = vs === -1 ? null : parseDigits(s, vs, ve);
        return via.rport === null || (via.rport >= 0 && via.rport <= 65535);
      }
      if (!equalsFolded(s, ns, ne, 'maddr')) return true;
      via.maddr = vs === -1 ? undefined : s.slice(vs, ve);
      return vs !== -1;
    case 8:
      if (!equalsFolded(s, ns, ne, 'received')) return true;
      via.received = vs === -1 ? undefined : s.slice(vs, ve);
      return vs !== -1;
    case 3:
      if (!equalsFolded(s, ns, ne, 'ttl')) return true;
      via.ttl = vs === -1 ? -1 : parseDigits(s, vs, ve);
      return via.ttl >= 0 && via.ttl <= 255;
    default:
      return true;
  }
}

/** Formats the Via value a proxy pushes, e.g. `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK...;rport`. */
export function formatVia(v: { transport: string; host: string; port?: number; branch: string; rport?: boolean }): string {
  const host = v.host.includes(':') && !v.host.startsWith('[') ? `[${v.host}]` : v.host;
  const port = v.port === undefined ? '' : `:${v.port}`;
  return `SIP/2.0/${v.transport.toUpperCase()} ${host}${port};branch=${v.branch}${v.rport ? ';rport' : ''}`;
}

/**
 * The Via entry text `raw` with parameter `name` set to `value`: replaced where present (keeping
 * its place), appended otherwise unless `onlyIfPresent`. Other bytes are left as they were.
 */
export function withViaParam(raw: string, name: string, value: string, onlyIfPresent: boolean): string {
  let i = nextSemicolon(raw, 0);
  while (i !== -1) {
    const next = nextSemicolon(raw, i + 1);
    const nameStart = skipWhitespace(raw, i + 1);
    const nameEnd = tokenEnd(raw, nameStart);
    if (raw.slice(nameStart, nameEnd).toLowerCase() === name) {
      const end = next === -1 ? raw.length : next;
      return `${raw.slice(0, i)};${name}=${value}${raw.slice(end)}`;
    }
    i = next;
  }
  return onlyIfPresent ? raw : `${raw};${name}=${value}`;
}

function nextSemicolon(s: string, i: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 59) return i;
    if (c === 34) {
      const q = quotedEnd(s, i);
      if (q < 0) return -1;
      i = q - 1;
    }
  }
  return -1;
}
