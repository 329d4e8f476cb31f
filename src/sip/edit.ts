/**
 * The edits a proxy makes, applied to the message in place (ARCHITECTURE.md habit 3). Each one
 * replaces only the header fields it touches (new fields carry no wire position, so the serializer
 * writes them out; every other field is still copied byte for byte) and keeps the typed views
 * (via, route, recordRoute, maxForwards, uri, contact...) in step with the fields.
 *
 * Values given here are checked: an edit that would leave an unparsable header throws a
 * SipDispatchError (a programming error, not bad input from the wire).
 */
import { SipDispatchError, type ErrorCode } from '../shared/errors.js';
import type { HeaderField, NameAddr, SipMessage, SipRequest, Via } from './message.js';
import { canonicalName, headerKey } from './header-names.js';
import { splitCommaList, toByteString } from './lexical.js';
import { contactView, optionTagsView } from './message-record.js';
import { parseNameAddr, parseNameAddrList } from './name-addr.js';
import { parseContentLength, parseCSeq, parseMaxForwards } from './scalar-headers.js';
import { parseUri } from './uri.js';
import { parseVia, withViaParam } from './via.js';

function invalid(code: ErrorCode, what: string): never {
  throw new SipDispatchError(code, `SIP edit: ${what}`);
}

function newField(name: string, value: string): HeaderField {
  const n = toByteString(name);
  return { name: n, key: headerKey(n), value: toByteString(value) };
}

function firstIndex(msg: SipMessage, key: string): number {
  const headers = msg.headers;
  for (let i = 0; i < headers.length; i++) if ((headers[i] as HeaderField).key === key) return i;
  return -1;
}

function lastIndex(msg: SipMessage, key: string): number {
  for (let i = msg.headers.length - 1; i >= 0; i--) if ((msg.headers[i] as HeaderField).key === key) return i;
  return -1;
}

/** Replaces the leading entry `oldRaw` of a comma-separated field value; drops the field if empty. */
function replaceLeadingEntry(msg: SipMessage, index: number, oldRaw: string, newRaw: string | undefined): void {
  const field = msg.headers[index] as HeaderField;
  const rest = field.value.slice(oldRaw.length);
  if (newRaw !== undefined) {
    msg.headers[index] = { name: field.name, key: field.key, value: newRaw + rest };
    return;
  }
  const comma = rest.indexOf(',');
  if (comma === -1) msg.headers.splice(index, 1);
  else msg.headers[index] = { name: field.name, key: field.key, value: rest.slice(comma + 1).trim() };
}

/** Adds a Via value (one or more entries) above the existing ones. */
export function pushVia(msg: SipMessage, value: string): void {
  const v = toByteString(value);
  const vias = parseVia(v) ?? invalid('SIP_BAD_VIA', `not a Via value: ${value}`);
  const at = firstIndex(msg, 'via');
  msg.headers.splice(at === -1 ? 0 : at, 0, newField('Via', v));
  // A new list of the exact size: unshift would grow the parser's one-entry list to 17 slots.
  msg.via = vias.concat(msg.via);
}

/** Removes the top Via entry (other entries of the same field stay); returns it. */
export function popVia(msg: SipMessage): Via | undefined {
  const top = msg.via[0];
  const at = firstIndex(msg, 'via');
  if (top === undefined || at === -1) return undefined;
  replaceLeadingEntry(msg, at, top.raw, undefined);
  msg.via.shift();
  return top;
}

/**
 * Sets `received=` on the top Via when `received` is given, and fills `rport=` when `rport` is
 * given and the Via asked for it (RFC 3581 §4: a server adds the value only to a `;rport`).
 */
export function setTopViaReceived(msg: SipMessage, received: string | undefined, rport: number | undefined): void {
  const top = msg.via[0];
  const at = firstIndex(msg, 'via');
  if (top === undefined || at === -1) return;
  let raw = top.raw;
  if (received !== undefined) raw = withViaParam(raw, 'received', toByteString(received), false);
  if (rport !== undefined && top.rport !== undefined) raw = withViaParam(raw, 'rport', String(rport), true);
  if (raw === top.raw) return;
  const updated = parseVia(raw)?.[0] ?? invalid('SIP_BAD_VIA', `bad received/rport: ${received ?? ''} ${rport ?? ''}`);
  replaceLeadingEntry(msg, at, top.raw, raw);
  msg.via[0] = updated;
}

