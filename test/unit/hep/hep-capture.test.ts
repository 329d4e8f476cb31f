import { describe, expect, it } from 'vitest';
import { HepCapture, type HepCaptureOptions } from '../../../src/hep/hep-capture.js';
import { sipMethodOf } from '../../../src/hep/sip-method.js';
import { decodeHep3 } from '../../support/hep-decoder.js';

const INVITE = Buffer.from('INVITE sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\nCall-ID: c1\r\n\r\n');
const BYE_200 = Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK2\r\nCall-ID: c1\r\ncseq:  2   bye\r\n\r\n');
const A = { address: '127.0.0.1', port: 5070 };
const B = { address: '127.0.0.2', port: 5060 };

function capture(options: Partial<HepCaptureOptions> = {}) {
  const sent: Buffer[] = [];
  const clock = { now: 1_780_000_000_123_456 };
  const c = new HepCapture(
    { captureId: 7, authKey: undefined, nodeName: undefined, methods: [], enabled: true, ...options },
    { send: (p) => (sent.push(p), true) },
    () => clock.now,
  );
  return { c, sent, clock };
}

describe('sipMethodOf', () => {
  it.each([
    [INVITE, 'INVITE'],
    [BYE_200, 'BYE'],
    [Buffer.from('ack sip:x SIP/2.0\r\n\r\n'), 'ACK'],
    [Buffer.from('SIP/2.0 180 Ringing\r\nCSeq: 1 INVITE\r\n\r\n'), 'INVITE'],
    [Buffer.from('SIP/2.0 200 OK\r\nX-CSeq: 1 FAKE\r\n\r\n'), ''],
    [Buffer.from('SIP/2.0 200 OK\r\n\r\nCSeq: 1 BODY\r\n'), ''],
    [Buffer.from(''), ''],
    [Buffer.from('garbage'), ''],
  ])('%#', (bytes, method) => {
    expect(sipMethodOf(bytes)).toBe(method);
  });
});

describe('HepCapture', () => {
  it('encodes each message with the addresses, capture id and microsecond time it is given', () => {
    const { c, sent } = capture();
    c.captured(INVITE, 'udp', A, B);
    c.captured(BYE_200, 'tcp', B, A);
    expect(sent).toHaveLength(2);
    const [first, second] = sent.map(decodeHep3);
    expect(first).toMatchObject({ protocol: 17, sourceAddress: '127.0.0.1', sourcePort: 5070, destinationAddress: '127.0.0.2', destinationPort: 5060, captureId: 7, seconds: 1_780_000_000, micros: 123_456 });
    expect(first!.payload).toBe(INVITE.toString('latin1'));
    expect(second).toMatchObject({ protocol: 6, sourcePort: 5060, destinationPort: 5070 });
  });

  it('switched off sends nothing, switched on again resumes at once', () => {
    const { c, sent } = capture();
    c.setEnabled(false);
    c.captured(INVITE, 'udp', A, B);
    expect(sent).toHaveLength(0);
    expect(c.enabled).toBe(false);
    c.setEnabled(true);
    c.captured(INVITE, 'udp', A, B);
    expect(sent).toHaveLength(1);
  });

  it('starts off when configured so', () => {
    const { c, sent } = capture({ enabled: false });
    c.captured(INVITE, 'udp', A, B);
    expect(sent).toHaveLength(0);
  });

  it('limited to methods, keeps requests and responses of those methods only', () => {
    const { c, sent } = capture({ methods: ['BYE'] });
    c.captured(INVITE, 'udp', A, B);
    c.captured(BYE_200, 'udp', B, A);
    expect(sent.map((p) => decodeHep3(p).payload)).toEqual([BYE_200.toString('latin1')]);
  });

  it('counts a message too large for HEP instead of throwing into the transport', () => {
    const { c, sent } = capture();
    c.captured(Buffer.alloc(65_600, 0x41), 'tcp', A, B);
    expect(sent).toHaveLength(0);
    expect(c.unencodable).toBe(1);
  });

  it('writes the auth key and node name when configured', () => {
    const { c, sent } = capture({ authKey: 'k3y', nodeName: 'lb-a' });
    c.captured(INVITE, 'udp', A, B);
    expect(decodeHep3(sent[0]!)).toMatchObject({ authKey: 'k3y', nodeName: 'lb-a' });
  });
});
