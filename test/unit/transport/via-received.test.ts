import { describe, expect, it } from 'vitest';
import type { Via } from '../../../src/sip/message.js';
import { viaReceivedParams } from '../../../src/transport/via-received.js';

function via(fields: Partial<Via>): Via {
  return {
    transport: 'UDP', host: '192.0.2.10', port: 5060, branch: 'z9hG4bK1', rport: undefined,
    received: undefined, maddr: undefined, ttl: undefined, raw: '', ...fields,
  };
}

describe('viaReceivedParams (RFC 3261 §18.2.1, RFC 3581 §4)', () => {
  it('leaves the Via alone when sent-by is the source and rport was not asked for', () => {
    expect(viaReceivedParams(via({}), '192.0.2.10', 5060, false)).toBeUndefined();
  });

  it('adds received when sent-by differs from the source address', () => {
    expect(viaReceivedParams(via({}), '198.51.100.1', 5060, false)).toEqual({ received: '198.51.100.1', rport: undefined });
  });

  it('adds received when sent-by is a host name', () => {
    expect(viaReceivedParams(via({ host: 'ua.example.com' }), '192.0.2.10', 5060, false)).toEqual({ received: '192.0.2.10', rport: undefined });
  });

  it('fills an empty rport with the source port and adds received even if identical (RFC 3581)', () => {
    expect(viaReceivedParams(via({ rport: null }), '192.0.2.10', 40123, false)).toEqual({ received: '192.0.2.10', rport: 40123 });
  });

  it('overwrites an rport value the client wrote itself', () => {
    expect(viaReceivedParams(via({ rport: 1 }), '192.0.2.10', 40123, false)).toEqual({ received: '192.0.2.10', rport: 40123 });
  });

  it('with forceRport adds rport although the client did not ask', () => {
    expect(viaReceivedParams(via({}), '192.0.2.10', 40123, true)).toEqual({ received: '192.0.2.10', rport: 40123 });
  });

  it('without forceRport and without ;rport never adds rport, even behind NAT', () => {
    expect(viaReceivedParams(via({}), '198.51.100.1', 40123, false)?.rport).toBeUndefined();
  });

  it('replaces a received the client put in its own Via', () => {
    expect(viaReceivedParams(via({ received: '10.9.9.9' }), '192.0.2.10', 5060, false)).toEqual({ received: '192.0.2.10', rport: undefined });
  });

  it('compares IPv6 hosts without brackets and case', () => {
    expect(viaReceivedParams(via({ host: '[2001:DB8::1]' }), '2001:db8::1', 5060, false)).toBeUndefined();
    expect(viaReceivedParams(via({ host: '[2001:db8::1]' }), '2001:db8::2', 5060, false)).toEqual({ received: '2001:db8::2', rport: undefined });
  });
});
