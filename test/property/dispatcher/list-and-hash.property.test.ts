import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dispatcherHash, kamailioHash } from '../../../src/dispatcher/hash.js';
import { parseDispatcherList, printDispatcherList, type ListEntry } from '../../../src/dispatcher/list-parser.js';

/** ds_get_hash transcribed literally from dispatch.c over an Int8Array (C `char` on x86). */
function referenceHash(...values: Uint8Array[]): number {
  let h = 0;
  for (const bytes of values) {
    const p = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    let i = 0;
    for (; i + 4 <= p.length; i += 4) {
      const v = ((p[i]! << 24) + (p[i + 1]! << 16) + (p[i + 2]! << 8) + p[i + 3]!) >>> 0;
      h = (h + ((v ^ (v >>> 3)) >>> 0)) >>> 0;
    }
    let v = 0;
    for (; i < p.length; i++) v = ((v << 8) + p[i]!) >>> 0;
    h = (h + ((v ^ (v >>> 3)) >>> 0)) >>> 0;
  }
  h = (h + (h >>> 11) + ((h >>> 13) + (h >>> 23))) >>> 0;
  return h === 0 ? 1 : h;
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

const vectors = (
  JSON.parse(readFileSync(new URL('../../fixtures/dispatcher/kamailio-hash-vectors.json', import.meta.url), 'utf8')) as {
    vectors: { values: string[]; hashid_unsigned: number }[];
  }
).vectors;

describe('hash properties', () => {
  it('the reference transcription used as oracle below agrees with Kamailio 5.6 itself', () => {
    for (const v of vectors) expect(referenceHash(...v.values.map(utf8))).toBe(v.hashid_unsigned);
  });

  it('the in-place byte-string hash equals the literal transcription, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }), (a, b) => {
        const s = (x: Uint8Array): string => Buffer.from(x).toString('latin1');
        const want = b === undefined ? referenceHash(a) : referenceHash(a, b);
        expect(kamailioHash(s(a), b === undefined ? undefined : s(b))).toBe(want);
      }),
      { numRuns: 1000 },
    );
  });

  it('dispatcher.hash hashes text as UTF-8, deterministically, with slot = hashid % nslots', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ maxLength: 12 }), (n, v1, v2) => {
        const r = dispatcherHash(n, v1, v2);
        expect(r).toEqual(dispatcherHash(n, v1, v2));
        expect(r.hashid).toBe(referenceHash(utf8(v1), utf8(v2)));
        expect(r.slot).toBe(n > 0 ? r.hashid % n : 0);
      }),
      { numRuns: 500 },
    );
  });
});

const hostArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `10.0.${a}.${b}`),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}\.(test|example)$/),
  fc.constantFrom('[2001:db8::1]', '[::1]'),
);
const uriArb = fc
  .record({
    scheme: fc.constantFrom('sip', 'sips'),
    user: fc.option(fc.stringMatching(/^[a-z0-9+*.]{1,8}$/), { nil: undefined }),
    host: hostArb,
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    transport: fc.option(fc.constantFrom('udp', 'tcp', 'tls'), { nil: undefined }),
  })
  .map((u) => `${u.scheme}:${u.user === undefined ? '' : u.user + '@'}${u.host}${u.port === undefined ? '' : ':' + u.port}${u.transport === undefined ? '' : ';transport=' + u.transport}`);
const attrsArb = fc
  .record({
    duid: fc.option(fc.stringMatching(/^[a-z0-9]{1,6}$/), { nil: undefined }),
    weight: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    rweight: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    maxload: fc.option(fc.nat(500), { nil: undefined }),
    socket: fc.option(fc.constantFrom('udp:127.0.0.1:5060', 'tcp:10.0.0.1:5070'), { nil: undefined }),
    extra: fc.option(fc.stringMatching(/^x[a-z]{0,4}=[a-z0-9#]{0,5}$/), { nil: undefined }),
  })
  .map((a) =>
    Object.entries(a)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => (k === 'extra' ? String(v) : `${k}=${v}`))
      .join(';'),
  );
const lineArb = fc
  .record({ set: fc.nat(2147483647), uri: uriArb, flags: fc.nat(63), priority: fc.nat(1000), attrs: attrsArb })
  .map((l) => `${l.set} ${l.uri} ${l.flags} ${l.priority}${l.attrs === '' ? '' : ' ' + l.attrs}`);

const columns = (e: ListEntry): unknown[] => [e.setId, e.uri, e.flags, e.priority, e.attrs];

describe('list properties', () => {
  it('parse ∘ print round-trips every entry', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 12 }), (lines) => {
        const first = parseDispatcherList(lines.join('\n'), 'a.list', 'strict');
        expect(first.errors).toEqual([]);
        expect(first.entries).toHaveLength(lines.length);
        const again = parseDispatcherList(printDispatcherList(first.entries), 'b.list', 'strict');
        expect(again.errors).toEqual([]);
        expect(again.entries.map(columns)).toEqual(first.entries.map(columns));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and reports every error with file:line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('strict' as const, 'lenient' as const), (text, mode) => {
        const r = parseDispatcherList(text, 'x.list', mode);
        for (const e of [...r.errors, ...r.warnings]) expect(e).toMatch(/^x\.list:\d+: \S/);
      }),
      { numRuns: 500 },
    );
  });
});
