/**
 * Header names: the compact-form table and the interning of canonical lower-case keys, so the
 * parser maps "v", "Via" and "VIA" to the same interned "via" without lower-casing per message.
 */

/** Compact forms: RFC 3261 §7.3.3 and the extensions that define one. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
});

/** How we spell a header we add, by key; others get each word capitalised. */
const SPELLING: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'rack': 'RAck',
  'rseq': 'RSeq',
  'min-se': 'Min-SE', // RFC 4028
};

/** Upper bound on remembered spellings, so random header names cannot grow memory. */
const CACHE_LIMIT = 2048;
const keyCache = new Map<string, string>();

function seedCache(): void {
  const longNames = [
    'via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'route', 'record-route', 'contact',
    'content-length', 'content-type', 'content-encoding', 'proxy-require', 'require', 'supported',
    'expires', 'allow', 'user-agent', 'server', 'subject', 'accept', 'date', 'authorization',
    'proxy-authorization', 'www-authenticate', 'proxy-authenticate', 'event', 'allow-events',
    'session-expires', 'min-se', 'refer-to', 'referred-by', 'p-asserted-identity', 'privacy',
    'reason', 'retry-after', 'warning', 'organization', 'timestamp', 'unsupported', 'path',
  ];
  for (const key of longNames) {
    keyCache.set(key, key);
    keyCache.set(canonicalName(key), key);
    addToTable(key, key, canonicalName(key));
  }
  for (const [short, key] of Object.entries(COMPACT_FORMS)) {
    const interned = keyCache.get(key) ?? key;
    keyCache.set(short, interned);
    keyCache.set(short.toUpperCase(), interned);
    addToTable(short, interned, short);
  }
}

/** Open-addressing table of the known names (lower case) for lookups without slicing. */
const TABLE_BITS = 9;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const tableNames: Array<string | undefined> = new Array<string | undefined>(1 << TABLE_BITS);
const tableKeys: Array<string | undefined> = new Array<string | undefined>(1 << TABLE_BITS);
/** The usual spelling of each entry ("Via", "v"), reused instead of slicing when it matches. */
const tableSpellings: Array<string | undefined> = new Array<string | undefined>(1 << TABLE_BITS);

/** Hash of length, first and last char (letters folded): O(1), probing sorts out collisions. */
function quickHash(s: string, start: number, end: number): number {
  const first = s.charCodeAt(start) | 0x20;
  const last = s.charCodeAt(end - 1) | 0x20;
  return (Math.imul(Math.imul(end - start, 31) + first, 31) + last) & TABLE_MASK;
}

function addToTable(lowerName: string, key: string, spelling: string): void {
  let slot = quickHash(lowerName, 0, lowerName.length);
  while (tableNames[slot] !== undefined && tableNames[slot] !== lowerName) slot = (slot + 1) & TABLE_MASK;
  tableNames[slot] = lowerName;
  tableKeys[slot] = key;
  tableSpellings[slot] = spelling;
}

/** True when s[start, end) is `spelling` exactly (a loop the JIT inlines, unlike startsWith). */
function sameChars(s: string, start: number, end: number, spelling: string): boolean {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) !== spelling.charCodeAt(i - start)) return false;
  return true;
}

function sameFolded(s: string, start: number, end: number, lowerName: string): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    // Only letters may differ by case; "| 0x20" also maps "@" to "`" etc., so check the range.
    const folded = c >= 65 && c <= 90 ? c | 0x20 : c;
    if (folded !== lowerName.charCodeAt(i - start)) return false;
  }
  return true;
}

/**
 * Looks up the name written at s[start, end) among the known headers (any case, long or compact
 * form) without allocating: -1 when unknown, else a code for keyOfHeader / nameOfHeader (its
 * low bit tells that the name was written the usual way).
 */
export function findKnownHeader(s: string, start: number, end: number): number {
  if (end <= start) return -1;
  let slot = quickHash(s, start, end);
  for (;;) {
    const name = tableNames[slot];
    if (name === undefined) return -1;
    if (name.length === end - start) {
      if (sameChars(s, start, end, tableSpellings[slot] as string)) return (slot << 1) | 1;
      if (sameFolded(s, start, end, name)) return slot << 1;
    }
    slot = (slot + 1) & TABLE_MASK;
  }
}

/** How many names seen on the wire rememberHeaderName may add to the table (it never forgets). */
const LEARN_LIMIT = 128;
let learned = 0;

/**
 * Adds a header name the parser met that is not in the table (an X- header, say), spelled as
 * written, so later messages get it without a slice and a key lookup. Bounded by LEARN_LIMIT, so
 * random names cannot grow memory.
 */
export function rememberHeaderName(name: string, key: string): void {
  if (learned >= LEARN_LIMIT || key !== name.toLowerCase()) return;
  learned++;
  addToTable(key, key, name);
}

/** The interned key of a code from findKnownHeader. */
export const keyOfHeader = (code: number): string => tableKeys[code >> 1] as string;

/** The name as written: the interned spelling when it was the usual one, else a slice. */
export function nameOfHeader(code: number, s: string, start: number, end: number): string {
  return (code & 1) === 1 ? (tableSpellings[code >> 1] as string) : s.slice(start, end);
}

/** The canonical lower-case long name of a header name as written ("v", "VIA" → "via"); interned. */
export function headerKey(name: string): string {
  const cached = keyCache.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  const key = COMPACT_FORMS[lower] ?? keyCache.get(lower) ?? lower;
  if (keyCache.size < CACHE_LIMIT) keyCache.set(name, key);
  return key;
}

/** The spelling used when adding a header: "call-id" → "Call-ID", "max-forwards" → "Max-Forwards". */
export function canonicalName(key: string): string {
  const special = SPELLING[key];
  if (special !== undefined) return special;
  let out = '';
  let upper = true;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i] as string;
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === '-';
  }
  return out;
}

seedCache();
