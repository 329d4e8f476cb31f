import { describe, expect, it } from 'vitest';
import {
  addHeader, formatVia, popRoute, popVia, prependRecordRoute, pushVia, removeHeader, replaceContactUri, serialize,
  setBody, setHeader, setMaxForwards, setRequestUri, setTopViaReceived,
} from '../../../src/sip/index.js';
import { isSipDispatchError } from '../../../src/shared/errors.js';
import { fixture, parseOk, parseRequest, request, wire } from './helpers.js';

const text = (b: Buffer): string => b.toString('latin1');

/** Serializes, checks the output parses back to the same views, returns the text. */
function emit(msg: ReturnType<typeof parseOk>): string {
  const out = serialize(msg);
  const again = parseOk(out);
  expect(again.via.map((v) => v.raw)).toEqual(msg.via.map((v) => v.raw));
  const pairs = (m: typeof msg) => m.headers.filter((h) => h.key !== 'content-length').map((h) => [h.name, h.value]);
  expect(pairs(again)).toEqual(pairs(msg));
  expect(again.contentLength).toBe(msg.body.length);
  expect(again.body.equals(msg.body)).toBe(true);
  return text(out);
}

describe('serialize', () => {
  it('re-emits an unedited message byte for byte, folding and odd spacing included', () => {
    const buf = fixture('rfc4475/wsinv.sip');
    expect(serialize(parseOk(buf)).equals(buf)).toBe(true);
    const reg = fixture('rfc3261/register-200.sip');
    expect(serialize(parseOk(reg)).equals(reg)).toBe(true);
  });

  it('fixes Content-Length when the body changes, and adds it when absent', () => {
    const msg = parseRequest(request(['Content-Length: 3'], 'abc'));
    msg.body = Buffer.from('hello');
    expect(emit(msg)).toMatch(/\r\nContent-Length: 5\r\n\r\nhello$/);
    const noLength = parseRequest(request([], 'xy'));
    expect(emit(noLength)).toMatch(/\r\nContent-Length: 2\r\n\r\nxy$/);
  });

  it('writes bare-LF input with CRLF line ends', () => {
    const msg = parseRequest(Buffer.from(text(request(['Content-Length: 0'])).replace(/\r\n/g, '\n')));
    expect(text(serialize(msg))).toBe(text(request(['Content-Length: 0'])));
  });
});

