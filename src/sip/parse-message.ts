/**
 * Parses one complete SIP message (a UDP datagram or one framed TCP message) from a Buffer.
 * Never throws on bad input: it returns a message or a ParseError with a code, a reason phrase,
 * the status to answer and what could be salvaged for that answer (ARCHITECTURE.md habit 1).
 *
 * The header section is decoded latin1 once; fields are sliced from that string by index scans.
 * The headers a proxy needs on every message are parsed here; the rest stay raw (habit 2).
 */
import type { ErrorCode } from '../shared/errors.js';
import type { HeaderField, NameAddr, ParseError, ParseResult } from './message.js';
import { RequestRecord, ResponseRecord } from './message-record.js';
import { findKnownHeader, headerKey, keyOfHeader, nameOfHeader } from './header-names.js';
import { fieldValue, newFieldSpan, scanField } from './header-scanner.js';
import { equalsFolded, isDigit, isToken, parseDigits } from './lexical.js';
import { parseNameAddr, parseNameAddrListInto } from './name-addr.js';
import { collectPartial } from './partial-headers.js';
import { isDeltaSeconds, parseContentLength, parseCSeq, parseMaxForwards } from './scalar-headers.js';
import { parseUri } from './uri.js';
import { parseViaInto } from './via.js';

export interface ParseOptions {
  /** Largest accepted message in bytes (default 65536). */
  maxSize?: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 65536;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** A failure found while parsing; `partial` is filled in by `fail`. */
class Failure {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    readonly status = 400,
  ) {}
}

/** Parses one complete message. */
export function parseMessage(buf: Buffer, options?: ParseOptions): ParseResult {
  const maxSize = options?.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  let start = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
  if (buf.length > maxSize) {
    return fail(buf, start, Math.min(buf.length, start + maxSize), new Failure('SIP_TOO_LARGE', 'Message Too Large', 513));
  }
  const head = findHeadEnd(buf, start);
  if (head === undefined) return fail(buf, start, buf.length, new Failure('SIP_NO_HEADER_END', 'Missing Empty Line After Headers'));
  const { text, bodyStart } = head;
  const headEnd = start + text.length;
  const msg = parseHead(text, start);
  if (msg instanceof Failure) return fail(buf, start, headEnd, msg);
  const bodyError = attachBody(msg, buf, bodyStart);
  if (bodyError !== undefined) return fail(buf, start, headEnd, bodyError);
  msg.source = buf;
  return { ok: true, message: msg };
}

/**
 * The header section, decoded latin1 with the terminator of its last line (so every line of it
 * ends in LF), and where the body starts. The blank line is CRLF CRLF, or LF LF for bare-LF senders.
 */
function findHeadEnd(buf: Buffer, start: number): { text: string; bodyStart: number } | undefined {
  const crlf = buf.indexOf(CRLFCRLF, start);
  if (crlf !== -1) {
    const text = buf.toString('latin1', start, crlf + 2);
    // A bare-LF blank line before it ends the headers first.
    const lf = text.indexOf('\n\n');
    return lf === -1 ? { text, bodyStart: crlf + 4 } : { text: text.slice(0, lf + 1), bodyStart: start + lf + 2 };
  }
  const lf = buf.indexOf(LFLF, start);
  return lf === -1 ? undefined : { text: buf.toString('latin1', start, lf + 1), bodyStart: lf + 2 };
}

function fail(buf: Buffer, start: number, end: number, f: Failure): { ok: false; error: ParseError } {
  const partial = collectPartial(buf.toString('latin1', start, end));
  return { ok: false, error: { code: f.code, reason: f.reason, status: f.status, partial } };
}

function attachBody(msg: RequestRecord | ResponseRecord, buf: Buffer, bodyStart: number): Failure | undefined {
  const available = buf.length - bodyStart;
  if (msg.contentLength < 0) {
    // No Content-Length: over UDP the body is the rest of the datagram (RFC 3261 §18.3).
    msg.body = buf.subarray(bodyStart);
    msg.contentLength = available;
  } else if (msg.contentLength > available) {
    return new Failure('SIP_BODY_TRUNCATED', 'Content-Length Larger Than Message');
  } else if (msg.contentLength > 0) {
    // Octets past Content-Length are discarded (RFC 3261 §18.3, RFC 4475 §3.1.1.8).
    msg.body = buf.subarray(bodyStart, bodyStart + msg.contentLength);
  }
  return undefined;
}

