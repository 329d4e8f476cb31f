/**
 * The attrs column (ds_set_attrs, dispatch.c): `name=value;name=value`, one trailing `;`
 * stripped, names case-insensitive, values optionally double-quoted, unknown names kept.
 * Kamailio silently ignores a bad value (weight 500 becomes 0); we report it so that strict
 * loading can refuse it, and lenient loading keeps Kamailio's "ignore the value" behaviour.
 */
import { parseUri } from '../sip/uri.js';

export interface DestinationAttrs {
  /** The attrs text as stored (Kamailio's BODY). */
  readonly body: string;
  readonly duid: string | undefined;
  /** 1..100 for algorithm 9, 0 when unset or invalid. Also the congestion tolerance for cc=1. */
  readonly weight: number;
  /** 1..100 for algorithm 11, 0 when unset or invalid. */
  readonly rweight: number;
  /** Algorithm 10 cap on active calls; 0 = unlimited. */
  readonly maxload: number;
  /** cc=1: congestion control from latency statistics. */
  readonly congestionControl: boolean;
  /** Initial latency (ms) that seeds the estimator as if trained. */
  readonly latency: number | undefined;
  readonly socket: string | undefined;
  readonly sockname: string | undefined;
  readonly pingSocket: string | undefined;
  readonly pingFrom: string | undefined;
  readonly obproxy: string | undefined;
  /** Every other name=value pair, names as written (prefix=, strip=, route=, oc*...). */
  readonly extra: Readonly<Record<string, string>>;
}

export interface AttrsParse {
  attrs: DestinationAttrs;
  /** The text is not a parameter list: Kamailio skips the whole entry. */
  errors: readonly string[];
  /** A value Kamailio would ignore (treat as 0 / unset) while keeping the entry. */
  invalid: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const EMPTY_EXTRA: Readonly<Record<string, string>> = Object.freeze({});

export const NO_ATTRS: DestinationAttrs = Object.freeze({
  body: '',
  duid: undefined,
  weight: 0,
  rweight: 0,
  maxload: 0,
  congestionControl: false,
  latency: undefined,
  socket: undefined,
  sockname: undefined,
  pingSocket: undefined,
  pingFrom: undefined,
  obproxy: undefined,
  extra: EMPTY_EXTRA,
});

/** Where the parameter starting at `start` ends: the next `;` outside double quotes, or the end. */
function paramEnd(text: string, start: number): number {
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 59 && !quoted) return i;
  }
  return text.length;
}

/** Every double quote is closed. */
function quotesClosed(text: string): boolean {
  let quoted = false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 34) quoted = !quoted;
  return !quoted;
}

/** text[start, end) trimmed. */
const trimmed = (text: string, start: number, end: number): string => text.slice(start, end).trim();

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** str2sint: an optional sign and digits, nothing else. */
function toInt(v: string): number | undefined {
  return /^[+-]?\d{1,9}$/.test(v) ? Number(v) : undefined;
}

const SOCKET_RE = /^(?:(?:udp|tcp|tls|sctp|ws|wss):)?(?:\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/i;

const isSipUri = (v: string): boolean => {
  const u = parseUri(v);
  return u !== undefined && u.scheme !== 'tel';
};

/** `[proto:]host[:port]` as parse_phostport reads it, with a port that exists. */
const isSocket = (v: string): boolean => {
  const m = SOCKET_RE.exec(v);
  return m !== null && (m[1] === undefined || Number(m[1]) <= 65535);
};

type Setter = (a: Mutable<DestinationAttrs>, value: string, invalid: string[]) => void;

function rangeSetter(key: 'weight' | 'rweight'): Setter {
  return (a, v, invalid) => {
    const n = toInt(v);
    if (n !== undefined && n >= 1 && n <= 100) a[key] = n;
    else invalid.push(`${key} '${v}' is not a number in 1-100`);
  };
}

type TextKey = 'duid' | 'sockname' | 'socket' | 'pingSocket' | 'pingFrom' | 'obproxy';

function textSetter(key: TextKey, name: string, valid: (v: string) => boolean = () => true): Setter {
  return (a, v, invalid) => {
    if (v === '' || !valid(v)) invalid.push(`${name} '${v}' is not valid`);
    else a[key] = v;
  };
}

const SETTERS = new Map<string, Setter>(Object.entries({
  duid: textSetter('duid', 'duid'),
  weight: rangeSetter('weight'),
  rweight: rangeSetter('rweight'),
  maxload: (a, v, invalid) => {
    const n = toInt(v);
    if (n !== undefined && n >= 0) a.maxload = n;
    else invalid.push(`maxload '${v}' is not a number >= 0`);
  },
  cc: (a, v, invalid) => {
    const n = toInt(v);
    if (n !== undefined) a.congestionControl = n !== 0;
    else invalid.push(`cc '${v}' is not a number`);
  },
  latency: (a, v, invalid) => {
    const n = toInt(v);
    if (n !== undefined && n >= 0) a.latency = n;
    else invalid.push(`latency '${v}' is not a number of milliseconds`);
  },
  socket: textSetter('socket', 'socket', isSocket),
  sockname: textSetter('sockname', 'sockname'),
  ping_socket: textSetter('pingSocket', 'ping_socket', isSocket),
  ping_from: textSetter('pingFrom', 'ping_from', isSipUri),
  obproxy: textSetter('obproxy', 'obproxy', isSipUri),
} satisfies Record<string, Setter>));

const NONE: readonly string[] = Object.freeze([]);

/** Parses an attrs column. Never throws. */
export function parseAttrs(text: string): AttrsParse {
  const body = text.endsWith(';') ? text.slice(0, -1) : text;
  if (body === '') return { attrs: NO_ATTRS, errors: NONE, invalid: NONE };
  // every field written here, in the literal: V8 keeps them in the object (a spread of NO_ATTRS
  // would put most in a second array, 88 bytes more per destination)
  const a: Mutable<DestinationAttrs> = {
    body,
    duid: undefined,
    weight: 0,
    rweight: 0,
    maxload: 0,
    congestionControl: false,
    latency: undefined,
    socket: undefined,
    sockname: undefined,
    pingSocket: undefined,
    pingFrom: undefined,
    obproxy: undefined,
    extra: EMPTY_EXTRA,
  };
  if (!quotesClosed(body)) return { attrs: a, errors: [`attrs '${text}' have an unclosed quote`], invalid: NONE };
  // nothing is allocated for the lists of problems or the extra names unless there are some
  let invalid: string[] | undefined;
  let extra: Record<string, string> | undefined;
  for (let start = 0; start <= body.length; ) {
    const end = paramEnd(body, start);
    const eq = body.indexOf('=', start);
    const nameEnd = eq < 0 || eq > end ? end : eq;
    const name = trimmed(body, start, nameEnd);
    if (name === '' || /[\s"]/.test(name)) return { attrs: a, errors: [`attrs '${text}' are not a name=value list`], invalid: invalid ?? NONE };
    const value = nameEnd === end ? '' : unquote(trimmed(body, nameEnd + 1, end));
    const setter = SETTERS.get(name.toLowerCase());
    if (setter) setter(a, value, (invalid ??= []));
    else (extra ??= {})[name] = value;
    start = end + 1;
  }
  if (extra) a.extra = Object.freeze(extra);
  return { attrs: Object.freeze(a), errors: NONE, invalid: invalid !== undefined && invalid.length > 0 ? invalid : NONE };
}
