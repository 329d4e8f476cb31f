/**
 * The SIP message model shared by every layer. The parser (parse-message.ts) fills it, the edit
 * functions (edit.ts) change it, the serializer (serialize.ts) re-emits it: header fields the relay
 * does not edit go out byte for byte, in wire order.
 *
 * Strings taken from the wire are byte strings: the header section is decoded latin1, one char per
 * byte, so re-encoding is exact whatever the bytes were. A UTF-8 display name therefore reads as
 * mojibake; `Buffer.from(s, 'latin1').toString('utf8')` shows it. The edit and build functions
 * convert the strings they are given to this form.
 */

/** One header field as it appeared on the wire. */
export interface HeaderField {
  /** The name as written on the wire (may be compact, any case). */
  name: string;
  /** Canonical lower-case long name ("v" and "Via" both give "via"); interned. */
  key: string;
  /**
   * The raw value: leading/trailing whitespace trimmed, folded lines joined with one space. On
   * parsed fields a getter that slices it from the header text on first read.
   */
  value: string;
  /**
   * Byte range [wireStart, wireEnd) of this field in the message's `source` (name to end of value,
   * CRLF excluded). Set by the parser only: the serializer copies those bytes. Anything that
   * changes `name` or `value` must build a new field without them (edit.ts does).
   */
  wireStart?: number;
  wireEnd?: number;
}

/** One Via value (a Via header field may hold several, comma-separated). */
export interface Via {
  /** "SIP/2.0/UDP" → "UDP" (upper case). */
  transport: string;
  host: string;
  /** undefined when the sent-by carries no port. */
  port: number | undefined;
  branch: string | undefined;
  /** undefined: no rport; null: `;rport` without value; number: `;rport=N`. */
  rport: number | null | undefined;
  received: string | undefined;
  maddr: string | undefined;
  ttl: number | undefined;
  /** The exact text of this Via value. */
  raw: string;
}

/** name-addr or addr-spec with header parameters (From, To, Contact, Route, Record-Route). */
export interface NameAddr {
  /** Quotes removed and quoted-pairs unescaped; undefined when there is none. Parsed: made on each read. */
  displayName: string | undefined;
  /** The URI text, without angle brackets. */
  uri: string;
  /** The `tag` parameter, if any (From/To). */
  tag: string | undefined;
  /** Header parameters (after the URI / closing bracket), lower-cased names; null = no value. */
  params: ReadonlyMap<string, string | null>;
  /** The exact text of this value. */
  raw: string;
}

export interface CSeq {
  seq: number;
  method: string;
}

interface MessageBase {
  version: string;
  /** Every header field in wire order (including the ones parsed below). */
  headers: HeaderField[];
  body: Buffer;
  /** All Via values, top first. */
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: CSeq;
  /** Record-Route values in order. */
  recordRoute: NameAddr[];
  /** Contact values; empty when absent or "*". Parsed on first read (the relay rarely needs it). */
  contact: NameAddr[];
  /** The Content-Length header value (the body length when the header is absent). */
  contentLength: number;
  /** The bytes this message was parsed from (header `wireStart`/`wireEnd` index into it). */
  source?: Buffer;
}

export interface SipRequest extends MessageBase {
  readonly kind: 'request';
  method: string;
  /** The raw Request-URI. */
  uri: string;
  /** undefined when the header is absent. */
  maxForwards: number | undefined;
  /** Route values in order. */
  route: NameAddr[];
  /** Option tags, parsed on first read. */
  proxyRequire: string[];
  /** Option tags, parsed on first read. */
  require: string[];
}

export interface SipResponse extends MessageBase {
  readonly kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** What survives of a message that failed to parse, so a 400 can still be built. */
export interface PartialHeaders {
  via: string[];
  from: string | undefined;
  to: string | undefined;
  callId: string | undefined;
  cseq: string | undefined;
  method: string | undefined;
  isRequest: boolean;
}

export interface ParseError {
  /** Stable machine code, e.g. SIP_BAD_CSEQ (listed in shared/errors.ts). */
  code: string;
  /** Human reason, usable as a 400 reason phrase. */
  reason: string;
  /** The status a proxy should answer with (400, 505, 513...). */
  status: number;
  /** Present when enough of the request was readable to build a response. */
  partial: PartialHeaders | undefined;
}

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: ParseError };

/** Parsed SIP / SIPS / TEL URI. */
export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  /** %-escapes decoded. For tel: the telephone-subscriber number. */
  user: string | undefined;
  /** %-escapes decoded. */
  password: string | undefined;
  /** Host as written, lower-cased; IPv6 references keep their brackets; '' for tel. */
  host: string;
  port: number | undefined;
  /** URI parameters, lower-cased names; null = no value; names and values %-decoded. */
  params: ReadonlyMap<string, string | null>;
  /** URI headers (after "?"), decoded names and values. */
  headers: ReadonlyMap<string, string>;
  raw: string;
}
