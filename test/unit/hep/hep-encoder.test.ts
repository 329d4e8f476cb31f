import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHep3, HEP_PROTO_TCP, HEP_PROTO_UDP } from '../../../src/hep/hep-encoder.js';
import { decodeHep3 } from '../../support/hep-decoder.js';

const full = (groups: number[]) => groups.map((g) => g.toString(16)).join(':');

describe('HEP v3 encoder', () => {
  it('writes every chunk a collector reads, IPv4 over UDP', () => {
    const payload = Buffer.from('OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nCall-ID: x1\r\n\r\n');
    const d = decodeHep3(encodeHep3({
      protocol: HEP_PROTO_UDP,
      source: { address: '127.0.0.2', port: 5061 },
      destination: { address: '10.1.2.3', port: 5080 },
      seconds: 1_780_000_000,
      micros: 123_456,
      captureId: 2001,
      authKey: Buffer.from('secret'),
      nodeName: Buffer.from('edge-1'),
      payload,
    }));
    expect(d).toMatchObject({
      family: 2, protocol: 17, sourceAddress: '127.0.0.2', destinationAddress: '10.1.2.3', sourcePort: 5061, destinationPort: 5080,
      seconds: 1_780_000_000, micros: 123_456, protocolType: 1, captureId: 2001, authKey: 'secret', nodeName: 'edge-1', payload: payload.toString('latin1'),
    });
  });

  it('writes IPv6 addresses in 16 bytes, compressed or v4-mapped forms included', () => {
    const d = decodeHep3(encodeHep3({
      protocol: HEP_PROTO_TCP, source: { address: '::1', port: 1 }, destination: { address: '2001:db8::ffff:1.2.3.4', port: 2 },
      seconds: 0, micros: 0, captureId: 0, payload: Buffer.from('x'),
    }));
    expect(d.family).toBe(10);
    expect(d.sourceAddress).toBe(full([0, 0, 0, 0, 0, 0, 0, 1]));
    expect(d.destinationAddress).toBe(full([0x2001, 0xdb8, 0, 0, 0, 0xffff, 0x102, 0x304]));
  });

  it('maps an IPv4 end into IPv6 when the other end is IPv6', () => {
    const d = decodeHep3(encodeHep3({
      protocol: HEP_PROTO_UDP, source: { address: '::', port: 1 }, destination: { address: '127.0.0.1', port: 2 },
      seconds: 0, micros: 0, captureId: 0, payload: Buffer.from('x'),
    }));
    expect(d.destinationAddress).toBe(full([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]));
  });

  it('refuses a packet over HEP\'s 16-bit length', () => {
    expect(() => encodeHep3({
      protocol: HEP_PROTO_UDP, source: { address: '127.0.0.1', port: 1 }, destination: { address: '127.0.0.1', port: 2 },
      seconds: 0, micros: 0, captureId: 0, payload: Buffer.alloc(65_500),
    })).toThrow(RangeError);
  });

  it('round-trips through the specification decoder (property)', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
    fc.assert(
      fc.property(
        v4, v4, fc.nat(65535), fc.nat(65535), fc.nat(0xffffffff), fc.nat(999_999), fc.nat(0xffffffff), fc.uint8Array({ maxLength: 2000 }),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }), fc.constantFrom(HEP_PROTO_UDP, HEP_PROTO_TCP),
        (src, dst, sport, dport, seconds, micros, captureId, bytes, node, protocol) => {
          const payload = Buffer.from(bytes);
          const d = decodeHep3(encodeHep3({
            protocol, source: { address: src, port: sport }, destination: { address: dst, port: dport }, seconds, micros, captureId,
            nodeName: node === undefined ? undefined : Buffer.from(node), payload,
          }));
          expect(d).toMatchObject({ family: 2, protocol, sourceAddress: src, destinationAddress: dst, sourcePort: sport, destinationPort: dport, seconds, micros, captureId, nodeName: node });
          expect(d.chunks.get('0:15')!.equals(payload)).toBe(true);
        },
      ),
    );
  });
});
