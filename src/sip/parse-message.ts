/**
 * Parses one complete SIP message (a UDP datagram or one framed TCP message) from a Buffer.
 * Never throws on bad input: it returns a message or a ParseError with a code, a reason phrase,
 * the status to answer and what could be salvaged for that answer (ARCHITECTURE.md habit 1).
 *
 * The header section is decoded latin1 once; fields are sliced from that string by index scans.
 * The headers a proxy needs on every message are parsed here; the rest stay raw (habit 2).
 */
import type { ErrorCode } from '../shared/errors.js';
import type { ParseError, ParseResult } from './message.js';
import { RequestRecord, ResponseRecord } from './message-record.js';
import { findKnownHeader, headerKey, keyOfHeader, nameOfHeader, rememberHeaderName } from './header-names.js';
import { fieldValue, newFieldSpan, scanField } from './header-scanner.js';
import { equalsFolded, isDigit, isToken, parseDigits } from './lexical.js';
import { parseNameAddr, parseNameAddrListInto } from './name-addr.js';
import { collectPartial } from './partial-headers.js';
import { isDeltaSeconds, methodName, parseContentLength, parseCSeq, parseMaxForwards } from './scalar-headers.js';
import { checkUri } from './uri.js';
import { parseViaInto } from './via.js';
import { WireField } from './wire-field.js';

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

/** Reused by every field of every message (parsing is synchronous). */
const span = newFieldSpan();

/** Parses one complete message. */
export function parseMessage(buf: Buffer, options?: ParseOptions): ParseResult {
  const maxSize = options?.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  let start = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
  if (buf.length > maxSize) {
    return fail(buf.subarray(start), Math.min(buf.length, start + maxSize) - start, new Failure('SIP_TOO_LARGE', 'Message Too Large', 513));
  }
  // Without them, header positions index the message's source bytes and its header text alike.
  return parseFrom(start === 0 ? buf : buf.subarray(start));
}

function parseFrom(buf: Buffer): ParseResult {
  // The header section, decoded latin1 with the terminator of its last line (so every line of it
  // ends in LF). The blank line is CRLF CRLF, or LF LF from a bare-LF sender; a bare-LF blank line
  // before the first CRLF CRLF ends the headers first: parseHeaders stops at it.
  const crlf = buf.indexOf(CRLFCRLF);
  const lf = crlf === -1 ? buf.indexOf(LFLF) : -1;
  if (crlf === -1 && lf === -1) return fail(buf, buf.length, new Failure('SIP_NO_HEADER_END', 'Missing Empty Line After Headers'));
  const text = buf.toString('latin1', 0, crlf === -1 ? lf + 1 : crlf + 2);
  const msg = parseHead(text);
  if (msg instanceof Failure) return fail(buf, text.length, msg);
  const bodyStart = headStop < text.length ? headStop + 1 : crlf === -1 ? lf + 2 : crlf + 4;
  const bodyError = attachBody(msg, buf, bodyStart);
  if (bodyError !== undefined) return fail(buf, text.length, bodyError);
  msg.source = buf;
  return { ok: true, message: msg };
}

