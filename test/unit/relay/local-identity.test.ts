import { describe, expect, it } from 'vitest';
import { LocalIdentity } from '../../../src/relay/local-identity.js';

describe('LocalIdentity.isUsAddress (the myself check)', () => {
  const us = new LocalIdentity(
    { udp: { host: '127.0.0.1', port: 5060 }, tcp: { host: '::1', port: 5070 } },
    ['sip.example.com', 'Edge.Example.com:5080', '[::2]:5062', '127.0.0.3', '::4', '127.0.0.5:not-a-port'],
  );

  it.each([
    ['127.0.0.1', 5060],
    ['127.0.0.1', undefined],
    ['[::1]', 5070],
    ['::1', 5070],
    ['SIP.example.com', 1234],
    ['edge.example.com', 5080],
    ['[::2]', 5062],
    ['127.0.0.3', 9999],
    ['[::4]', 5060],
    ['127.0.0.5:not-a-port', 5060],
  ])('%s:%s is us', (host, port) => {
    expect(us.isUsAddress(host, port)).toBe(true);
  });

  it.each([
    ['127.0.0.1', 5061],
    ['[::1]', 5060],
    ['edge.example.com', 5060],
    ['edge.example.com', undefined],
    ['[::2]', 5060],
    ['127.0.0.2', 5060],
    ['example.com', 5060],
  ])('%s:%s is not us', (host, port) => {
    expect(us.isUsAddress(host, port)).toBe(false);
  });
});