/** Parses the start line and the headers; `base` is the byte offset of `text` in the buffer. */
function parseHead(text: string, base: number): RequestRecord | ResponseRecord | Failure {
  const nl = text.indexOf('\n');
  const lineEnd = nl > 0 && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  const isResponse = lineEnd >= 4 && text.charCodeAt(3) === 47 && equalsFolded(text, 0, 3, 'sip');
  const msg = isResponse ? parseStatusLine(text, lineEnd) : parseRequestLine(text, lineEnd);
  if (msg instanceof Failure) return msg;
  const failure = parseHeaders(msg, text, nl + 1, base);
  if (failure !== undefined) return failure;
  return checkMandatory(msg);
}

function parseVersion(version: string): Failure | undefined {
  if (version === 'SIP/2.0') return undefined;
  if (/^SIP\/[0-9]+\.[0-9]+$/i.test(version)) {
    return version.toUpperCase() === 'SIP/2.0' ? undefined : new Failure('SIP_VERSION_NOT_SUPPORTED', 'Version Not Supported', 505);
  }
  return new Failure('SIP_BAD_START_LINE', 'Bad SIP Version');
}

/** `Method SP Request-URI SP SIP-Version` with exactly one SP each (RFC 4475 §3.1.2.9, §3.1.2.10). */
function parseRequestLine(text: string, end: number): RequestRecord | Failure {
  const sp1 = text.indexOf(' ');
  const sp2 = sp1 === -1 ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 === -1 || sp2 >= end || sp2 === sp1 + 1) return new Failure('SIP_BAD_START_LINE', 'Bad Request Line');
  if (!isToken(text, 0, sp1)) return new Failure('SIP_BAD_START_LINE', 'Bad Request Method');
  const version = text.slice(sp2 + 1, end);
  if (version.indexOf(' ') !== -1) return new Failure('SIP_BAD_START_LINE', 'Bad Request Line');
  const versionError = parseVersion(version);
  if (versionError !== undefined) return versionError;
  const uri = text.slice(sp1 + 1, sp2);
  const uriError = checkRequestUri(uri);
  if (uriError !== undefined) return uriError;
  const req = new RequestRecord();
  req.method = text.slice(0, sp1);
  req.uri = uri;
  req.version = version;
  return req;
}

/** Any absoluteURI passes (a proxy answers 416 later); SIP, SIPS and TEL URIs must parse. */
function checkRequestUri(uri: string): Failure | undefined {
  const colon = uri.indexOf(':');
  if (colon <= 0 || !isUriScheme(uri, colon)) return new Failure('SIP_BAD_URI', 'Bad Request-URI');
  if (!equalsFolded(uri, 0, colon, 'sip') && !equalsFolded(uri, 0, colon, 'sips') && !equalsFolded(uri, 0, colon, 'tel')) return undefined;
  const parsed = parseUri(uri);
  if (parsed === undefined) return new Failure('SIP_BAD_URI', 'Bad Request-URI');
  // RFC 4475 §3.1.2.11: a Request-URI may not carry headers.
  if (parsed.headers.size > 0) return new Failure('SIP_BAD_URI', 'Request-URI Has Headers');
  return undefined;
}

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
function isUriScheme(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const alpha = (c | 0x20) >= 97 && (c | 0x20) <= 122;
    if (!alpha && (i === 0 || !(isDigit(c) || c === 43 || c === 45 || c === 46))) return false;
  }
  return true;
}

/** `SIP-Version SP Status-Code SP Reason-Phrase`; RFC 4475 §3.1.1.13 allows an empty reason. */
function parseStatusLine(text: string, end: number): ResponseRecord | Failure {
  const sp = text.indexOf(' ');
  if (sp === -1 || sp > end) return new Failure('SIP_BAD_START_LINE', 'Bad Status Line');
  const versionError = parseVersion(text.slice(0, sp));
  if (versionError !== undefined) return versionError;
  const codeEnd = sp + 4;
  const status = parseDigits(text, sp + 1, Math.min(codeEnd, end));
  const afterCode = text.charCodeAt(codeEnd);
  if (codeEnd > end || status < 100 || status > 699 || (codeEnd < end && afterCode !== 32)) {
    return new Failure('SIP_BAD_START_LINE', 'Bad Status Code');
  }
  const res = new ResponseRecord();
  res.version = text.slice(0, sp);
  res.status = status;
  res.reason = codeEnd < end ? text.slice(codeEnd + 1, end) : '';
  return res;
}