/** The failure, with what could be salvaged from buf[0, end) for an answer. */
function fail(buf: Buffer, end: number, f: Failure): { ok: false; error: ParseError } {
  const partial = collectPartial(buf.toString('latin1', 0, end));
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

/** Parses the start line and the headers. */
function parseHead(text: string): RequestRecord | ResponseRecord | Failure {
  const nl = text.indexOf('\n');
  const lineEnd = nl > 0 && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  const isResponse = lineEnd >= 4 && text.charCodeAt(3) === 47 && equalsFolded(text, 0, 3, 'sip');
  const msg = isResponse ? parseStatusLine(text, lineEnd) : parseRequestLine(text, lineEnd);
  if (msg instanceof Failure) return msg;
  const failure = parseHeaders(msg, text, nl + 1);
  if (failure !== undefined) return failure;
  return checkMandatory(msg);
}

const SIP_2_0 = 'SIP/2.0';

/** The version at text[start, end): the shared 'SIP/2.0' when written so, else a slice. */
function versionAt(text: string, start: number, end: number): string {
  return end - start === 7 && text.startsWith(SIP_2_0, start) ? SIP_2_0 : text.slice(start, end);
}

function parseVersion(version: string): Failure | undefined {
  if (version === SIP_2_0) return undefined;
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
  const version = versionAt(text, sp2 + 1, end);
  if (version.indexOf(' ') !== -1) return new Failure('SIP_BAD_START_LINE', 'Bad Request Line');
  const versionError = parseVersion(version);
  if (versionError !== undefined) return versionError;
  const uri = text.slice(sp1 + 1, sp2);
  const uriError = checkRequestUri(uri);
  if (uriError !== undefined) return uriError;
  const req = new RequestRecord();
  req.method = methodName(text, 0, sp1);
  req.uri = uri;
  req.version = version;
  return req;
}

/** Any absoluteURI passes (a proxy answers 416 later); SIP, SIPS and TEL URIs must parse. */
function checkRequestUri(uri: string): Failure | undefined {
  const colon = uri.indexOf(':');
  if (colon <= 0 || !isUriScheme(uri, colon)) return new Failure('SIP_BAD_URI', 'Bad Request-URI');
  if (!equalsFolded(uri, 0, colon, 'sip') && !equalsFolded(uri, 0, colon, 'sips') && !equalsFolded(uri, 0, colon, 'tel')) return undefined;
  const headersAt = checkUri(uri);
  if (headersAt === -1) return new Failure('SIP_BAD_URI', 'Bad Request-URI');
  // RFC 4475 §3.1.2.11: a Request-URI may not carry headers.
  if (headersAt !== uri.length) return new Failure('SIP_BAD_URI', 'Request-URI Has Headers');
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
  const version = versionAt(text, 0, sp);
  const versionError = parseVersion(version);
  if (versionError !== undefined) return versionError;
  const codeEnd = sp + 4;
  const status = parseDigits(text, sp + 1, Math.min(codeEnd, end));
  const afterCode = text.charCodeAt(codeEnd);
  if (codeEnd > end || status < 100 || status > 699 || (codeEnd < end && afterCode !== 32)) {
    return new Failure('SIP_BAD_START_LINE', 'Bad Status Code');
  }
  const res = new ResponseRecord();
  res.version = version;
  res.status = status;
  res.reason = codeEnd < end ? text.slice(codeEnd + 1, end) : '';
  return res;
}

/** Where parseHeaders stopped in the text: its end, or a bare-LF blank line before it. */
let headStop = 0;

function parseHeaders(msg: RequestRecord | ResponseRecord, text: string, i: number): Failure | undefined {
  // -1 until a Content-Length header is seen; attachBody then settles it.
  msg.contentLength = -1;
  if (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) return new Failure('SIP_BAD_HEADER', 'Bad Header Line');
  while (i < text.length && text.charCodeAt(i) !== 10) {
    scanField(text, i, span);
    if (span.colon === -1) return new Failure('SIP_BAD_HEADER', 'Bad Header Line');
    const known = findKnownHeader(text, i, span.nameEnd);
    if (known === -1 && !isToken(text, i, span.nameEnd)) return new Failure('SIP_BAD_HEADER', 'Bad Header Name');
    const name = known === -1 ? text.slice(i, span.nameEnd) : nameOfHeader(known, text, i, span.nameEnd);
    const key = known === -1 ? newHeaderKey(name) : keyOfHeader(known);
    const value = span.folded ? parseFolded(msg, key, text) : parseKnownHeader(msg, key, text, span.valueStart, span.valueEnd);
    if (value instanceof Failure) return value;
    msg.headers.push(new WireField(name, key, text, i, span.fieldEnd, value));
    i = span.next;
  }
  headStop = i;
  return undefined;
}

/** A folded value is unfolded into a string of its own first (the others are read in the text). */
function parseFolded(msg: RequestRecord | ResponseRecord, key: string, text: string): Failure | string {
  const value = fieldValue(text, span);
  return parseKnownHeader(msg, key, value, 0, value.length) ?? value;
}

/** The key of a name the header table does not know yet; the table learns it. */
function newHeaderKey(name: string): string {
  const key = headerKey(name);
  rememberHeaderName(name, key);
  return key;
}

/**
 * Typed parsing of the headers the relay reads on every message, from the value at s[start, end).
 * Returns a failure, the value if it had to make it a string (the field keeps it), or undefined.
 */
function parseKnownHeader(msg: RequestRecord | ResponseRecord, key: string, s: string, start: number, end: number): Failure | string | undefined {
  switch (key) {
    case 'via':
      return addVias(msg, s.slice(start, end));
    case 'from':
    case 'to':
      return setFromTo(msg, key, s.slice(start, end));
    case 'call-id':
      return setCallId(msg, s.slice(start, end));
    case 'cseq':
      return setCSeq(msg, s, start, end);
    case 'max-forwards':
      return msg.kind === 'request' ? setMaxForwards(msg, s, start, end) : undefined;
    case 'content-length':
      return setContentLength(msg, s, start, end);
    case 'route':
      return msg.kind === 'request' ? addRoutes(msg, s.slice(start, end)) : undefined;
    case 'record-route':
      return addRecordRoutes(msg, s.slice(start, end));
    case 'expires':
      return isDeltaSeconds(s, start, end) ? undefined : new Failure('SIP_BAD_EXPIRES', 'Bad Expires');
    default:
      return undefined;
  }
}

function duplicate(name: string): Failure {
  return new Failure('SIP_DUPLICATE_HEADER', `Duplicate ${name}`);
}

// The view setters below return the value they were given, for the field to keep.
// The lists start empty; parseViaInto and parseNameAddrListInto return a new one of the exact size
// for their first values instead of growing [] (V8 gives it 17 slots at the first push).

function addVias(msg: RequestRecord | ResponseRecord, value: string): Failure | string {
  const list = parseViaInto(value, msg.via);
  if (list === undefined) return new Failure('SIP_BAD_VIA', 'Bad Via');
  msg.via = list;
  return value;
}

function setFromTo(msg: RequestRecord | ResponseRecord, key: 'from' | 'to', value: string): Failure | string {
  const label = key === 'from' ? 'From' : 'To';
  if (msg[key] !== undefined) return duplicate(label);
  const na = parseNameAddr(value);
  if (na === undefined) return new Failure('SIP_BAD_HEADER', `Bad ${label}`);
  msg[key] = na;
  return value;
}

function setCallId(msg: RequestRecord | ResponseRecord, value: string): Failure | string {
  if (msg.callId !== '') return duplicate('Call-ID');
  if (value === '') return new Failure('SIP_BAD_HEADER', 'Empty Call-ID');
  msg.callId = value;
  return value;
}

function addRoutes(req: RequestRecord, value: string): Failure | string {
  const list = parseNameAddrListInto(value, req.route);
  if (list === undefined) return new Failure('SIP_BAD_HEADER', 'Bad Route');
  req.route = list;
  return value;
}

function addRecordRoutes(msg: RequestRecord | ResponseRecord, value: string): Failure | string {
  const list = parseNameAddrListInto(value, msg.recordRoute);
  if (list === undefined) return new Failure('SIP_BAD_HEADER', 'Bad Record-Route');
  msg.recordRoute = list;
  return value;
}

// The scalar setters read the value in place, at s[start, end).

function setCSeq(msg: RequestRecord | ResponseRecord, s: string, start: number, end: number): Failure | undefined {
  if (msg.cseq !== undefined) return duplicate('CSeq');
  const cseq = parseCSeq(s, start, end);
  if (cseq === undefined) return new Failure('SIP_BAD_CSEQ', 'Bad CSeq');
  msg.cseq = cseq;
  return undefined;
}

function setMaxForwards(req: RequestRecord, s: string, start: number, end: number): Failure | undefined {
  if (req.maxForwards !== undefined) return duplicate('Max-Forwards');
  const n = parseMaxForwards(s, start, end);
  if (n < 0) return new Failure('SIP_BAD_MAX_FORWARDS', 'Bad Max-Forwards');
  req.maxForwards = n;
  return undefined;
}

function setContentLength(msg: RequestRecord | ResponseRecord, s: string, start: number, end: number): Failure | undefined {
  if (msg.contentLength >= 0) return duplicate('Content-Length');
  const n = parseContentLength(s, start, end);
  if (n < 0) return new Failure('SIP_BAD_CONTENT_LENGTH', 'Bad Content-Length');
  msg.contentLength = n;
  return undefined;
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
