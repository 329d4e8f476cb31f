import { describe, expect, it } from 'vitest';
import { uriPort, uriTransport } from '../../../src/sip/uri-transport.js';
import { parseUri } from '../../../src/sip/uri.js';

describe('uriTransport and uriPort (RFC 3263 §4.1-4.2 without NAPTR/SRV)', () => {
  it.each([
    ['sip:10.0.0.1', 'udp', 5060],
    ['sip:10.0.0.1;transport=UDP', 'udp', 5060],
    ['sip:10.0.0.1;transport=tcp', 'tcp', 5060],
    ['sip:10.0.0.1;transport=tls', 'tls', 5061],
    ['sips:10.0.0.1', 'tls', 5061],
    ['sips:10.0.0.1:5071;transport=tcp', 'tls', 5071],
    ['sip:a@x.invalid;transport=ws', 'ws', 5060],
    ['sips:a@x.invalid;transport=wss', 'wss', 5061],
    ['sip:10.0.0.1;transport=sctp', undefined, undefined],
    ['sips:10.0.0.1;transport=udp', undefined, undefined],
  ])('%s → %s %s', (text, transport, port) => {
    const uri = parseUri(text)!;
    const t = uriTransport(uri);
    expect(t).toBe(transport);
    if (t) expect(uriPort(uri, t)).toBe(port);
  });
});
