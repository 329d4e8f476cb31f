/**
 * name-addr / addr-spec values with header parameters (RFC 3261 §20.10, §25.1): From, To, Contact,
 * Route, Record-Route. The URI is kept as text; uri.ts parses it when someone needs its parts.
 */
import type { NameAddr } from './message.js';
import {
  equalsFolded,
  isTokenChar,
  isWhitespace,
  NO_PARAMS,
  parseHeaderParams,
  scanHeaderParams,
  quotedEnd,
  skipWhitespace,
  splitCommaList,
  trimEnd,
  unquote,
  type ParamSink,
} from './lexical.js';

/** Parses one name-addr or addr-spec with its parameters; undefined when malformed. */
export function parseNameAddr(value: string): NameAddr | undefined {
  const start = skipWhitespace(value, 0);
  const end = trimEnd(value, start, value.length);
  const s = start === 0 && end === value.length ? value : value.slice(start, end);
  if (s.length === 0) return undefined;
  if (s.charCodeAt(0) === 34) {
    const q = quotedEnd(s, 0);
    if (q < 0) return undefined;
    const lt = skipWhitespace(s, q);
    if (s.charCodeAt(lt) !== 60) return undefined;
    return angleForm(s, unquote(s, 0, q), lt);
  }
  let j = 0;
  while (j < s.length && (isTokenChar(s.charCodeAt(j)) || isWhitespace(s.charCodeAt(j)))) j++;
  if (s.charCodeAt(j) === 60) {
    const displayEnd = trimEnd(s, 0, j);
    return angleForm(s, displayEnd === 0 ? undefined : s.slice(0, displayEnd), j);
  }
  return addrSpecForm(s);
}

/** `[display-name] LAQUOT addr-spec RAQUOT *( SEMI param )`, with s[lt] === "<". */
function angleForm(s: string, displayName: string | undefined, lt: number): NameAddr | undefined {
  const gt = s.indexOf('>', lt + 1);
  if (gt === -1) return undefined;
  const uri = s.slice(lt + 1, gt);
  if (!plausibleUri(uri)) return undefined;
  return withParams(s, displayName, uri, gt + 1);
}

/** `addr-spec *( SEMI param )`: the URI ends at the first ";" (RFC 3261 §20.10). */
function addrSpecForm(s: string): NameAddr | undefined {
  const semi = s.indexOf(';');
  const uriEnd = semi === -1 ? s.length : trimEnd(s, 0, semi);
  const uri = uriEnd === s.length ? s : s.slice(0, uriEnd);
  if (!plausibleUri(uri)) return undefined;
  return withParams(s, undefined, uri, uriEnd);
}

/**
 * A parsed name-addr. The parameters are checked when parsing but only put in a map when someone
 * reads them: the relay reads the tag on every message and the other parameters almost never.
 */
class NameAddrRecord implements NameAddr {
  // True private fields: invisible to spreads and deep-equality checks.
  #params: ReadonlyMap<string, string | null> | undefined = undefined;
  readonly #paramsStart: number;

  constructor(
    readonly displayName: string | undefined,
    readonly uri: string,
    readonly tag: string | undefined,
    readonly raw: string,
    paramsStart: number,
  ) {
    this.#paramsStart = paramsStart;
  }

  get params(): ReadonlyMap<string, string | null> {
    return (this.#params ??= parseHeaderParams(this.raw, this.#paramsStart) ?? NO_PARAMS);
  }
}

/** Collects the tag; false for a tag without value. */
const tagSink: ParamSink<{ tag: string | undefined }> = (found, s, ns, ne, vs, ve) => {
  if (!equalsFolded(s, ns, ne, 'tag')) return true;
  found.tag = vs === -1 ? undefined : s.slice(vs, ve);
  return vs !== -1;
};

/** Reused by every call (parsing is synchronous), so finding the tag allocates nothing. */
const found: { tag: string | undefined } = { tag: undefined };

function withParams(s: string, displayName: string | undefined, uri: string, paramsStart: number): NameAddr | undefined {
  found.tag = undefined;
  if (!scanHeaderParams(s, paramsStart, found, tagSink)) return undefined;
  return new NameAddrRecord(displayName, uri, found.tag, s, paramsStart);
}

/**
 * Whitespace, controls, quotes or angle brackets: none may appear in a URI (RFC 4475 §3.1.2.14).
 * A regex, as irregexp scans faster here than a charCodeAt loop.
 */
const NOT_IN_URI = /[\x00-\x20"<>\x7f]/;

/** scheme ":" and none of NOT_IN_URI. */
function plausibleUri(uri: string): boolean {
  return uri.indexOf(':') > 0 && !NOT_IN_URI.test(uri);
}

/** Parses a comma-separated list (commas inside quotes and <...> do not split). */
export function parseNameAddrList(value: string): NameAddr[] | undefined {
  const out: NameAddr[] = [];
  return parseNameAddrListInto(value, out) ? out : undefined;
}

/** parseNameAddrList appending to `out` (the parser's list), without an intermediate array. */
export function parseNameAddrListInto(value: string, out: NameAddr[]): boolean {
  if (value.indexOf(',') === -1) {
    const na = parseNameAddr(value);
    if (na !== undefined) out.push(na);
    return na !== undefined;
  }
  const pieces = splitCommaList(value);
  if (pieces === undefined) return false;
  for (const piece of pieces) {
    const na = parseNameAddr(piece);
    if (na === undefined) return false;
    out.push(na);
  }
  return true;
}
