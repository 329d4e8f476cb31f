import { describe, expect, it } from 'vitest';
import { parseHostPort, parseListenSpec } from '../../../src/config/listen-spec.js';
import { formatListenSpec } from '../../../src/transport/listen-spec.js';

describe('parseListenSpec', () => {
  it.each([
    ['udp:127.0.0.1:5060', { transport: 'udp', host: '127.0.0.1', port: 5060, family: 4 }],
    ['tcp:0.0.0.0:5080', { transport: 'tcp', host: '0.0.0.0', port: 5080, family: 4 }],
    ['udp:[::1]:5060', { transport: 'udp', host: '::1', port: 5060, family: 6 }],
    ['tcp:[2001:db8::1]:0', { transport: 'tcp', host: '2001:db8::1', port: 0, family: 6 }],
    ['UDP:10.0.0.1:65535', { transport: 'udp', host: '10.0.0.1', port: 65535, family: 4 }],
    ['  udp:10.0.0.1:5060 ', { transport: 'udp', host: '10.0.0.1', port: 5060, family: 4 }],
    // Kamailio's listen= defaults the port
    ['udp:10.0.0.1', { transport: 'udp', host: '10.0.0.1', port: 5060, family: 4 }],
    ['tcp:[::]', { transport: 'tcp', host: '::', port: 5060, family: 6 }],
    // TLS on 5061 like Kamailio; WebSocket on the deployment guide's 5066 and 7443
    ['tls:0.0.0.0', { transport: 'tls', host: '0.0.0.0', port: 5061, family: 4 }],
    ['ws:127.0.0.1', { transport: 'ws', host: '127.0.0.1', port: 5066, family: 4 }],
    ['WSS:[::1]', { transport: 'wss', host: '::1', port: 7443, family: 6 }],
    ['tls:127.0.0.1:5071', { transport: 'tls', host: '127.0.0.1', port: 5071, family: 4 }],
  ])('%s', (text, expected) => {
    expect(parseListenSpec(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', 'expected PROTO:HOST:PORT'],
    ['127.0.0.1:5060', 'expected PROTO:HOST:PORT'],
    ['sctp:127.0.0.1:5060', 'one of udp, tcp, tls, ws, wss'],
    ['udp:::1:5060', 'brackets'],
    ['udp:[::1', 'bracketed IPv6'],
    ['udp:[127.0.0.1]:5060', 'bracketed IPv6'],
    ['udp:[::1]5060', 'after "]"'],
    ['udp:127.0.0.1:65536', 'port'],
    ['udp:127.0.0.1:-1', 'port'],
    ['udp:127.0.0.1:50a', 'port'],
    ['udp:127.0.0.1:', 'port'],
    ['udp:999.1.1.1:5060', 'not an IP address'],
    ['udp:sip.example.com:5060', 'not a name'],
    ['udp::5060', 'not an IP address'],
  ])('rejects %j', (text, fragment) => {
    const result = parseListenSpec(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(fragment);
  });

  it('round-trips through formatListenSpec', () => {
    for (const text of ['udp:127.0.0.1:5060', 'tcp:[::1]:5061', 'udp:0.0.0.0:0']) {
      const parsed = parseListenSpec(text);
      expect(parsed.ok && formatListenSpec(parsed.value)).toBe(text);
    }
  });
});

describe('parseHostPort (advertise)', () => {
  it.each([
    ['203.0.113.7', { host: '203.0.113.7', port: undefined }],
    ['203.0.113.7:5070', { host: '203.0.113.7', port: 5070 }],
    ['sip.example.com', { host: 'sip.example.com', port: undefined }],
    ['sip.example.com:5060', { host: 'sip.example.com', port: 5060 }],
    ['[2001:db8::7]:5060', { host: '2001:db8::7', port: 5060 }],
    ['[2001:db8::7]', { host: '2001:db8::7', port: undefined }],
  ])('%s', (text, expected) => {
    expect(parseHostPort(text)).toEqual({ ok: true, value: expected });
  });

  it.each(['', 'bad_host:5060', '-leading.example.com', 'a..b', '2001:db8::7', 'host:99999', '[fe80::1'])('rejects %j', (text) => {
    expect(parseHostPort(text).ok).toBe(false);
  });
});
