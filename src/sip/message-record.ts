/**
 * The concrete message objects behind SipRequest and SipResponse. Contact, Require and
 * Proxy-Require are parsed on first read from the header fields: the relay seldom needs them, so
 * parsing them on every message would be wasted work (bench/sip/parse.bench.ts measures it).
 */
import type { CSeq, HeaderField, NameAddr, SipRequest, SipResponse, Via } from './message.js';
import { parseNameAddrList } from './name-addr.js';

/** Contact values of the given fields; "*" and values that do not parse are left out. */
export function contactView(headers: readonly HeaderField[]): NameAddr[] {
  const out: NameAddr[] = [];
  for (const field of headers) {
    if (field.key !== 'contact' || field.value === '*') continue;
    const list = parseNameAddrList(field.value);
    if (list !== undefined) for (const na of list) out.push(na);
  }
  return out;
}

/** Option tags of every field with this key (comma-separated tokens). */
export function optionTagsView(headers: readonly HeaderField[], key: string): string[] {
  const out: string[] = [];
  for (const field of headers) {
    if (field.key !== key) continue;
    for (const part of field.value.split(',')) {
      const tag = part.trim();
      if (tag !== '') out.push(tag);
    }
  }
  return out;
}

const EMPTY_BODY = Buffer.alloc(0);

abstract class MessageRecord {
  version = 'SIP/2.0';
  headers: HeaderField[] = [];
  body: Buffer = EMPTY_BODY;
  via: Via[] = [];
  from!: NameAddr;
  to!: NameAddr;
  callId = '';
  cseq!: CSeq;
  recordRoute: NameAddr[] = [];
  contentLength = 0;
  source: Buffer | undefined = undefined;
  // True private fields: invisible to spreads and deep-equality checks.
  #contact: NameAddr[] | undefined = undefined;

  get contact(): NameAddr[] {
    return (this.#contact ??= contactView(this.headers));
  }

  set contact(list: NameAddr[]) {
    this.#contact = list;
  }
}

export class RequestRecord extends MessageRecord implements SipRequest {
  readonly kind = 'request' as const;
  method = '';
  uri = '';
  maxForwards: number | undefined = undefined;
  route: NameAddr[] = [];
  #require: string[] | undefined = undefined;
  #proxyRequire: string[] | undefined = undefined;

  get require(): string[] {
    return (this.#require ??= optionTagsView(this.headers, 'require'));
  }

  set require(tags: string[]) {
    this.#require = tags;
  }

  get proxyRequire(): string[] {
    return (this.#proxyRequire ??= optionTagsView(this.headers, 'proxy-require'));
  }

  set proxyRequire(tags: string[]) {
    this.#proxyRequire = tags;
  }
}

export class ResponseRecord extends MessageRecord implements SipResponse {
  readonly kind = 'response' as const;
  status = 0;
  reason = '';
}

/**
 * A copy of `req` another branch can edit: its own header, Via and Record-Route lists. Built
 * through the constructor, so the lazy views exist and are recomputed from the copied headers.
 */
export function cloneRequest(req: SipRequest): SipRequest {
  const copy: SipRequest = Object.assign(req instanceof RequestRecord ? new RequestRecord() : ({} as SipRequest), req);
  copy.headers = [...req.headers];
  copy.via = [...req.via];
  copy.recordRoute = [...req.recordRoute];
  return copy;
}
