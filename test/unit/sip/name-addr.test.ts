import { describe, expect, it } from 'vitest';
import { parseNameAddr, parseNameAddrList } from '../../../src/sip/index.js';

describe('parseNameAddr', () => {
  it('reads a quoted display name with quoted-pairs', () => {
    const na = parseNameAddr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8');
    expect(na).toMatchObject({ displayName: 'J Rosenberg \\"', uri: 'sip:jdrosen@example.com', tag: '98asjd8' });
  });

  it('reads token display names, with or without space before <', () => {
    expect(parseNameAddr('Alice <sip:alice@atlanta.com>;tag=1928301774')).toMatchObject({ displayName: 'Alice', tag: '1928301774' });
    expect(parseNameAddr('caller<sip:caller@example.com>;tag=323')?.displayName).toBe('caller');
    expect(parseNameAddr('A. G. Bell <sip:a@b>')?.displayName).toBe('A. G. Bell');
    expect(parseNameAddr('<sip:a@b>')?.displayName).toBeUndefined();
  });

  it('reads an addr-spec: parameters after it are header parameters', () => {
    const na = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam;tag=5');
    expect(na).toMatchObject({ displayName: undefined, uri: 'sip:+19725552222@gw1.example.net', tag: '5' });
    expect([...(na?.params ?? [])]).toEqual([['unknownparam', null], ['tag', '5']]);
  });

  it('keeps URI parameters inside <> apart from header parameters', () => {
    const na = parseNameAddr('<sip:p1.example.com;lr;transport=tcp>;expires=60;+sip.instance="<urn:uuid:1>"');
    expect(na?.uri).toBe('sip:p1.example.com;lr;transport=tcp');
    expect(na?.params.get('expires')).toBe('60');
    expect(na?.params.get('+sip.instance')).toBe('"<urn:uuid:1>"');
  });

  it('lower-cases parameter names and keeps values as written', () => {
    expect([...(parseNameAddr('<sip:a@b>;TAG=AbC;Q=0.5')?.params ?? [])]).toEqual([['tag', 'AbC'], ['q', '0.5']]);
  });

  it('keeps the exact text', () => {
    expect(parseNameAddr('  "x" <sip:a@b>;tag=1  ')?.raw).toBe('"x" <sip:a@b>;tag=1');
  });

  it.each([
    '', '"unterminated <sip:a@b>', '<sip:a@b', '< sip:a@b >', 'Bell, Alexander <sip:a@b>', 'sip:a@b;;tag=1',
    '<sip:a@b>;tag', '<sip:a@b>;tag=', '<sip:a@b> junk', 'no-scheme', '"x" sip:a@b', '<>',
  ])('rejects %j', (value) => {
    expect(parseNameAddr(value)).toBeUndefined();
  });
});

describe('parseNameAddrList', () => {
  it('splits on commas outside quotes and angle brackets', () => {
    const list = parseNameAddrList('"Bell, Alexander" <sip:a@b;x=1,2>;tag=1, <sip:c@d>,sip:e@f');
    expect(list?.map((na) => [na.displayName, na.uri])).toEqual([
      ['Bell, Alexander', 'sip:a@b;x=1,2'],
      [undefined, 'sip:c@d'],
      [undefined, 'sip:e@f'],
    ]);
  });

  it.each(['<sip:a@b>,', ',<sip:a@b>', '<sip:a@b>,,<sip:c@d>', '"open <sip:a@b>, <sip:c@d>'])('rejects %j', (value) => {
    expect(parseNameAddrList(value)).toBeUndefined();
  });
});
