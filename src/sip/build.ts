/**
 * Builds messages the proxy originates: responses to a request (RFC 3261 §8.2.6), the 400 for a
 * request that did not parse, new requests (probes, CANCEL, ACK), and fresh branch / tag / Call-ID
 * values.
 */
import { randomFillSync, randomUUID } from 'node:crypto';
import { SipDispatchError, type ErrorCode } from '../shared/errors.js';
import type { HeaderField, NameAddr, PartialHeaders, SipRequest, SipResponse } from './message.js';
import { RequestRecord, ResponseRecord } from './message-record.js';
import { headerKey } from './header-names.js';
import { toByteString } from './lexical.js';
import { parseNameAddr, parseNameAddrList } from './name-addr.js';
import { parseCSeq } from './scalar-headers.js';
import { setRequestUri } from './edit.js';
import { parseVia } from './via.js';

/** RFC 3261 §8.1.1.7 magic cookie. */
export const BRANCH_COOKIE = 'z9hG4bK';

/**
 * Random bytes drawn from a pool refilled 4 KB at a time: a branch per forwarded request costs a
 * hex conversion instead of a UUID, a regex replace and three strings.
 */
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;

function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

let branchPrefix = BRANCH_COOKIE;

/** Puts `tag` after the cookie of every branch this thread creates (worker threads route responses by it). */
export function setBranchTag(tag: string): void {
  branchPrefix = BRANCH_COOKIE + tag;
}

/** A new Via branch: the magic cookie, this thread's tag (if any) and 128 random bits. */
export const newBranch = (): string => branchPrefix + randomHex(16);

/** A new From/To tag (64 random bits, RFC 3261 §19.3 asks for at least 32). */
export const newTag = (): string => randomHex(8);

/** A new Call-ID (a random UUID). */
export const newCallId = (): string => randomUUID();

function invalid(code: ErrorCode, what: string): never {
  throw new SipDispatchError(code, `SIP build: ${what}`);
}

function field(name: string, value: string): HeaderField {
  const n = toByteString(name);
  return { name: n, key: headerKey(n), value: toByteString(value) };
}

/** Strips what may not appear in a reason phrase or a header value (CR, LF, other controls). */
function oneLine(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 32 && c !== 127) out += text[i];
    else if (c === 9) out += ' ';
  }
  return out;
}

/** The To value with a tag added when it has none. */
function withTag(to: NameAddr, tag: string): { value: string; to: NameAddr } {
  if (to.tag !== undefined) return { value: to.raw, to };
  const value = `${to.raw};tag=${tag}`;
  return { value, to: parseNameAddr(value) ?? invalid('SIP_BAD_HEADER', `bad tag: ${tag}`) };
}

export interface ResponseOptions {
  toTag?: string;
  headers?: Array<[string, string]>;
  body?: Buffer;
}

/**
 * A response to `req`: all Via values, From, To (with a tag when status > 100 and it has none),
 * Call-ID, CSeq, then `options.headers`, then Content-Length.
 */
export function buildResponse(req: SipRequest, status: number, reason: string, options?: ResponseOptions): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) invalid('SIP_BAD_START_LINE', `bad status ${status}`);
  const res = new ResponseRecord();
  res.status = status;
  res.reason = toByteString(oneLine(reason));
  for (const f of req.headers) if (f.key === 'via') res.headers.push({ name: f.name, key: f.key, value: f.value });
  res.via = req.via.slice();
  res.from = req.from;
  res.headers.push(field('From', req.from.raw));
  const to = status > 100 ? withTag(req.to, toByteString(options?.toTag ?? newTag())) : { value: req.to.raw, to: req.to };
  res.to = to.to;
  res.headers.push(field('To', to.value), field('Call-ID', req.callId), field('CSeq', `${req.cseq.seq} ${req.cseq.method}`));
  res.callId = req.callId;
  res.cseq = { seq: req.cseq.seq, method: req.cseq.method };
  finish(res, options?.headers, options?.body);
  return res;
}

