import { describe, expect, it } from 'vitest';
import {
  buildRequest, buildResponse, buildResponseFromPartial, newBranch, newCallId, newTag, parseMessage, serialize,
  type PartialHeaders,
} from '../../../src/sip/index.js';
import { fixture, parseErr, parseOk, parseRequest, parseResponse } from './helpers.js';

describe('buildResponse', () => {
  const bye = () => parseRequest(fixture('rfc3261/bye.sip'));

  it('copies Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2)', () => {
    const res = buildResponse(bye(), 200, 'OK');
    // RFC 3261 §24.2 F14: Bob's 200 OK to the BYE, byte for byte.
    expect(serialize(res).equals(fixture('rfc3261/bye-200.sip'))).toBe(true);
    expect(res).toMatchObject({ kind: 'response', status: 200, reason: 'OK', callId: 'a84b4c76e66710', cseq: { seq: 231, method: 'BYE' } });
  });

  it('adds a To tag above 100 when there is none, not on 100', () => {
    const invite = parseRequest(
      Buffer.from(fixture('rfc3261/ack.sip').toString().replace(/ACK/g, 'INVITE').replace(';tag=a6c85cf', '')),
    );
    const trying = buildResponse(invite, 100, 'Trying');
    expect(trying.to.tag).toBeUndefined();
    const busy = buildResponse(invite, 486, 'Busy Here', { toTag: 'abc123' });
    expect(busy.to.tag).toBe('abc123');
    expect(serialize(busy).toString()).toContain('\r\nTo: Bob <sip:bob@biloxi.com>;tag=abc123\r\n');
    expect(buildResponse(invite, 404, 'Not Found').to.tag).toMatch(/^[0-9a-f]{16}$/);
  });

  it('adds the extra headers and the body, and re-parses to the same views', () => {
    const res = buildResponse(bye(), 503, 'Service\r\nUnavailable', {
      headers: [['Retry-After', '30'], ['Record-Route', '<sip:p1;lr>'], ['Content-Length', '99']],
      body: Buffer.from('oops'),
    });
    const again = parseResponse(serialize(res));
    expect(again.reason).toBe('ServiceUnavailable');
    expect(again.recordRoute.map((r) => r.uri)).toEqual(['sip:p1;lr']);
    expect(again.body.toString()).toBe('oops');
    expect(again.headers.filter((h) => h.key === 'content-length').map((h) => h.value)).toEqual(['4']);
    expect(again.via).toEqual(res.via);
  });
});

describe('buildResponseFromPartial', () => {
  it('answers a request that did not parse, echoing what could be read', () => {
    const buf = Buffer.from(fixture('rfc4475/mismatch01.sip'));
    const error = parseErr(buf);
    const out = buildResponseFromPartial(error.partial!, error.status, error.reason);
    const res = parseResponse(out!);
    expect(res.status).toBe(400);
    expect(res.reason).toBe('CSeq Method Mismatch');
    expect(res.via.map((v) => v.branch)).toEqual(['z9hG4bKkdjuw']);
    expect(res.callId).toBe('mismatch01.dj0234sxdfl3');
    expect(res.cseq).toEqual({ seq: 8, method: 'INVITE' });
    expect(res.to.tag).toBeDefined();
    expect(res.from.tag).toBe('34525');
  });

  it('answers 505 to an unknown version', () => {
    const error = parseErr(fixture('rfc4475/badvers.sip'));
    expect(parseResponse(buildResponseFromPartial(error.partial!, error.status, error.reason)!).status).toBe(505);
  });

  it('gives nothing for responses or when no top Via can take the reply', () => {
    const base: PartialHeaders = { via: ['SIP/2.0/UDP h;branch=z9hG4bK1'], from: '<sip:a@b>;tag=1', to: '<sip:c@d>', callId: 'x', cseq: '1 INVITE', method: 'INVITE', isRequest: true };
    expect(buildResponseFromPartial(base, 400, 'Bad')).toBeDefined();
    expect(buildResponseFromPartial({ ...base, isRequest: false }, 400, 'Bad')).toBeUndefined();
    expect(buildResponseFromPartial({ ...base, via: [] }, 400, 'Bad')).toBeUndefined();
    expect(buildResponseFromPartial({ ...base, via: ['not a via'] }, 400, 'Bad')).toBeUndefined();
  });

  // RFC 3261 §8.2 and RFC 4475 §3.1.2.17: ideally 400; the reason names what is missing.
  it.each([
    { key: 'from', header: 'From' },
    { key: 'to', header: 'To' },
    { key: 'callId', header: 'Call-ID' },
    { key: 'cseq', header: 'CSeq' },
  ] as const)('answers a request missing $header, naming it, echoing the rest', ({ key, header }) => {
    const base: PartialHeaders = { via: ['SIP/2.0/UDP h;branch=z9hG4bK1'], from: '<sip:a@b>;tag=1', to: '<sip:c@d>', callId: 'x', cseq: '1 INVITE', method: 'INVITE', isRequest: true };
    const text = buildResponseFromPartial({ ...base, [key]: undefined }, 400, `Missing ${header}`)!.toString('latin1');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(`SIP/2.0 400 Missing ${header}`);
    expect(lines[1]).toBe('Via: SIP/2.0/UDP h;branch=z9hG4bK1');
    expect(lines.filter((l) => l.startsWith(`${header}:`))).toEqual([]);
    for (const other of ['From', 'To', 'Call-ID', 'CSeq'].filter((h) => h !== header)) expect(lines.some((l) => l.startsWith(`${other}: `))).toBe(true);
  });

  it('answers RFC 4475 insuf (no From, To or Call-ID) with 400 Missing From', () => {
    const error = parseErr(fixture('rfc4475/insuf.sip'));
    const text = buildResponseFromPartial(error.partial!, error.status, error.reason)!.toString('latin1');
    expect(text.split('\r\n').slice(0, 3)).toEqual(['SIP/2.0 400 Missing From', 'Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf', 'CSeq: 193942 INVITE']);
  });

  it('keeps an existing To tag and strips line breaks from what it echoes', () => {
    const partial: PartialHeaders = { via: ['SIP/2.0/UDP h;branch=z9hG4bK1'], from: '<sip:a@b>;tag=1', to: '<sip:c@d>;tag=7', callId: 'x', cseq: '1 INVITE', method: 'INVITE', isRequest: true };
    const text = buildResponseFromPartial(partial, 400, 'Bad\r\nInjected: yes')!.toString();
    expect(text).toContain('\r\nTo: <sip:c@d>;tag=7\r\n');
    expect(text.startsWith('SIP/2.0 400 BadInjected: yes\r\n')).toBe(true);
    expect(parseMessage(Buffer.from(text)).ok).toBe(true);
  });
});

