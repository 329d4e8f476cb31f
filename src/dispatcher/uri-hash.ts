/**
 * The hash keys Kamailio takes from a From/To/R-URI (get_uri_hash_keys, dispatch.c): key 1 is the
 * user part, key 2 the raw `host[:port]` text, where the port is kept only when explicit and not
 * the scheme's default (5060, or 5061 for sips). This scans the URI text in place instead of
 * building a parsed URI object: it runs on every hash selection and allocates nothing.
 */
import { defaultPort } from '../sip/default-port.js';
import { hashAddRange, hashFinish } from './hash.js';

const COLON = 0x3a;
const SEMI = 0x3b;
const QUESTION = 0x3f;
const GT = 0x3e;

/** Offset just after `sip:` / `sips:` (any case), or -1 for any other scheme. */
function schemeEnd(uri: string): number {
  const lower = (i: number): number => uri.charCodeAt(i) | 0x20;
  if (lower(0) !== 0x73 || lower(1) !== 0x69 || lower(2) !== 0x70) return -1;
  if (uri.charCodeAt(3) === COLON) return 4;
  if (lower(3) === 0x73 && uri.charCodeAt(4) === COLON) return 5;
  return -1;
}

function isHostEnd(c: number): boolean {
  return c === COLON || c === SEMI || c === QUESTION || c === GT;
}

/** End of the host: a bracketed IPv6 reference ends at `]`, a name at `:` `;` `?` `>` or the end. */
function hostEnd(uri: string, start: number): number {
  if (uri.charCodeAt(start) === 0x5b) {
    const close = uri.indexOf(']', start);
    return close < 0 ? -1 : close + 1;
  }
  let i = start;
  while (i < uri.length && !isHostEnd(uri.charCodeAt(i))) i++;
  return i;
}

/** End of the explicit port digits after the host (= hostStop when there is no port). */
function portEnd(uri: string, hostStop: number): number {
  if (uri.charCodeAt(hostStop) !== COLON) return hostStop;
  let i = hostStop + 1;
  while (i < uri.length && uri.charCodeAt(i) >= 0x30 && uri.charCodeAt(i) <= 0x39) i++;
  return i;
}

function portNumber(uri: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (uri.charCodeAt(i) - 0x30);
  return n;
}

/**
 * ds_get_hash(user, host[:port]) for a sip:/sips: URI given as a wire byte string. Returns 0
 * (which Kamailio's hash never yields) when the URI has no usable host.
 */
export function uriHash(uri: string): number {
  const s = schemeEnd(uri);
  if (s < 0) return 0;
  const at = uri.indexOf('@', s);
  let userStop = s;
  if (at >= 0) {
    // the user ends at the password colon, if any
    const colon = uri.indexOf(':', s);
    userStop = colon >= 0 && colon < at ? colon : at;
  }
  const hostStart = at >= 0 ? at + 1 : s;
  const hostStop = hostEnd(uri, hostStart);
  if (hostStop <= hostStart) return 0;
  let h = hashAddRange(0, uri, s, userStop);
  const stop = portEnd(uri, hostStop);
  const keepPort = stop > hostStop + 1 && portNumber(uri, hostStop + 1, stop) !== defaultPort(s === 5 ? 'sips' : 'sip');
  h = hashAddRange(h, uri, hostStart, keepPort ? stop : hostStop);
  return hashFinish(h);
}

/**
 * The user and host of a sip:/sips: URI as written (Kamailio's $fU/$fd, $tU/$td, $rU/$rd);
 * undefined for other schemes. The user is '' when there is none; the host keeps IPv6 brackets.
 */
export function uriUserHost(uri: string): { user: string; host: string } | undefined {
  const s = schemeEnd(uri);
  if (s < 0) return undefined;
  const at = uri.indexOf('@', s);
  let user = '';
  if (at >= 0) {
    const colon = uri.indexOf(':', s);
    user = uri.slice(s, colon >= 0 && colon < at ? colon : at);
  }
  const hostStart = at >= 0 ? at + 1 : s;
  const hostStop = hostEnd(uri, hostStart);
  return { user, host: hostStop > hostStart ? uri.slice(hostStart, hostStop) : '' };
}
