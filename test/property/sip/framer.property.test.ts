import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamFramer, type FramedItem } from '../../../src/sip/index.js';
import { validRequest } from './arbitraries.js';

type Piece = { kind: 'message'; bytes: Buffer } | { kind: 'keepalive' };

const piece: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 4, arbitrary: validRequest.map((g): Piece => ({ kind: 'message', bytes: g.bytes })) },
  { weight: 1, arbitrary: fc.constant<Piece>({ kind: 'keepalive' }) },
);

const wireOf = (p: Piece): Buffer => (p.kind === 'message' ? p.bytes : Buffer.from('\r\n\r\n'));
const plain = (items: Array<Piece | FramedItem>) => items.map((i) => (i.kind === 'message' ? i.bytes.toString('latin1') : i.kind));

describe('StreamFramer properties', () => {
  it('gives the same items whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (pieces, cuts) => {
        const stream = Buffer.concat(pieces.map(wireOf));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const framer = new StreamFramer({ maxMessageSize: 65536 });
        const items: FramedItem[] = [];
        let from = 0;
        for (const p of [...points, stream.length]) {
          items.push(...framer.push(stream.subarray(from, p)));
          from = p;
        }
        expect(plain(items)).toEqual(plain(pieces));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const framer = new StreamFramer({ maxMessageSize: 1024 });
        for (const c of chunks) framer.push(Buffer.from(c));
      }),
      { numRuns: 1000 },
    );
  });
});