/** Adds the extra headers, the body and Content-Length; keeps the views of the extras in step. */
function finish(msg: RequestRecord | ResponseRecord, extra: Array<[string, string]> | undefined, body: Buffer | undefined): void {
  for (const [name, value] of extra ?? []) {
    const f = field(name, value);
    if (f.key === 'content-length') continue;
    msg.headers.push(f);
    if (f.key === 'record-route') {
      for (const na of parseNameAddrList(f.value) ?? invalid('SIP_BAD_HEADER', `bad Record-Route: ${value}`)) msg.recordRoute.push(na);
    } else if (f.key === 'route' && msg instanceof RequestRecord) {
      for (const na of parseNameAddrList(f.value) ?? invalid('SIP_BAD_HEADER', `bad Route: ${value}`)) msg.route.push(na);
    }
  }
  msg.body = body ?? Buffer.alloc(0);
  msg.contentLength = msg.body.length;
  msg.headers.push(field('Content-Length', String(msg.contentLength)));
}

/**
 * The response to a request that failed to parse, as bytes, echoing the salvaged headers; undefined
 * when it was a response or its top Via is missing or unreadable.
 */
export function buildResponseFromPartial(partial: PartialHeaders, status: number, reason: string): Buffer | undefined {
  const { from, to, callId, cseq } = partial;
  // A reply travels back along the top Via (§18.2.2): without one that parses, nobody can take it.
  if (!partial.isRequest || partial.via.length === 0 || parseVia(partial.via[0]!) === undefined) return undefined;
  const lines = [`SIP/2.0 ${status} ${oneLine(reason)}`];
  for (const via of partial.via) lines.push(`Via: ${oneLine(via)}`);
  // §8.2: a request missing From, To, Call-ID or CSeq still gets its 400 (the reason names the
  // header), echoing the ones it has, as Kamailio's sl_send_reply does.
  if (from !== undefined) lines.push(`From: ${oneLine(from)}`);
  if (to !== undefined) {
    let toValue = oneLine(to);
    if (status > 100 && !/;\s*tag\s*=/i.test(toValue)) toValue += `;tag=${newTag()}`;
    lines.push(`To: ${toValue}`);
  }
  if (callId !== undefined) lines.push(`Call-ID: ${oneLine(callId)}`);
  if (cseq !== undefined) lines.push(`CSeq: ${oneLine(cseq)}`);
  lines.push('Content-Length: 0', '', '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

export interface RequestSpec {
  method: string;
  uri: string;
  /** Via values, top first. */
  via: string[];
  from: string;
  to: string;
  callId: string;
  cseq: number;
  /** Default 70 (RFC 3261 §8.1.1.6). */
  maxForwards?: number;
  headers?: Array<[string, string]>;
  body?: Buffer;
}

/** A new request: Via..., Max-Forwards, From, To, Call-ID, CSeq, the extra headers, Content-Length. */
export function buildRequest(spec: RequestSpec): SipRequest {
  const req = new RequestRecord();
  req.method = toByteString(spec.method);
  setRequestUri(req, spec.uri);
  for (const v of spec.via) {
    const f = field('Via', v);
    req.headers.push(f);
    for (const parsed of parseVia(f.value) ?? invalid('SIP_BAD_VIA', `bad Via: ${v}`)) req.via.push(parsed);
  }
  req.maxForwards = spec.maxForwards ?? 70;
  if (!Number.isInteger(req.maxForwards) || req.maxForwards < 0 || req.maxForwards > 255) {
    invalid('SIP_BAD_MAX_FORWARDS', `bad Max-Forwards: ${req.maxForwards}`);
  }
  const from = field('From', spec.from);
  const to = field('To', spec.to);
  const cseq = field('CSeq', `${spec.cseq} ${req.method}`);
  req.headers.push(field('Max-Forwards', String(req.maxForwards)), from, to, field('Call-ID', spec.callId), cseq);
  req.from = parseNameAddr(from.value) ?? invalid('SIP_BAD_HEADER', `bad From: ${spec.from}`);
  req.to = parseNameAddr(to.value) ?? invalid('SIP_BAD_HEADER', `bad To: ${spec.to}`);
  req.callId = toByteString(spec.callId);
  req.cseq = parseCSeq(cseq.value) ?? invalid('SIP_BAD_CSEQ', `bad CSeq: ${spec.cseq} ${spec.method}`);
  finish(req, spec.headers, spec.body);
  return req;
}