describe('buildRequest', () => {
  it('builds an OPTIONS probe that parses back', () => {
    const req = buildRequest({
      method: 'OPTIONS',
      uri: 'sip:192.0.2.10:5060',
      via: ['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKprobe1;rport'],
      from: '<sip:dispatcher@localhost>;tag=5f3a2b',
      to: '<sip:192.0.2.10:5060>',
      callId: 'probe-1',
      cseq: 10,
      headers: [['User-Agent', 'sipdispatch']],
    });
    expect(serialize(req).toString()).toBe(
      [
        'OPTIONS sip:192.0.2.10:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKprobe1;rport',
        'Max-Forwards: 70',
        'From: <sip:dispatcher@localhost>;tag=5f3a2b',
        'To: <sip:192.0.2.10:5060>',
        'Call-ID: probe-1',
        'CSeq: 10 OPTIONS',
        'User-Agent: sipdispatch',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const again = parseRequest(serialize(req));
    expect([again.via, again.from, again.to, again.cseq, again.maxForwards]).toEqual([req.via, req.from, req.to, req.cseq, req.maxForwards]);
  });

  it('refuses values that would not parse', () => {
    const spec = { method: 'OPTIONS', uri: 'sip:a@b', via: ['SIP/2.0/UDP h;branch=z9hG4bK1'], from: '<sip:a@b>;tag=1', to: '<sip:c@d>', callId: 'x', cseq: 1 };
    expect(() => buildRequest({ ...spec, via: ['junk'] })).toThrow();
    expect(() => buildRequest({ ...spec, uri: '<sip:a@b>' })).toThrow();
    expect(() => buildRequest({ ...spec, from: 'a b c' })).toThrow();
    expect(() => buildRequest({ ...spec, cseq: 2 ** 32 })).toThrow();
    expect(() => buildRequest({ ...spec, maxForwards: -1 })).toThrow();
    expect(parseOk(serialize(buildRequest(spec))).kind).toBe('request');
  });
});

describe('identifiers', () => {
  it('makes branches with the magic cookie, and distinct tags and Call-IDs', () => {
    const branches = new Set(Array.from({ length: 200 }, newBranch));
    expect(branches.size).toBe(200);
    for (const b of branches) expect(b).toMatch(/^z9hG4bK[0-9a-f]{32}$/);
    expect(new Set(Array.from({ length: 200 }, newTag)).size).toBe(200);
    expect(newCallId()).toMatch(/^[0-9a-f-]{36}$/);
  });
});
