import { describe, expect, it } from 'vitest';
import { pingHop, pingTag, tagDestinationId } from '../../../src/probe/ping-request.js';
import { parseUri } from '../../../src/sip/uri.js';
import { seeded } from '../dispatcher/helpers.js';

const hop = (text: string) => {
  const uri = parseUri(text);
  if (uri === undefined) throw new Error(`bad URI ${text}`);
  return pingHop(uri);
};

describe('pingHop', () => {
  it.each([
    ['sip:10.0.0.1', { transport: 'udp', host: '10.0.0.1', port: 5060 }],
    ['sip:gw.example.com:5080;transport=UDP', { transport: 'udp', host: 'gw.example.com', port: 5080 }],
    ['sip:gw.example.com;transport=tcp', { transport: 'tcp', host: 'gw.example.com', port: 5060 }],
    // probing runs over the destination's transport: TLS for sips and transport=tls (5061 by default)
    ['sips:gw.example.com', { transport: 'tls', host: 'gw.example.com', port: 5061 }],
    ['sip:gw.example.com;transport=tls', { transport: 'tls', host: 'gw.example.com', port: 5061 }],
    ['sips:gw.example.com:5071;transport=tcp', { transport: 'tls', host: 'gw.example.com', port: 5071 }],
    ['sip:[2001:db8::1]:5070', { transport: 'udp', host: '2001:db8::1', port: 5070 }],
    ['sip:gw.example.com;maddr=10.0.0.9', { transport: 'udp', host: '10.0.0.9', port: 5060 }],
  ])('%s → %j', (uri, expected) => {
    expect(hop(uri)).toEqual(expected);
  });

  it('has no hop for a transport it cannot use or a tel URI', () => {
    expect(hop('sip:gw.example.com;transport=sctp')).toBeUndefined();
    expect(hop('tel:+15551234567')).toBeUndefined();
  });
});

describe('From-tag', () => {
  it('is the id, a dash and 4 random [a-z0-9], and gives the id back', () => {
    const random = seeded(3);
    const tags = Array.from({ length: 50 }, () => pingTag('2.1.0', random));
    for (const tag of tags) {
      expect(tag).toMatch(/^2\.1\.0-[a-z0-9]{4}$/);
      expect(tagDestinationId(tag)).toBe('2.1.0');
    }
    expect(new Set(tags).size).toBeGreaterThan(45);
    expect(pingTag('x', () => 0.999999)).toBe('x-9999');
    expect(pingTag('x', () => 0)).toBe('x-aaaa');
  });

  it('reads ids that contain dashes, and rejects tags that are not ours', () => {
    expect(tagDestinationId('a-b-c-k3x9')).toBe('a-b-c');
    expect(tagDestinationId(undefined)).toBeUndefined();
    expect(tagDestinationId('3a8f0c2e')).toBeUndefined();
    expect(tagDestinationId('-abcd')).toBeUndefined();
  });
});
