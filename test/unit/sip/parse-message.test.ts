import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MESSAGE_SIZE, parseMessage } from '../../../src/sip/index.js';
import { parseErr, parseOk, parseRequest, parseResponse, request, wire } from './helpers.js';

describe('parseMessage: start line', () => {
  it('reads a request line', () => {
    const req = parseRequest(request());
    expect([req.method, req.uri, req.version]).toEqual(['OPTIONS', 'sip:bob@example.com', 'SIP/2.0']);
  });

  it('reads a status line, the reason phrase kept as written', () => {
    const res = parseResponse(wire(['SIP/2.0 486 Busy Here  (really)', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'Call-ID: x', 'CSeq: 1 INVITE']));
    expect([res.status, res.reason]).toEqual([486, 'Busy Here  (really)']);
  });

  it('ignores CRLFs before the start line (RFC 3261 §7.5)', () => {
    const req = parseRequest(Buffer.concat([Buffer.from('\r\n\r\n'), request()]));
    expect(req.method).toBe('OPTIONS');
  });

  it.each([
    ['OPTIONS sip:bob@example.com', 'SIP_BAD_START_LINE'],
    ['OPTIONS  sip:bob@example.com SIP/2.0', 'SIP_BAD_START_LINE'],
    ['OPTIONS sip:bob@example.com SIP/2.0 ', 'SIP_BAD_START_LINE'],
    ['OPT(IONS sip:bob@example.com SIP/2.0', 'SIP_BAD_START_LINE'],
    ['OPTIONS sip:bob@example.com HTTP/1.1', 'SIP_BAD_START_LINE'],
    ['OPTIONS <sip:bob@example.com> SIP/2.0', 'SIP_BAD_URI'],
    ['OPTIONS sip:bob@exa mple.com SIP/2.0', 'SIP_BAD_START_LINE'],
    ['OPTIONS sip:@example.com SIP/2.0', 'SIP_BAD_URI'],
    ['OPTIONS sip:bob@example.com:99999 SIP/2.0', 'SIP_BAD_URI'],
    ['OPTIONS sip:bob@example.com?Subject=x SIP/2.0', 'SIP_BAD_URI'],
    ['OPTIONS 1nvalid:scheme SIP/2.0', 'SIP_BAD_URI'],
  ])('rejects the request line %j with %s', (line, code) => {
    const buf = Buffer.from(request().toString('latin1').replace(/^[^\r]*/, line), 'latin1');
    expect(parseErr(buf).code).toBe(code);
  });

  it('answers 505 to another SIP version, 400 to a non-SIP one', () => {
    const v3 = Buffer.from(request().toString().replace('SIP/2.0\r\n', 'SIP/3.0\r\n'));
    expect(parseErr(v3)).toMatchObject({ code: 'SIP_VERSION_NOT_SUPPORTED', status: 505 });
  });

  it.each(['SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/2.0 2000 OK', 'SIP/2.0 20x OK', 'SIP/2.0'])('rejects the status line %j', (line) => {
    const buf = wire([line, 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>', 'Call-ID: x', 'CSeq: 1 INVITE']);
    expect(parseErr(buf).code).toBe('SIP_BAD_START_LINE');
  });

  it('accepts a status line without reason phrase or its space', () => {
    const buf = wire(['SIP/2.0 200', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>', 'Call-ID: x', 'CSeq: 1 INVITE']);
    expect(parseResponse(buf).reason).toBe('');
  });
});

describe('parseMessage: headers', () => {
  it('keeps every field in wire order with its name as written and an interned key', () => {
    const req = parseRequest(request(['X-Custom:  some  value  ', 'l: 0', 'i2: compact-looking but unknown']));
    expect(req.headers.map((h) => [h.name, h.key])).toEqual([
      ['Via', 'via'], ['From', 'from'], ['To', 'to'], ['Call-ID', 'call-id'], ['CSeq', 'cseq'],
      ['X-Custom', 'x-custom'], ['l', 'content-length'], ['i2', 'i2'],
    ]);
    expect(req.headers[5]?.value).toBe('some  value');
  });

  it('maps every compact form to its long name', () => {
    const req = parseRequest(
      wire([
        'OPTIONS sip:bob@example.com SIP/2.0',
        'v: SIP/2.0/UDP h;branch=z9hG4bK1', 'f: <sip:a@b>;tag=1', 't: <sip:c@d>', 'i: id', 'CSeq: 1 OPTIONS',
        'm: <sip:a@h>', 'c: text/plain', 'e: gzip', 's: hi', 'k: timer', 'o: dialog', 'u: dialog', 'r: <sip:x@y>',
        'b: <sip:z@w>', 'x: 90', 'y: sig', 'a: *;audio', 'j: *;video', 'd: proxy', 'n: <http://x>', 'l: 2',
      ], 'hi'),
    );
    expect(req.headers.map((h) => h.key)).toEqual([
      'via', 'from', 'to', 'call-id', 'cseq', 'contact', 'content-type', 'content-encoding', 'subject',
      'supported', 'event', 'allow-events', 'refer-to', 'referred-by', 'session-expires', 'identity',
      'accept-contact', 'reject-contact', 'request-disposition', 'identity-info', 'content-length',
    ]);
    expect(req.contact.map((c) => c.uri)).toEqual(['sip:a@h']);
  });

  it('unfolds continuation lines into one space and keeps empty values', () => {
    const req = parseRequest(request(['Subject: first', ' \t second', 'Empty:', 'Blank:   ']));
    expect(req.headers.slice(5).map((h) => h.value)).toEqual(['first second', '', '']);
  });

  it.each([
    ['a line without colon', 'NoColonHere'],
    ['a space inside the name', 'Bad Name: x'],
    ['a name with a separator', 'Bad(Name): x'],
    ['an empty name', ': value'],
  ])('rejects %s', (_label, line) => {
    expect(parseErr(request([line])).code).toBe('SIP_BAD_HEADER');
  });

  it('rejects a first header line that starts with whitespace', () => {
    const buf = wire(['OPTIONS sip:bob@example.com SIP/2.0', ' Via: SIP/2.0/UDP h;branch=z9hG4bK1']);
    expect(parseErr(buf).code).toBe('SIP_BAD_HEADER');
  });

  it.each(['Via', 'From', 'To', 'Call-ID', 'CSeq'])('rejects a request without %s', (name) => {
    const lines = request().toString('latin1').split('\r\n').filter((l) => !l.startsWith(`${name}:`));
    const error = parseErr(Buffer.from(lines.join('\r\n'), 'latin1'));
    expect(error).toMatchObject({ code: 'SIP_MISSING_HEADER', status: 400, reason: `Missing ${name}` });
  });

  it('does not require Max-Forwards (the proxy adds it)', () => {
    expect(parseRequest(request()).maxForwards).toBeUndefined();
  });

  it.each(['From: <sip:x@y>;tag=2', 'To: <sip:x@y>', 'Call-ID: other', 'CSeq: 2 OPTIONS', 'Max-Forwards: 70\r\nMax-Forwards: 69', 'l: 0\r\nContent-Length: 0'])(
    'rejects a second %j',
    (line) => {
      expect(parseErr(request([line])).code).toBe('SIP_DUPLICATE_HEADER');
    },
  );

  it('lets Via, Route and Record-Route repeat and split on commas', () => {
    const req = parseRequest(
      request(['Via: SIP/2.0/TCP b;branch=z9hG4bK2, SIP/2.0/UDP c;branch=z9hG4bK3', 'Route: <sip:r1;lr>, <sip:r2;lr>', 'Route: <sip:r3;lr>', 'Record-Route: <sip:rr1;lr>,<sip:rr2;lr>']),
    );
    expect(req.via.map((v) => v.host)).toEqual(['192.0.2.1', 'b', 'c']);
    expect(req.route.map((r) => r.uri)).toEqual(['sip:r1;lr', 'sip:r2;lr', 'sip:r3;lr']);
    expect(req.recordRoute.map((r) => r.uri)).toEqual(['sip:rr1;lr', 'sip:rr2;lr']);
  });

  it.each([
    ['Via: SIP/2.0/UDP', 'SIP_BAD_VIA'],
    ['Via: SIP/2.0/UDP h;branch', 'SIP_BAD_VIA'],
    ['Route: <sip:r1;lr', 'SIP_BAD_HEADER'],
    ['Record-Route: sip:a b', 'SIP_BAD_HEADER'],
  ])('rejects %j with %s', (line, code) => {
    expect(parseErr(request([line])).code).toBe(code);
  });
});

describe('parseMessage: numbers', () => {
  it.each([
    ['CSeq: 4294967295 OPTIONS', 4294967295],
    ['CSeq: 0 OPTIONS', 0],
    ['CSeq:   007\t OPTIONS', 7],
  ])('accepts %j', (line, seq) => {
    const buf = Buffer.from(request().toString().replace('CSeq: 1 OPTIONS', line));
    expect(parseRequest(buf).cseq.seq).toBe(seq);
  });

  it.each(['CSeq: 4294967296 OPTIONS', 'CSeq: -1 OPTIONS', 'CSeq: 1', 'CSeq: OPTIONS', 'CSeq: 1OPTIONS', 'CSeq: 1.5 OPTIONS', 'CSeq: 1 OPT IONS'])(
    'rejects %j',
    (line) => {
      const buf = Buffer.from(request().toString().replace('CSeq: 1 OPTIONS', line));
      expect(parseErr(buf).code).toBe('SIP_BAD_CSEQ');
    },
  );

  it('rejects a CSeq method other than the request method', () => {
    const buf = Buffer.from(request().toString().replace('CSeq: 1 OPTIONS', 'CSeq: 1 options'));
    expect(parseErr(buf).code).toBe('SIP_CSEQ_METHOD_MISMATCH');
  });

  it.each([
    ['0', 0],
    ['255', 255],
    ['0070', 70],
  ])('accepts Max-Forwards %s', (value, n) => {
    expect(parseRequest(request([`Max-Forwards: ${value}`])).maxForwards).toBe(n);
  });

  it.each(['256', '-1', '7O', '', '1 2'])('rejects Max-Forwards %j', (value) => {
    expect(parseErr(request([`Max-Forwards: ${value}`])).code).toBe('SIP_BAD_MAX_FORWARDS');
  });

  it.each(['-5', 'ten', '', '1e3', '12345678901'])('rejects Content-Length %j', (value) => {
    expect(parseErr(request([`Content-Length: ${value}`])).code).toBe('SIP_BAD_CONTENT_LENGTH');
  });

  it.each(['-1', 'soon', '', '3600 s'])('rejects Expires %j', (value) => {
    expect(parseErr(request([`Expires: ${value}`])).code).toBe('SIP_BAD_EXPIRES');
  });

  it('accepts an overlarge Expires (the RFC says treat it as the default)', () => {
    expect(parseOk(request([`Expires: 1${'0'.repeat(40)}`])).kind).toBe('request');
  });
});

describe('parseMessage: body and size', () => {
  it('takes the body from Content-Length and ignores trailing octets', () => {
    const req = parseRequest(request(['Content-Length: 5'], 'hello, and more'));
    expect(req.body.toString()).toBe('hello');
    expect(req.contentLength).toBe(5);
  });

  it('takes the rest of the datagram when Content-Length is absent', () => {
    const req = parseRequest(request([], 'whole rest'));
    expect(req.body.toString()).toBe('whole rest');
    expect(req.contentLength).toBe(10);
  });

  it('rejects a Content-Length larger than the datagram', () => {
    expect(parseErr(request(['Content-Length: 6'], 'hello'))).toMatchObject({ code: 'SIP_BODY_TRUNCATED', status: 400 });
  });

  it('rejects a message without the empty line after the headers', () => {
    expect(parseErr(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n')).code).toBe('SIP_NO_HEADER_END');
  });

  it('accepts bare LF line ends', () => {
    const req = parseRequest(Buffer.from(request(['Content-Length: 2'], 'ok').toString().replace(/\r\n/g, '\n')));
    expect(req.body.toString()).toBe('ok');
    expect(req.callId).toBe('c1@example.com');
  });

  it('ends bare-LF headers at the first blank line even when the body holds CRLF CRLF', () => {
    const head = request(['Content-Length: 6']).toString().replace(/\r\n/g, '\n');
    const req = parseRequest(Buffer.from(`${head}a\r\n\r\nb`));
    expect(req.body.toString()).toBe('a\r\n\r\nb');
    expect(req.headers).toHaveLength(6);
  });

  it(`rejects messages over maxSize (default ${DEFAULT_MAX_MESSAGE_SIZE}) with 513 and what a reply needs`, () => {
    const big = request(['Content-Length: 70000'], 'x'.repeat(70000));
    const error = parseErr(big);
    expect(error).toMatchObject({ code: 'SIP_TOO_LARGE', status: 513 });
    expect(error.partial).toMatchObject({ isRequest: true, method: 'OPTIONS', callId: 'c1@example.com' });
    expect(parseErr(request(), 100).code).toBe('SIP_TOO_LARGE');
    expect(parseMessage(request(), { maxSize: 1000 }).ok).toBe(true);
  });

  it('keeps the body as a view of the input, not a copy', () => {
    const buf = request(['Content-Length: 3'], 'abc');
    const req = parseRequest(buf);
    expect(req.body.buffer).toBe(buf.buffer);
  });
});

describe('parseMessage: errors', () => {
  it('returns the salvaged headers with the error', () => {
    const error = parseErr(request(['Max-Forwards: lots', 'Via: SIP/2.0/UDP second;branch=z9hG4bK9']));
    expect(error.partial).toEqual({
      via: ['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc', 'SIP/2.0/UDP second;branch=z9hG4bK9'],
      from: '<sip:alice@example.com>;tag=1',
      to: '<sip:bob@example.com>',
      callId: 'c1@example.com',
      cseq: '1 OPTIONS',
      method: 'OPTIONS',
      isRequest: true,
    });
  });

  it('never throws on garbage', () => {
    for (const text of ['', '\r\n', '\r\n\r\n', ':', 'SIP/2.0 200 OK\r\n\r\n', '\u0000\u0001\u0002', 'INVITE\r\n\r\n', ' \r\n\r\n']) {
      expect(parseMessage(Buffer.from(text, 'latin1')).ok).toBe(false);
    }
  });
});
