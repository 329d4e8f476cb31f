import { describe, expect, it } from 'vitest';
import { formatVia, parseVia } from '../../../src/sip/index.js';
import { withViaParam } from '../../../src/sip/via.js';

describe('parseVia', () => {
  it('reads sent-protocol, sent-by and the parameters a proxy uses', () => {
    expect(parseVia('SIP/2.0/udp pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;rport=5070;received=192.0.2.1;maddr=224.2.0.1;ttl=16;x=y')).toEqual([
      {
        transport: 'UDP', host: 'pc33.atlanta.com', port: 5066, branch: 'z9hG4bK776asdhds', rport: 5070,
        received: '192.0.2.1', maddr: '224.2.0.1', ttl: 16,
        raw: 'SIP/2.0/udp pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;rport=5070;received=192.0.2.1;maddr=224.2.0.1;ttl=16;x=y',
      },
    ]);
  });

  it('tells "no rport" from ";rport" without value', () => {
    expect(parseVia('SIP/2.0/UDP h;branch=z9hG4bK1')?.[0]?.rport).toBeUndefined();
    expect(parseVia('SIP/2.0/UDP h;rport;branch=z9hG4bK1')?.[0]?.rport).toBeNull();
  });

  it('reads IPv6 references in sent-by and received with or without brackets (RFC 5118 §4.5)', () => {
    const [a] = parseVia('SIP/2.0/UDP [2001:db8::9:1]:5070;received=[2001:db8::9:255];branch=z9hG4bKas3-111') ?? [];
    expect([a?.host, a?.port, a?.received]).toEqual(['[2001:db8::9:1]', 5070, '[2001:db8::9:255]']);
    expect(parseVia('SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3')?.[0]?.received).toBe('2001:db8::9:255');
  });

  it('allows LWS around "/", ":" and ";" and splits entries on commas', () => {
    const vias = parseVia('SIP / 2.0 / TCP  spindle.example.com : 5060 ;  branch  =  z9hG4bK9ikj8 , SIP/2.0/UDP 192.168.255.111;branch=z9hG4bK30239');
    expect(vias?.map((v) => [v.transport, v.host, v.port, v.branch])).toEqual([
      ['TCP', 'spindle.example.com', 5060, 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', undefined, 'z9hG4bK30239'],
    ]);
    expect(vias?.[0]?.raw).toBe('SIP / 2.0 / TCP  spindle.example.com : 5060 ;  branch  =  z9hG4bK9ikj8');
  });

  it.each([
    '', 'SIP/2.0/UDP', 'SIP/2.0 UDP h', 'SIP//UDP h', 'SIP/2.0/UDPh', 'SIP/2.0/UDP h:port', 'SIP/2.0/UDP h:70000',
    'SIP/2.0/UDP h;branch', 'SIP/2.0/UDP h;;branch=1', 'SIP/2.0/UDP h;rport=x', 'SIP/2.0/UDP h;ttl=256',
    'SIP/2.0/UDP h;received', 'SIP/2.0/UDP h,', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP h junk',
  ])('rejects %j', (value) => {
    expect(parseVia(value)).toBeUndefined();
  });
});

describe('formatVia', () => {
  it('formats the Via a proxy pushes', () => {
    expect(formatVia({ transport: 'udp', host: '127.0.0.1', port: 5060, branch: 'z9hG4bKx', rport: true })).toBe('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx;rport');
    expect(formatVia({ transport: 'TCP', host: '::1', branch: 'z9hG4bKy' })).toBe('SIP/2.0/TCP [::1];branch=z9hG4bKy');
    expect(parseVia(formatVia({ transport: 'TCP', host: '::1', port: 5, branch: 'z9hG4bKy', rport: true }))?.[0]).toMatchObject({ host: '[::1]', port: 5, rport: null });
  });
});

describe('withViaParam', () => {
  const raw = 'SIP/2.0/UDP h;rport;branch=z9hG4bK1';
  it('replaces a parameter in place, keeping the others', () => {
    expect(withViaParam(raw, 'rport', '5060', true)).toBe('SIP/2.0/UDP h;rport=5060;branch=z9hG4bK1');
    expect(withViaParam('SIP/2.0/UDP h;Received=1.1.1.1;branch=z9hG4bK1', 'received', '2.2.2.2', false)).toBe('SIP/2.0/UDP h;received=2.2.2.2;branch=z9hG4bK1');
  });
  it('appends a missing parameter unless told not to', () => {
    expect(withViaParam(raw, 'received', '192.0.2.9', false)).toBe(`${raw};received=192.0.2.9`);
    expect(withViaParam('SIP/2.0/UDP h;branch=z9hG4bK1', 'rport', '5060', true)).toBe('SIP/2.0/UDP h;branch=z9hG4bK1');
  });
});