/** Sets Max-Forwards to n (0 to 255), adding the header after the Via fields when missing. */
export function setMaxForwards(req: SipRequest, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 255) invalid('SIP_BAD_MAX_FORWARDS', `Max-Forwards out of range: ${n}`);
  const at = firstIndex(req, 'max-forwards');
  if (at === -1) req.headers.splice(lastIndex(req, 'via') + 1, 0, newField('Max-Forwards', String(n)));
  else {
    const old = req.headers[at] as HeaderField;
    req.headers[at] = { name: old.name, key: old.key, value: String(n) };
  }
  req.maxForwards = n;
}

/** Removes the first Route value; returns it. */
export function popRoute(req: SipRequest): NameAddr | undefined {
  const first = req.route[0];
  const at = firstIndex(req, 'route');
  if (first === undefined || at === -1) return undefined;
  replaceLeadingEntry(req, at, first.raw, undefined);
  req.route.shift();
  return first;
}

/** Adds a Record-Route value above the existing ones (at the top when there are none). */
export function prependRecordRoute(req: SipRequest, value: string): void {
  const v = toByteString(value);
  const list = parseNameAddrList(v) ?? invalid('SIP_BAD_HEADER', `not a Record-Route value: ${value}`);
  const at = firstIndex(req, 'record-route');
  req.headers.splice(at === -1 ? 0 : at, 0, newField('Record-Route', v));
  req.recordRoute = list.concat(req.recordRoute);
}

/** Removes the first Record-Route value; returns it. */
export function popRecordRoute(req: SipRequest): NameAddr | undefined {
  const first = req.recordRoute[0];
  const at = firstIndex(req, 'record-route');
  if (first === undefined || at === -1) return undefined;
  replaceLeadingEntry(req, at, first.raw, undefined);
  req.recordRoute = req.recordRoute.slice(1);
  return first;
}

