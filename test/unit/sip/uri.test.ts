import { describe, expect, it } from 'vitest';
import { formatUri, parseUri, uriEquals } from '../../../src/sip/index.js';

describe('parseUri', () => {
  it('reads every part of a SIP URI', () => {
    const u = parseUri('sip:alice:secret@Atlanta.COM:5061;transport=TCP;lr;Maddr=239.255.255.1?subject=project%20x&priority=urgent');
    expect(u).toMatchObject({ scheme: 'sip', user: 'alice', password: 'secret', host: 'atlanta.com', port: 5061 });
    expect([...(u?.params ?? [])]).toEqual([['transport', 'TCP'], ['lr', null], ['maddr', '239.255.255.1']]);
    expect([...(u?.headers ?? [])]).toEqual([['subject', 'project x'], ['priority', 'urgent']]);
  });

  it('reads hosts: names, IPv4, IPv6 references', () => {
    expect(parseUri('sips:[2001:DB8::10]:5061')).toMatchObject({ scheme: 'sips', host: '[2001:db8::10]', port: 5061, user: undefined });
    expect(parseUri('sip:192.0.2.4')).toMatchObject({ host: '192.0.2.4', port: undefined });
    expect(parseUri('SIP:bob@biloxi.com')?.scheme).toBe('sip');
  });

  it('decodes escapes in user, password and parameters', () => {
    expect(parseUri('sip:%61lice@h;%6C%72;n%61me=v%61lue%25%34%31')).toMatchObject({ user: 'alice' });
    expect([...(parseUri('sip:h;%6C%72;n%61me=v%61lue%25%34%31')?.params ?? [])]).toEqual([['lr', null], ['name', 'value%41']]);
  });

  it('reads TEL URIs', () => {
    const u = parseUri('tel:+1-201-555-0123;phone-context=example.com');
    expect(u).toMatchObject({ scheme: 'tel', user: '+1-201-555-0123', host: '' });
    expect(u?.params.get('phone-context')).toBe('example.com');
  });

  it.each([
    'http://example.com', 'sip:', 'sip:user@', 'sip:@host', 'sip:host:port', 'sip:host:65536', 'sip:2001:db8::10',
    'sip:[2001:db8::10', 'sip:host;;lr', 'sip:host;=x', 'sip:host?x', 'sip:ho st', 'sip:a%zz@host', 'sip:host>',
    'tel:', 'tel:+1 555', 'sip:user@host;lr=', '<sip:host>',
  ])('rejects %j', (text) => {
    expect(parseUri(text)).toBeUndefined();
  });
});

describe('formatUri', () => {
  it.each([
    'sip:alice@atlanta.com',
    'sips:alice:pw@[2001:db8::1]:5061;transport=tcp;lr',
    'sip:h;lr?subject=project%20x&priority=urgent',
    'sip:I%20have%20spaces@example.net',
    'tel:+1-201-555-0123;phone-context=example.com',
  ])('round-trips %s', (text) => {
    const u = parseUri(text);
    expect(u).toBeDefined();
    const again = parseUri(formatUri(u!));
    expect(again && uriEquals(u!, again)).toBe(true);
    expect(formatUri(again!)).toBe(formatUri(u!));
  });

  it('escapes what a part may not hold', () => {
    const u = parseUri('sip:a%40b%25@h')!;
    expect(u.user).toBe('a@b%');
    expect(formatUri(u)).toBe('sip:a%40b%25@h');
  });
});

describe('uriEquals (RFC 3261 §19.1.4)', () => {
  // The equal and unequal pairs printed in §19.1.4.
  it.each([
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5'],
    ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
    ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'],
    ['tel:+1-201-555-0123', 'tel:+1.201.555.0123'],
  ])('%s equals %s', (a, b) => {
    expect(uriEquals(parseUri(a)!, parseUri(b)!)).toBe(true);
    expect(uriEquals(parseUri(b)!, parseUri(a)!)).toBe(true);
  });

  it.each([
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp;ttl=1'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;user=phone'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;maddr=239.255.255.1'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    ['sip:bob@biloxi.com', 'sips:bob@biloxi.com'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
    ['tel:+1-201-555-0123', 'tel:+1-201-555-0124'],
  ])('%s differs from %s', (a, b) => {
    expect(uriEquals(parseUri(a)!, parseUri(b)!)).toBe(false);
    expect(uriEquals(parseUri(b)!, parseUri(a)!)).toBe(false);
  });
});
