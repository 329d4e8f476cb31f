import { describe, expect, it } from 'vitest';
import { addressKey, familyOf, normalizeAddress, sameHost, unbracket, uriHost } from '../../../src/transport/socket-address.js';

describe('socket-address helpers', () => {
  it('unbrackets IPv6 references only', () => {
    expect(unbracket('[::1]')).toBe('::1');
    expect(unbracket('::1')).toBe('::1');
    expect(unbracket('example.com')).toBe('example.com');
    expect(unbracket('[]')).toBe('[]');
  });

  it('brackets IPv6 addresses for URIs', () => {
    expect(uriHost('::1')).toBe('[::1]');
    expect(uriHost('10.0.0.1')).toBe('10.0.0.1');
    expect(uriHost('example.com')).toBe('example.com');
  });

  it('turns IPv4-mapped IPv6 into IPv4', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::ffff:7f00:1')).toBe('::ffff:7f00:1');
    expect(normalizeAddress('2001:db8::1')).toBe('2001:db8::1');
  });

  it('compares hosts with addresses', () => {
    expect(sameHost('[2001:DB8::1]', '2001:db8::1')).toBe(true);
    expect(sameHost('10.0.0.1', '10.0.0.2')).toBe(false);
  });

  it('keys peers without brackets and case', () => {
    expect(addressKey('[2001:DB8::1]', 5060)).toBe(addressKey('2001:db8::1', 5060));
    expect(addressKey('10.0.0.1', 5060)).not.toBe(addressKey('10.0.0.1', 5061));
  });

  it('tells families apart', () => {
    expect(familyOf('[::1]')).toBe(6);
    expect(familyOf('127.0.0.1')).toBe(4);
    expect(familyOf('example.com')).toBe(0);
  });
});