/** Replaces the Request-URI (SIP, SIPS and TEL URIs must parse; any absolute URI is accepted). */
export function setRequestUri(req: SipRequest, uri: string): void {
  const u = toByteString(uri);
  const colon = u.indexOf(':');
  const scheme = u.slice(0, colon).toLowerCase();
  const needsParse = scheme === 'sip' || scheme === 'sips' || scheme === 'tel';
  if (colon <= 0 || /[\s<>"]/.test(u) || (needsParse && parseUri(u) === undefined)) invalid('SIP_BAD_URI', `bad Request-URI: ${uri}`);
  req.uri = u;
}

/** Replaces every field of that name with one (at the first one's place, or at the end). */
export function setHeader(msg: SipMessage, name: string, value: string): void {
  const field = newField(name, value);
  const next: HeaderField[] = [];
  let placed = false;
  for (const f of msg.headers) {
    if (f.key !== field.key) next.push(f);
    else if (!placed) {
      next.push(field);
      placed = true;
    }
  }
  if (!placed) next.push(field);
  commit(msg, field.key, next);
}

/** Adds a field at the end (for Via or Route, views follow the field order). */
export function addHeader(msg: SipMessage, name: string, value: string): void {
  const field = newField(name, value);
  commit(msg, field.key, [...msg.headers, field]);
}

/** Removes every field of that name. */
export function removeHeader(msg: SipMessage, name: string): void {
  const key = headerKey(toByteString(name));
  commit(msg, key, msg.headers.filter((f) => f.key !== key));
}

/** Replaces the URI of the index-th Contact value; false when there is no such value. */
export function replaceContactUri(msg: SipMessage, index: number, uri: string): boolean {
  const u = toByteString(uri);
  let seen = 0;
  for (let i = 0; i < msg.headers.length; i++) {
    const field = msg.headers[i] as HeaderField;
    if (field.key !== 'contact' || field.value === '*') continue;
    const pieces = splitCommaList(field.value);
    const list = pieces === undefined ? undefined : parseNameAddrList(field.value);
    if (pieces === undefined || list === undefined) continue;
    if (index >= seen + list.length) {
      seen += list.length;
      continue;
    }
    const na = list[index - seen] as NameAddr;
    const piece = withUri(na, u);
    pieces[index - seen] = piece.raw;
    msg.headers[i] = { name: field.name, key: field.key, value: pieces.join(', ') };
    msg.contact = contactView(msg.headers);
    return true;
  }
  return false;
}

/** The same name-addr with another URI, always in angle brackets so URI parameters stay its own. */
function withUri(na: NameAddr, uri: string): NameAddr {
  const bracketed = na.raw.indexOf(`<${na.uri}>`);
  const text =
    bracketed !== -1
      ? `${na.raw.slice(0, bracketed)}<${uri}>${na.raw.slice(bracketed + na.uri.length + 2)}`
      : `<${uri}>${na.raw.slice(na.uri.length)}`;
  return parseNameAddr(text) ?? invalid('SIP_BAD_URI', `bad Contact URI: ${uri}`);
}

/** Checks the new fields give valid views for `key`, then installs both. */
function commit(msg: SipMessage, key: string, next: HeaderField[]): void {
  const apply = viewUpdate(msg, key, next);
  msg.headers.splice(0, msg.headers.length, ...next);
  apply();
}

function valuesOf(fields: readonly HeaderField[], key: string): string[] {
  const out: string[] = [];
  for (const f of fields) if (f.key === key) out.push(f.value);
  return out;
}

/** Computes the typed view of `key` from `fields` (throwing if invalid); returns its installer. */
function viewUpdate(msg: SipMessage, key: string, fields: readonly HeaderField[]): () => void {
  const values = valuesOf(fields, key);
  const first = values[0];
  switch (key) {
    case 'via': {
      const vias = values.flatMap((v) => parseVia(v) ?? invalid('SIP_BAD_VIA', `bad Via: ${v}`));
      return () => void (msg.via = vias);
    }
    case 'route':
    case 'record-route': {
      const list = values.flatMap((v) => parseNameAddrList(v) ?? invalid('SIP_BAD_HEADER', `bad ${canonicalName(key)}: ${v}`));
      if (key === 'record-route') return () => void (msg.recordRoute = list);
      return () => void (msg.kind === 'request' && (msg.route = list));
    }
    case 'from':
    case 'to': {
      const na = parseNameAddr(first ?? '') ?? invalid('SIP_BAD_HEADER', `${key} must hold one valid value`);
      return () => void (key === 'from' ? (msg.from = na) : (msg.to = na));
    }
    case 'call-id': {
      const callId = first === undefined || first === '' ? invalid('SIP_MISSING_HEADER', 'Call-ID is mandatory') : first;
      return () => void (msg.callId = callId);
    }
    case 'cseq': {
      const cseq = parseCSeq(first ?? '') ?? invalid('SIP_BAD_CSEQ', `bad CSeq: ${first ?? ''}`);
      return () => void (msg.cseq = cseq);
    }
    default:
      return countedViewUpdate(msg, key, fields, first);
  }
}

function countedViewUpdate(msg: SipMessage, key: string, fields: readonly HeaderField[], first: string | undefined): () => void {
  switch (key) {
    case 'max-forwards': {
      const n = first === undefined ? undefined : parseMaxForwards(first);
      if (n === -1) invalid('SIP_BAD_MAX_FORWARDS', `bad Max-Forwards: ${first ?? ''}`);
      return () => void (msg.kind === 'request' && (msg.maxForwards = n));
    }
    case 'content-length': {
      const n = first === undefined ? msg.body.length : parseContentLength(first);
      if (n < 0) invalid('SIP_BAD_CONTENT_LENGTH', `bad Content-Length: ${first ?? ''}`);
      return () => void (msg.contentLength = n);
    }
    case 'contact':
      return () => void (msg.contact = contactView(fields));
    case 'require':
    case 'proxy-require': {
      const tags = optionTagsView(fields, key);
      if (msg.kind !== 'request') return () => undefined;
      return () => void (key === 'require' ? (msg.require = tags) : (msg.proxyRequire = tags));
    }
    default:
      return () => undefined;
  }
}

/** Replaces the body; Content-Length follows it. */
export function setBody(msg: SipMessage, body: Buffer): void {
  msg.body = body;
  setHeader(msg, 'Content-Length', String(body.length));
}
