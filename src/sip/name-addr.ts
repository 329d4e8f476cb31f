/**
 * name-addr / addr-spec values with header parameters (RFC 3261 §20.10, §25.1): From, To, Contact,
 * Route, Record-Route. The URI is kept as text; uri.ts parses it when someone needs its parts.
 */
import type { NameAddr } from './message.js';
import {
  appendTo,
  equalsFolded,
  isTokenChar,
  isWhitespace,
  listItemEnd,
  NO_PARAMS,
  parseHeaderParams,
  scanHeaderParams,
  quotedEnd,
  skipWhitespace,
  trimEnd,
  trimmedSlice,
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
    return s.charCodeAt(lt) === 60 ? angleForm(s, lt) : undefined;
  }
  const lt = displayEnd(s);
  return s.charCodeAt(lt) === 60 ? angleForm(s, lt) : addrSpecForm(s);
}

/** End of an unquoted display name (a run of tokens and whitespace) at the start of s. */
function displayEnd(s: string): number {
  let j = 0;
  while (j < s.length && (isTokenChar(s.charCodeAt(j)) || isWhitespace(s.charCodeAt(j)))) j++;
  return j;
}

/** `[display-name] LAQUOT addr-spec RAQUOT *( SEMI param )`, with s[lt] === "<". */
function angleForm(s: string, lt: number): NameAddr | undefined {
  const gt = s.indexOf('>', lt + 1);
  if (gt === -1) return undefined;
  const uri = s.slice(lt + 1, gt);
  if (!plausibleUri(uri)) return undefined;
  return withParams(s, uri, gt + 1);
}

/** `addr-spec *( SEMI param )`: the URI ends at the first ";" (RFC 3261 §20.10). */
function addrSpecForm(s: string): NameAddr | undefined {
  const semi = s.indexOf(';');
  const uriEnd = semi === -1 ? s.length : trimEnd(s, 0, semi);
  const uri = uriEnd === s.length ? s : s.slice(0, uriEnd);
  if (!plausibleUri(uri)) return undefined;
  return withParams(s, uri, uriEnd);
}

/**
 * A parsed name-addr. The display name and the parameters are checked when parsing but only made
 * when someone reads them: the relay reads the URI and the tag on every message, the rest almost never.
 */
class NameAddrRecord implements NameAddr {
  // True private fields: invisible to spreads and deep-equality checks.
  #params: ReadonlyMap<string, string | null> | undefined = undefined;
  readonly #paramsStart: number;

  constructor(
    readonly uri: string,
    readonly tag: string | undefined,
    readonly raw: string,
    paramsStart: number,
  ) {
    this.#paramsStart = paramsStart;
  }

  /** Made on each read (nothing kept: the relay does not read it). */
  get displayName(): string | undefined {
    const raw = this.raw;
    // Only the angle form, where the URI closes with ">" just before the parameters, has one.
    if (raw.charCodeAt(this.#paramsStart - 1) !== 62) return undefined;
    if (raw.charCodeAt(0) === 34) return unquote(raw, 0, quotedEnd(raw, 0));
    const end = trimEnd(raw, 0, displayEnd(raw));
    return end === 0 ? undefined : raw.slice(0, end);
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

function withParams(s: string, uri: string, paramsStart: number): NameAddr | undefined {
  found.tag = undefined;
  if (!scanHeaderParams(s, paramsStart, found, tagSink)) return undefined;
  return new NameAddrRecord(uri, found.tag, s, paramsStart);
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
  return parseNameAddrListInto(value, []);
}

/**
 * parseNameAddrList appending to `list` (the parser's): the list to keep (`list`, or a new one
 * when it was empty, see appendTo), or undefined when a value is bad. No intermediate array.
 */
export function parseNameAddrListInto(value: string, list: NameAddr[]): NameAddr[] | undefined {
  if (value.indexOf(',') === -1) {
    const na = parseNameAddr(value);
    return na === undefined ? undefined : appendTo(list, na);
  }
  for (let start = 0; ; ) {
    const end = listItemEnd(value, start);
    const piece = end === -1 ? undefined : trimmedSlice(value, start, end);
    const na = piece === undefined ? undefined : parseNameAddr(piece);
    if (na === undefined) return undefined;
    list = appendTo(list, na);
    if (end === value.length) return list;
    start = end + 1;
  }
}
