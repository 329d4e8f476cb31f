import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adoptStatelessTag, isAckToStatelessReply, STATELESS_TAG } from '../../../src/sip/stateless-ack.js';
import { requestWithTo } from './helpers.js';

function ack(to: string, method = 'ACK', extra: string[] = []): Buffer {
  return requestWithTo(method, to, extra);
}

describe('the ACK of a stateless reply (sl_filter_ACK)', () => {
  it('is a 64-bit random hex tag', () => {
    expect(STATELESS_TAG).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each([
    `To: <sip:service@127.0.0.1:5060>;tag=${STATELESS_TAG}`,
    `to:<sip:service@127.0.0.1:5060>;tag=${STATELESS_TAG}`,
    `t : sip:service@127.0.0.1;tag=${STATELESS_TAG};foo=bar`,
    `TO: "Service" <sip:service@127.0.0.1>;tag=${STATELESS_TAG} `,
  ])('is recognised in %s', (to) => {
    expect(isAckToStatelessReply(ack(to))).toBe(true);
  });

  it.each([
    ['another tag', `To: <sip:service@127.0.0.1>;tag=abcdef0123456789`],
    ['a longer tag that starts with ours', `To: <sip:service@127.0.0.1>;tag=${STATELESS_TAG}x`],
    ['no tag', 'To: <sip:service@127.0.0.1>'],
  ])('is not recognised with %s', (_what, to) => {
    expect(isAckToStatelessReply(ack(to))).toBe(false);
  });

  it('a worker thread adopts the main thread\'s tag: the ACK of either thread\'s reply is recognised by both', () => {
    const own = STATELESS_TAG;
    try {
      adoptStatelessTag('0123456789abcdef');
      expect(STATELESS_TAG).toBe('0123456789abcdef');
      expect(isAckToStatelessReply(ack('To: <sip:service@127.0.0.1>;tag=0123456789abcdef'))).toBe(true);
      expect(isAckToStatelessReply(ack(`To: <sip:service@127.0.0.1>;tag=${own}`))).toBe(false);
    } finally {
      adoptStatelessTag(own);
    }
  });

  it('looks only at the To header of an ACK', () => {
    const ours = `To: <sip:service@127.0.0.1>;tag=${STATELESS_TAG}`;
    expect(isAckToStatelessReply(ack(ours, 'BYE'))).toBe(false);
    expect(isAckToStatelessReply(ack('To: <sip:service@127.0.0.1>', 'ACK', [`Timestamp: tag=${STATELESS_TAG}`]))).toBe(false);
    expect(isAckToStatelessReply(Buffer.from(`SIP/2.0 200 OK\r\n${ours}\r\n\r\n`, 'latin1'))).toBe(false);
  });

  it('never throws and never matches without our tag in the bytes (any input)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.concat([Buffer.from('ACK '), Buffer.from(bytes)]);
        const matched = isAckToStatelessReply(b);
        if (matched) expect(b.includes(`tag=${STATELESS_TAG}`)).toBe(true);
      }),
    );
  });
});