function parseHeaders(msg: RequestRecord | ResponseRecord, text: string, i: number, base: number): Failure | undefined {
  const span = newFieldSpan();
  // -1 until a Content-Length header is seen; attachBody then settles it.
  msg.contentLength = -1;
  if (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) return new Failure('SIP_BAD_HEADER', 'Bad Header Line');
  while (i < text.length) {
    scanField(text, i, span);
    if (span.colon === -1) return new Failure('SIP_BAD_HEADER', 'Bad Header Line');
    const known = findKnownHeader(text, i, span.nameEnd);
    if (known === -1 && !isToken(text, i, span.nameEnd)) return new Failure('SIP_BAD_HEADER', 'Bad Header Name');
    const name = known === -1 ? text.slice(i, span.nameEnd) : nameOfHeader(known, text, i, span.nameEnd);
    const key = known === -1 ? headerKey(name) : keyOfHeader(known);
    const value = fieldValue(text, span);
    const field: HeaderField = { name, key, value, wireStart: base + i, wireEnd: base + span.fieldEnd };
    msg.headers.push(field);
    const failure = parseKnownHeader(msg, key, value);
    if (failure !== undefined) return failure;
    i = span.next;
  }
  return undefined;
}

/** Typed parsing of the headers the relay reads on every message; returns a failure or undefined. */
function parseKnownHeader(msg: RequestRecord | ResponseRecord, key: string, value: string): Failure | undefined {
  switch (key) {
    case 'via':
      return addVias(msg, value);
    case 'from':
    case 'to':
      return setFromTo(msg, key, value);
    case 'call-id':
      if (msg.callId !== '') return duplicate('Call-ID');
      if (value === '') return new Failure('SIP_BAD_HEADER', 'Empty Call-ID');
      msg.callId = value;
      return undefined;
    case 'cseq':
      return setCSeq(msg, value);
    case 'max-forwards':
      return msg.kind === 'request' ? setMaxForwards(msg, value) : undefined;
    case 'content-length':
      return setContentLength(msg, value);
    case 'route':
      return msg.kind === 'request' ? addNameAddrs(msg.route, value, 'Route') : undefined;
    case 'record-route':
      return addNameAddrs(msg.recordRoute, value, 'Record-Route');
    case 'expires':
      return isDeltaSeconds(value) ? undefined : new Failure('SIP_BAD_EXPIRES', 'Bad Expires');
    default:
      return undefined;
  }
}

function duplicate(name: string): Failure {
  return new Failure('SIP_DUPLICATE_HEADER', `Duplicate ${name}`);
}

function addVias(msg: RequestRecord | ResponseRecord, value: string): Failure | undefined {
  return parseViaInto(value, msg.via) ? undefined : new Failure('SIP_BAD_VIA', 'Bad Via');
}

function setFromTo(msg: RequestRecord | ResponseRecord, key: 'from' | 'to', value: string): Failure | undefined {
  const label = key === 'from' ? 'From' : 'To';
  if (msg[key] !== undefined) return duplicate(label);
  const na = parseNameAddr(value);
  if (na === undefined) return new Failure('SIP_BAD_HEADER', `Bad ${label}`);
  msg[key] = na;
  return undefined;
}

function setCSeq(msg: RequestRecord | ResponseRecord, value: string): Failure | undefined {
  if (msg.cseq !== undefined) return duplicate('CSeq');
  const cseq = parseCSeq(value);
  if (cseq === undefined) return new Failure('SIP_BAD_CSEQ', 'Bad CSeq');
  msg.cseq = cseq;
  return undefined;
}

function setMaxForwards(req: RequestRecord, value: string): Failure | undefined {
  if (req.maxForwards !== undefined) return duplicate('Max-Forwards');
  const n = parseMaxForwards(value);
  if (n < 0) return new Failure('SIP_BAD_MAX_FORWARDS', 'Bad Max-Forwards');
  req.maxForwards = n;
  return undefined;
}

function setContentLength(msg: RequestRecord | ResponseRecord, value: string): Failure | undefined {
  if (msg.contentLength >= 0) return duplicate('Content-Length');
  const n = parseContentLength(value);
  if (n < 0) return new Failure('SIP_BAD_CONTENT_LENGTH', 'Bad Content-Length');
  msg.contentLength = n;
  return undefined;
}

function addNameAddrs(list: NameAddr[], value: string, label: string): Failure | undefined {
  return parseNameAddrListInto(value, list) ? undefined : new Failure('SIP_BAD_HEADER', `Bad ${label}`);
}

/** RFC 3261 §8.1.1: Via, From, To, Call-ID and CSeq; the CSeq method matches the request's. */
function checkMandatory(msg: RequestRecord | ResponseRecord): RequestRecord | ResponseRecord | Failure {
  if (msg.via.length === 0) return missing('Via');
  if (msg.from === undefined) return missing('From');
  if (msg.to === undefined) return missing('To');
  if (msg.callId === '') return missing('Call-ID');
  if (msg.cseq === undefined) return missing('CSeq');
  if (msg.kind === 'request' && msg.cseq.method !== msg.method) {
    return new Failure('SIP_CSEQ_METHOD_MISMATCH', 'CSeq Method Mismatch');
  }
  return msg;
}

function missing(name: string): Failure {
  return new Failure('SIP_MISSING_HEADER', `Missing ${name}`);
}
