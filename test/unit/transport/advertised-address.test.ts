import { describe, expect, it } from 'vitest';
import { advertisedAddress, type BoundAddress } from '../../../src/transport/advertised-address.js';

const udp4: BoundAddress = { transport: 'udp', address: '127.0.0.1', port: 5060, family: 4, id: 'udp:127.0.0.1:5060' };
const tcp4: BoundAddress = { transport: 'tcp', address: '127.0.0.1', port: 5070, family: 4, id: 'tcp:127.0.0.1:5070' };
const anyUdp: BoundAddress = { transport: 'udp', address: '0.0.0.0', port: 5060, family: 4, id: 'udp:0.0.0.0:5060' };
const anyUdp6: BoundAddress = { transport: 'udp', address: '::', port: 5060, family: 6, id: 'udp:[::]:5060' };
const interfaces = [
  { address: '127.0.0.1', family: 'IPv4', internal: true },
  { address: '::1', family: 'IPv6', internal: true },
  { address: 'fe80::1', family: 'IPv6', internal: false },
  { address: '10.1.2.3', family: 'IPv4', internal: false },
  { address: '2001:db8::3', family: 'IPv6', internal: false },
];

describe('advertisedAddress', () => {
  it('uses the listener of the transport', () => {
    expect(advertisedAddress('udp', [udp4, tcp4], undefined, interfaces)).toEqual({ host: '127.0.0.1', port: 5060 });
    expect(advertisedAddress('tcp', [udp4, tcp4], undefined, interfaces)).toEqual({ host: '127.0.0.1', port: 5070 });
  });

  it('falls back to a listener of the other transport', () => {
    expect(advertisedAddress('tcp', [udp4], undefined, interfaces)).toEqual({ host: '127.0.0.1', port: 5060 });
  });

  it('prefers advertise, with its port or the listener port', () => {
    expect(advertisedAddress('udp', [udp4], { host: 'sip.example.com', port: 5080 }, interfaces)).toEqual({ host: 'sip.example.com', port: 5080 });
    expect(advertisedAddress('udp', [udp4], { host: '203.0.113.7', port: undefined }, interfaces)).toEqual({ host: '203.0.113.7', port: 5060 });
    expect(advertisedAddress('udp', [udp4], { host: '2001:db8::7', port: undefined }, interfaces)).toEqual({ host: '[2001:db8::7]', port: 5060 });
  });

  it('replaces a wildcard bind by the first external interface of its family', () => {
    expect(advertisedAddress('udp', [anyUdp], undefined, interfaces)).toEqual({ host: '10.1.2.3', port: 5060 });
    expect(advertisedAddress('udp', [anyUdp6], undefined, interfaces)).toEqual({ host: '[2001:db8::3]', port: 5060 });
  });

  it('falls back to loopback only when the machine has no external address', () => {
    const loopbackOnly = interfaces.filter((i) => i.internal);
    expect(advertisedAddress('udp', [anyUdp], undefined, loopbackOnly)).toEqual({ host: '127.0.0.1', port: 5060 });
    expect(advertisedAddress('udp', [anyUdp6], undefined, loopbackOnly)).toEqual({ host: '[::1]', port: 5060 });
  });

  it('is undefined with nothing bound and nothing advertised', () => {
    expect(advertisedAddress('udp', [], undefined, interfaces)).toBeUndefined();
  });
});
