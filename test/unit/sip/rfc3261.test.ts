import { describe, expect, it } from 'vitest';
import { parseUri, serialize, setMaxForwards, pushVia, uriEquals } from '../../../src/sip/index.js';
import { fixture, parseOk, parseRequest, parseResponse } from './helpers.js';

const FILES = ['register', 'register-200', 'invite-100', 'ack', 'bye', 'bye-200'];

describe('RFC 3261 §24 example messages', () => {
  it.each(FILES)('%s parses and re-serializes byte for byte', (name) => {
    const buf = fixture(`rfc3261/${name}.sip`);
    expect(serialize(parseOk(buf)).equals(buf)).toBe(true);
  });

  it('reads the folded received parameter of the 200 OK to REGISTER (§24.1)', () => {
    const res = parseResponse(fixture('rfc3261/register-200.sip'));
    expect(res.via[0]).toMatchObject({ host: 'bobspc.biloxi.com', port: 5060, branch: 'z9hG4bKnashds7', received: '192.0.2.4' });
    expect(res.to.tag).toBe('2493k59kd');
    expect(res.cseq).toEqual({ seq: 1826, method: 'REGISTER' });
  });

  it('forwards the BYE the way the proxy of §16.6 would', () => {
    const bye = parseRequest(fixture('rfc3261/bye.sip'));
    pushVia(bye, 'SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1');
    setMaxForwards(bye, 69);
    const out = serialize(bye).toString();
    expect(out).toBe(
      fixture('rfc3261/bye.sip')
        .toString()
        .replace('Via:', 'Via: SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1\r\nVia:')
        .replace('Max-Forwards: 70', 'Max-Forwards: 69'),
    );
    expect(uriEquals(parseUri(bye.uri)!, parseUri('sip:alice@PC33.atlanta.com')!)).toBe(true);
  });
});
