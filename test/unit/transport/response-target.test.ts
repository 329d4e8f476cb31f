import { describe, expect, it } from 'vitest';
import type { Via } from '../../../src/sip/message.js';
import { responseTarget } from '../../../src/transport/response-target.js';
import type { MessageSource } from '../../../src/transport/target.js';

function via(fields: Partial<Via>): Via {
  return {
    transport: 'UDP', host: '192.0.2.10', port: undefined, branch: 'z9hG4bK1', rport: undefined,
    received: undefined, maddr: undefined, ttl: undefined, raw: '', ...fields,
  };
}

const udp: MessageSource = { transport: 'udp', address: '198.51.100.1', port: 40123, connectionId: 'udp:127.0.0.1:5060', local: { address: '127.0.0.1', port: 5060 } };
const tcp: MessageSource = { transport: 'tcp', address: '198.51.100.1', port: 40123, connectionId: 'tcp#7', local: { address: '127.0.0.1', port: 5060 } };

describe('responseTarget (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  it('UDP: sent-by host and port 5060 when nothing else is present', () => {
    expect(responseTarget(via({}), udp)).toEqual({ transport: 'udp', host: '192.0.2.10', port: 5060, connectionId: 'udp:127.0.0.1:5060' });
  });

  it('UDP: sent-by port when given', () => {
    expect(responseTarget(via({ port: 5070 }), udp)).toMatchObject({ host: '192.0.2.10', port: 5070 });
  });

  it('UDP: received with the sent-by port when there is no rport', () => {
    expect(responseTarget(via({ port: 5070, received: '198.51.100.1' }), udp)).toMatchObject({ host: '198.51.100.1', port: 5070 });
  });

  it('UDP: received and rport (RFC 3581)', () => {
    expect(responseTarget(via({ port: 5070, received: '198.51.100.1', rport: 40123 }), udp)).toMatchObject({ host: '198.51.100.1', port: 40123 });
  });

  it('UDP: an rport without value is ignored', () => {
    expect(responseTarget(via({ port: 5070, rport: null }), udp)).toMatchObject({ host: '192.0.2.10', port: 5070 });
  });

  it('UDP: maddr wins over received and rport, with the sent-by port', () => {
    const v = via({ port: 5070, received: '198.51.100.1', rport: 40123, maddr: '239.255.255.1' });
    expect(responseTarget(v, udp)).toMatchObject({ host: '239.255.255.1', port: 5070 });
  });

  it('UDP: maddr with the default port', () => {
    expect(responseTarget(via({ maddr: '203.0.113.5' }), udp)).toMatchObject({ host: '203.0.113.5', port: 5060 });
  });

  it('UDP: IPv6 hosts lose their brackets', () => {
    expect(responseTarget(via({ host: '[2001:db8::1]', port: 5062 }), udp)).toMatchObject({ host: '2001:db8::1', port: 5062 });
    expect(responseTarget(via({ received: '[2001:db8::2]', rport: 1234 }), udp)).toMatchObject({ host: '2001:db8::2', port: 1234 });
  });

  it('TCP: the connection the request came in on, falling back to received and the sent-by port', () => {
    const v = via({ transport: 'TCP', port: 5070, received: '198.51.100.1', rport: 40123, maddr: '203.0.113.5' });
    expect(responseTarget(v, tcp)).toEqual({ transport: 'tcp', host: '198.51.100.1', port: 5070, connectionId: 'tcp#7' });
  });

  it('TCP: sent-by host and 5060 when no received', () => {
    expect(responseTarget(via({ transport: 'TCP' }), tcp)).toEqual({ transport: 'tcp', host: '192.0.2.10', port: 5060, connectionId: 'tcp#7' });
  });
});