describe('edits', () => {
  const invite = (): ReturnType<typeof parseRequest> =>
    parseRequest(
      wire(
        [
          'INVITE sip:bob@biloxi.com SIP/2.0',
          'Via: SIP/2.0/UDP pc33.atlanta.com;rport;branch=z9hG4bKnashds8, SIP/2.0/TCP older.example.com;branch=z9hG4bKold',
          'Via: SIP/2.0/UDP oldest.example.com;branch=z9hG4bKoldest',
          'Max-Forwards: 70',
          'Route: <sip:lb.example.com;lr>, <sip:next.example.com;lr>',
          'To: Bob <sip:bob@biloxi.com>',
          'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
          'Call-ID: a84b4c76e66710',
          'CSeq: 314159 INVITE',
          'Contact: "A, B" <sip:alice@pc33.atlanta.com>;expires=60, <sip:alice@10.0.0.1>',
          'X-Keep:   odd   spacing  ',
          'Content-Length: 4',
        ],
        'body',
      ),
    );

  it('does the forwarding edits and leaves every other byte alone', () => {
    const req = invite();
    const via = formatVia({ transport: 'UDP', host: '192.0.2.9', port: 5060, branch: 'z9hG4bKproxy1', rport: true });
    setTopViaReceived(req, '192.0.2.1', 5062);
    pushVia(req, via);
    setMaxForwards(req, (req.maxForwards ?? 70) - 1);
    expect(popRoute(req)?.uri).toBe('sip:lb.example.com;lr');
    prependRecordRoute(req, '<sip:192.0.2.9;lr>');
    const out = emit(req);
    expect(out).toBe(
      [
        'INVITE sip:bob@biloxi.com SIP/2.0',
        'Record-Route: <sip:192.0.2.9;lr>',
        `Via: ${via}`,
        'Via: SIP/2.0/UDP pc33.atlanta.com;rport=5062;branch=z9hG4bKnashds8;received=192.0.2.1, SIP/2.0/TCP older.example.com;branch=z9hG4bKold',
        'Via: SIP/2.0/UDP oldest.example.com;branch=z9hG4bKoldest',
        'Max-Forwards: 69',
        'Route: <sip:next.example.com;lr>',
        'To: Bob <sip:bob@biloxi.com>',
        'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
        'Call-ID: a84b4c76e66710',
        'CSeq: 314159 INVITE',
        'Contact: "A, B" <sip:alice@pc33.atlanta.com>;expires=60, <sip:alice@10.0.0.1>',
        'X-Keep:   odd   spacing  ',
        'Content-Length: 4',
        '',
        'body',
      ].join('\r\n'),
    );
    expect(req.via.map((v) => v.branch)).toEqual(['z9hG4bKproxy1', 'z9hG4bKnashds8', 'z9hG4bKold', 'z9hG4bKoldest']);
    expect(req.via[1]).toMatchObject({ received: '192.0.2.1', rport: 5062 });
    expect(req.maxForwards).toBe(69);
    expect(req.route.map((r) => r.uri)).toEqual(['sip:next.example.com;lr']);
    expect(req.recordRoute.map((r) => r.uri)).toEqual(['sip:192.0.2.9;lr']);
  });

  it('pops Via values one at a time, keeping the rest of a shared field', () => {
    const req = invite();
    expect(popVia(req)?.branch).toBe('z9hG4bKnashds8');
    expect(emit(req)).toContain('\r\nVia: SIP/2.0/TCP older.example.com;branch=z9hG4bKold\r\nVia: SIP/2.0/UDP oldest');
    popVia(req);
    popVia(req);
    expect(req.via).toEqual([]);
    expect(req.headers.some((h) => h.key === 'via')).toBe(false);
    expect(popVia(req)).toBeUndefined();
  });

  it('adds Max-Forwards after the Vias when missing', () => {
    const req = parseRequest(request(['Content-Length: 0']));
    setMaxForwards(req, 70);
    expect(req.headers.map((h) => h.key).slice(0, 2)).toEqual(['via', 'max-forwards']);
    expect(emit(req)).toContain('Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc\r\nMax-Forwards: 70\r\n');
  });

  it('leaves rport alone when the Via did not ask for it (RFC 3581)', () => {
    const req = parseRequest(request(['Content-Length: 0']));
    setTopViaReceived(req, undefined, 5060);
    expect(req.via[0]?.rport).toBeUndefined();
    expect(req.headers[0]?.wireStart).toBeDefined();
    setTopViaReceived(req, '10.0.0.1', undefined);
    expect(req.via[0]?.received).toBe('10.0.0.1');
  });

  it('replaces the Request-URI and checks it', () => {
    const req = invite();
    setRequestUri(req, 'sip:bob@192.0.2.4:5080;transport=tcp');
    expect(emit(req).startsWith('INVITE sip:bob@192.0.2.4:5080;transport=tcp SIP/2.0\r\n')).toBe(true);
    expect(() => setRequestUri(req, 'sip:bad uri')).toThrow(/Request-URI/);
  });

  it('sets, adds and removes headers, keeping the views in step', () => {
    const req = invite();
    setHeader(req, 'v', 'SIP/2.0/UDP only.example.com;branch=z9hG4bKonly');
    expect(req.via.map((v) => v.host)).toEqual(['only.example.com']);
    addHeader(req, 'Route', '<sip:extra;lr>');
    expect(req.route.map((r) => r.uri)).toEqual(['sip:lb.example.com;lr', 'sip:next.example.com;lr', 'sip:extra;lr']);
    removeHeader(req, 'ROUTE');
    expect(req.route).toEqual([]);
    setHeader(req, 'Max-Forwards', '10');
    expect(req.maxForwards).toBe(10);
    removeHeader(req, 'Max-Forwards');
    expect(req.maxForwards).toBeUndefined();
    setHeader(req, 'Require', 'timer, 100rel');
    expect(req.require).toEqual(['timer', '100rel']);
    setHeader(req, 'X-Name', 'Zoë');
    expect(req.headers.at(-1)?.value).toBe(Buffer.from('Zoë').toString('latin1'));
    expect(serialize(req).includes(Buffer.from('X-Name: Zoë'))).toBe(true);
    emit(req);
  });

  it('refuses edits that would leave an invalid message, without changing it', () => {
    const req = invite();
    const before = text(serialize(req));
    for (const edit of [
      () => pushVia(req, 'not a via'),
      () => setHeader(req, 'CSeq', 'x'),
      () => removeHeader(req, 'From'),
      () => setMaxForwards(req, 256),
      () => prependRecordRoute(req, '<sip:x'),
    ]) {
      try {
        edit();
        expect.unreachable();
      } catch (e) {
        expect(isSipDispatchError(e)).toBe(true);
      }
    }
    expect(text(serialize(req))).toBe(before);
  });

  it('replaces a Contact URI, keeping display name and parameters', () => {
    const req = invite();
    expect(replaceContactUri(req, 1, 'sip:alice@198.51.100.7:5060;transport=udp')).toBe(true);
    expect(req.contact.map((c) => c.uri)).toEqual(['sip:alice@pc33.atlanta.com', 'sip:alice@198.51.100.7:5060;transport=udp']);
    expect(replaceContactUri(req, 0, 'sip:a@b')).toBe(true);
    expect(emit(req)).toContain('\r\nContact: "A, B" <sip:a@b>;expires=60, <sip:alice@198.51.100.7:5060;transport=udp>\r\n');
    expect(replaceContactUri(req, 2, 'sip:c@d')).toBe(false);
  });

  it('replaces the body', () => {
    const req = invite();
    setBody(req, Buffer.from('v=0\r\n'));
    expect(req.contentLength).toBe(5);
    expect(emit(req).endsWith('Content-Length: 5\r\n\r\nv=0\r\n')).toBe(true);
  });
});
