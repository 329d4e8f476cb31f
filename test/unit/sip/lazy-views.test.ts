/**
 * The parts of a parsed message that are made on first read (header values, display names) or
 * checked without being built (the Request-URI), and the serializer's single copy of an unedited
 * message: what they give must not depend on when they are read.
 */
import { describe, expect, it } from 'vitest';
import { parseNameAddr, popVia, serialize, setHeader, type SipMessage } from '../../../src/sip/index.js';
import { findKnownHeader, nameOfHeader } from '../../../src/sip/header-names.js';
import { checkUri, parseUri } from '../../../src/sip/uri.js';
import { fixture, parseOk, parseRequest, request, wire } from './helpers.js';

/** Each field's value as its wire text says: after the colon, unfolded and trimmed. */
function wireValues(msg: SipMessage): string[] {
  const source = msg.source as Buffer;
  return msg.headers.map((h) => {
    const text = source.toString('latin1', h.wireStart, h.wireEnd);
    return text.slice(text.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').replace(/[ \t]+/g, ' ').trim();
  });
}

describe('header values read on first access', () => {
  it('give the wire value of every field of the fixtures, in any order of reading', () => {
    for (const name of ['invite-1k.sip', 'ok-sdp.sip', 'options.sip']) {
      const msg = parseOk(fixture(name));
      const expected = wireValues(msg);
      const reversed = [...msg.headers].reverse().map((h) => h.value).reverse();
      expect(reversed).toEqual(expected);
      expect(msg.headers.map((h) => h.value)).toEqual(expected);
    }
  });

  it('unfold a folded value, and the scalar headers read it unfolded too', () => {
    const req = parseRequest(
      wire(['OPTIONS sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>', 'Call-ID: x',
        'CSeq: 7', ' \tOPTIONS', 'Max-Forwards:', ' 69', 'Content-Length:  2', 'X-Long: one', '  two'], 'ok'),
    );
    expect([req.cseq, req.maxForwards, req.body.toString()]).toEqual([{ seq: 7, method: 'OPTIONS' }, 69, 'ok']);
    expect(req.headers.slice(4).map((h) => h.value)).toEqual(['7 OPTIONS', '69', '2', 'one two']);
  });

  it('index the message source when CRLFs came before the start line', () => {
    const plain = request(['X-Late: value here  ', 'Content-Length: 0']);
    const req = parseRequest(Buffer.concat([Buffer.from('\r\n\r\n'), plain]));
    expect(req.headers.at(-2)?.value).toBe('value here');
    expect(wireValues(req)).toEqual(req.headers.map((h) => h.value));
    expect(serialize(req).equals(plain)).toBe(true);
  });

  it('survive edits around them and a copy of the message', () => {
    const req = parseRequest(request(['Via: SIP/2.0/UDP second;branch=z9hG4bK2', 'Subject: lunch', 'X-Other: 1']));
    popVia(req);
    setHeader(req, 'X-Other', '2');
    const copy = Object.assign(Object.create(Object.getPrototypeOf(req) as object) as SipMessage, req);
    copy.headers = [...req.headers];
    expect(copy.headers.map((h) => [h.key, h.value])).toEqual([
      ['from', '<sip:alice@example.com>;tag=1'], ['to', '<sip:bob@example.com>'], ['call-id', 'c1@example.com'], ['cseq', '1 OPTIONS'],
      ['via', 'SIP/2.0/UDP second;branch=z9hG4bK2'], ['subject', 'lunch'], ['x-other', '2'],
    ]);
    expect(copy.via.map((v) => v.host)).toEqual(['second']);
    expect(copy.headers[5]?.value).toBe(req.headers[5]?.value);
  });
});

describe('display names read on first access', () => {
  it.each([
    ['"A \\"B\\"" <sip:a@b>;tag=1', 'A "B"'],
    ['Alice Smith <sip:a@b>;tag=1', 'Alice Smith'],
    ['Alice<sip:a@b>', 'Alice'],
    ['<sip:a@b>;tag=1', undefined],
    ['sip:a@b;tag=1', undefined],
    ['sip:a@b', undefined],
  ])('%j has display name %j', (value, name) => {
    const na = parseNameAddr(value);
    expect(na?.displayName).toBe(name);
    expect(na?.params.get('tag')).toBe(value.includes('tag') ? '1' : undefined);
    expect(na?.displayName).toBe(name);
  });
});

describe('checkUri', () => {
  it.each([
    'sip:alice@atlanta.com', 'sips:alice:pw@[2001:db8::1]:5061;transport=tcp;lr', 'sip:%61lice@h;%6C%72;n%61me=v%61lue%25%34%31',
    'tel:+1-201-555-0123;phone-context=example.com', 'sip:h;lr?subject=project%20x&priority=urgent',
  ])('accepts what parseUri accepts: %s', (text) => {
    expect(parseUri(text)).toBeDefined();
    expect(checkUri(text)).toBe(text.includes('?') ? text.indexOf('?') : text.length);
  });

  it.each([
    'http://example.com', 'sip:', 'sip:user@', 'sip:@host', 'sip:host:65536', 'sip:[2001:db8::10', 'sip:host;;lr', 'sip:host;=x',
    'sip:host?x', 'sip:host?a=b&', 'sip:a%zz@host', 'sip:a%4@host', 'sip:host;p=%4', 'sip:host>', 'tel:', 'tel:+1 555', 'sip:user@host;lr=',
  ])('rejects what parseUri rejects: %s', (text) => {
    expect(parseUri(text)).toBeUndefined();
    expect(checkUri(text)).toBe(-1);
  });
});

describe('header names met on the wire', () => {
  it('are remembered as written, so the next message reuses the name', () => {
    const first = parseRequest(request(['X-Lazy-Test-Name: 1']));
    const text = 'X-Lazy-Test-Name: 2';
    const code = findKnownHeader(text, 0, 16);
    expect(code).not.toBe(-1);
    expect(Object.is(nameOfHeader(code, text, 0, 16), first.headers.at(-1)?.name)).toBe(true);
    const again = parseRequest(request(['x-lazy-test-NAME: 3']));
    expect([again.headers.at(-1)?.name, again.headers.at(-1)?.key]).toEqual(['x-lazy-test-NAME', 'x-lazy-test-name']);
  });
});

describe('serialize of an unedited message', () => {
  it('copies the blank line and the body with the headers only when they are the source bytes', () => {
    const buf = request(['Content-Length: 3'], 'abc');
    const same = parseRequest(buf);
    expect(serialize(same).equals(buf)).toBe(true);
    const replaced = parseRequest(buf);
    replaced.body = Buffer.from('xyz');
    expect(serialize(replaced).toString('latin1').endsWith('Content-Length: 3\r\n\r\nxyz')).toBe(true);
    const emptied = parseRequest(buf);
    emptied.body = Buffer.alloc(0);
    expect(serialize(emptied).toString('latin1').endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });

  it('writes edited start lines and fields as text around the copied runs', () => {
    const res = parseOk(fixture('ok-sdp.sip'));
    if (res.kind !== 'response') throw new Error('expected a response');
    popVia(res);
    res.reason = 'Fine';
    res.status = 299;
    const out = serialize(res).toString('latin1');
    expect(out.startsWith('SIP/2.0 299 Fine\r\nVia: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.101\r\n')).toBe(true);
    expect(out.endsWith(res.body.toString('latin1'))).toBe(true);
    expect(parseOk(Buffer.from(out, 'latin1')).headers.map((h) => h.value)).toEqual(res.headers.map((h) => h.value));
  });
});
