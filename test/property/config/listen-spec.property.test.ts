import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHostPort, parseListenSpec } from '../../../src/config/listen-spec.js';
import { formatListenSpec } from '../../../src/transport/listen-spec.js';

describe('listen spec properties', () => {
  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        parseListenSpec(text);
        parseHostPort(text);
      }),
    );
  });

  it('parses back what it formats, for any IPv4 or IPv6 address and port', () => {
    const spec = fc.record({
      transport: fc.constantFrom('udp' as const, 'tcp' as const),
      host: fc.oneof(fc.ipV4(), fc.ipV6()),
      port: fc.integer({ min: 0, max: 65535 }),
    });
    fc.assert(
      fc.property(spec, (s) => {
        const parsed = parseListenSpec(formatListenSpec(s));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(parsed.value).toMatchObject(s);
      }),
    );
  });
});
