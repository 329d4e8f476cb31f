import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowTokens, usesOutbound, type Flow } from '../../../src/relay/flow-token.js';

const flow: Flow = { transport: 'wss', connectionId: 'wss#42', address: '203.0.113.7', port: 50123, outbound: true };

describe('flow tokens (RFC 5626 §5.2)', () => {
  const tokens = new FlowTokens('a secret of sixteen+ chars');

  it('round-trips a flow, and the token is a valid URI user part', () => {
    const token = tokens.encode(flow);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(tokens.decode(token)).toEqual(flow);
  });

  it('round-trips any flow (property), IPv6 peers included', () => {
    const arbFlow = fc.record({
      transport: fc.constantFrom('tcp' as const, 'tls' as const, 'ws' as const, 'wss' as const),
      connectionId: fc.nat().map((n) => `ws#${n}`),
      address: fc.oneof(fc.ipV4(), fc.ipV6()),
      port: fc.integer({ min: 1, max: 65535 }),
      outbound: fc.boolean(),
    });
    fc.assert(fc.property(arbFlow, (f) => {
      expect(tokens.decode(tokens.encode(f))).toEqual(f);
    }));
  });

  it('refuses a token signed with another secret, an altered payload, a cut MAC, and plain user names', () => {
    const token = tokens.encode(flow);
    expect(new FlowTokens('another secret, 16+ chars').decode(token)).toBeUndefined();
    const [payload, mac] = token.split('.') as [string, string];
    const altered = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('50123', '50124')).toString('base64url');
    expect(tokens.decode(`${altered}.${mac}`)).toBeUndefined();
    expect(tokens.decode(`${payload}.${mac.slice(0, -2)}`)).toBeUndefined();
    expect(tokens.decode('alice')).toBeUndefined();
    expect(tokens.decode('')).toBeUndefined();
  });

  it('never throws on arbitrary user parts (property)', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      expect(tokens.decode(s)).toBeUndefined();
    }));
  });

  it('stays verifiable by a new instance with the same secret (a restart)', () => {
    expect(new FlowTokens('a secret of sixteen+ chars').decode(tokens.encode(flow))).toEqual(flow);
  });
});

describe('usesOutbound (RFC 5626 §5.1)', () => {
  it.each([
    [['<sip:a@x.invalid;transport=ws;ob>'], [], true],
    [['<sip:a@x.invalid;transport=ws>;reg-id=1;+sip.instance="<urn:uuid:1>"'], [], true],
    [['<sip:a@x.invalid;transport=ws>'], ['path, outbound'], true],
    [['<sip:a@x.invalid;transport=ws>'], ['path'], false],
    [[], [], false],
    [['<sip:bob@x;transport=ws>;observe=1'], [], false],
  ])('%j with Supported %j → %s', (contacts, supported, expected) => {
    expect(usesOutbound(contacts, supported)).toBe(expected);
  });
});
