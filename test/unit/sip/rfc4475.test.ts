import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessage, parseUri, serialize, type SipRequest } from '../../../src/sip/index.js';
import { fixture, parseErr, parseOk, parseRequest, parseResponse } from './helpers.js';

const load = (name: string): Buffer => fixture(`rfc4475/${name}.sip`);

/** RFC 4475 verdicts: messages a parser must accept (a proxy forwards or answers them later). */
const VALID = [
  'wsinv', 'intmeth', 'esc01', 'escnull', 'esc02', 'lwsdisp', 'longreq', 'dblreq', 'semiuri',
  'transports', 'mpart01', 'unreason', 'noreason', // §3.1.1
  'baddate', 'regbadct', // §3.1.2.12-13: a proxy may forward them
  'badbranch', // §3.2.1
  'unkscm', 'novelsc', 'unksm2', 'bext01', 'invut', 'regaut01', 'bcast', 'zeromf', 'cparam01',
  'cparam02', 'regescrt', 'sdp01', // §3.3: the application layer decides
  'inv2543', // §3.4.1
];

/** Messages the parser rejects, with the code and status it gives. */
const INVALID: Array<[string, string, number]> = [
  ['badinv01', 'SIP_BAD_VIA', 400], // §3.1.2.1 empty Via parameters
  ['clerr', 'SIP_BODY_TRUNCATED', 400], // §3.1.2.2
  ['ncl', 'SIP_BAD_CONTENT_LENGTH', 400], // §3.1.2.3
  ['scalar02', 'SIP_BAD_CSEQ', 400], // §3.1.2.4 CSeq >= 2**32
  ['scalarlg', 'SIP_BAD_CSEQ', 400], // §3.1.2.5 (a response: dropped)
  ['quotbal', 'SIP_BAD_HEADER', 400], // §3.1.2.6
  ['ltgtruri', 'SIP_BAD_URI', 400], // §3.1.2.7
  ['lwsruri', 'SIP_BAD_START_LINE', 400], // §3.1.2.8
  ['lwsstart', 'SIP_BAD_START_LINE', 400], // §3.1.2.9
  ['trws', 'SIP_BAD_START_LINE', 400], // §3.1.2.10
  ['escruri', 'SIP_BAD_URI', 400], // §3.1.2.11
  ['badaspec', 'SIP_BAD_HEADER', 400], // §3.1.2.14 "reasonable always to reject"
  ['baddn', 'SIP_BAD_HEADER', 400], // §3.1.2.15
  ['badvers', 'SIP_VERSION_NOT_SUPPORTED', 505], // §3.1.2.16
  ['mismatch01', 'SIP_CSEQ_METHOD_MISMATCH', 400], // §3.1.2.17
  ['mismatch02', 'SIP_CSEQ_METHOD_MISMATCH', 400], // §3.1.2.18
  ['bigcode', 'SIP_BAD_START_LINE', 400], // §3.1.2.19 (a response: dropped)
  ['insuf', 'SIP_MISSING_HEADER', 400], // §3.3.1
  ['multi01', 'SIP_DUPLICATE_HEADER', 400], // §3.3.8
  ['mcl01', 'SIP_DUPLICATE_HEADER', 400], // §3.3.9
];

describe('RFC 4475 torture messages', () => {
  it('has a fixture for each of the 49 messages, each classified once', () => {
    const files = readdirSync(new URL('../../fixtures/sip/rfc4475/', import.meta.url)).filter((f) => f.endsWith('.sip'));
    expect(files).toHaveLength(49);
    const classified = [...VALID, ...INVALID.map(([name]) => name)].sort();
    expect(classified).toEqual(files.map((f) => f.slice(0, -4)).sort());
  });

  it.each(VALID)('%s parses and re-serializes byte for byte', (name) => {
    const buf = load(name);
    const msg = parseOk(buf);
    const out = serialize(msg);
    if (name === 'inv2543') {
      // It has no Content-Length; the serializer adds one so the message can go over a stream.
      expect(out.toString('latin1')).toContain('\r\nContent-Length: 105\r\n\r\n');
    } else {
      expect(out.equals(buf.subarray(0, out.length))).toBe(true);
      expect(out.length).toBe(name === 'dblreq' ? buf.indexOf('INVITE') : buf.length);
    }
  });

  it.each(INVALID)('%s is rejected with %s (%d)', (name, code, status) => {
    const error = parseErr(load(name));
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.reason).toMatch(/^[ -~]+$/);
  });

  it('salvages what a 400 needs, and marks responses so nothing is answered', () => {
    const mismatch = parseErr(load('mismatch01'));
    expect(mismatch.partial).toMatchObject({
      isRequest: true,
      method: 'OPTIONS',
      callId: 'mismatch01.dj0234sxdfl3',
      cseq: '8 INVITE',
      via: ['SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw'],
    });
    expect(parseErr(load('scalarlg')).partial?.isRequest).toBe(false);
    expect(parseErr(load('insuf')).partial?.from).toBeUndefined();
  });

  it('§3.1.1.1 wsinv: folding, LWS, compact and odd-case names, leading zeros', () => {
    const req = parseRequest(load('wsinv'));
    expect(req.maxForwards).toBe(68);
    expect(req.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(req.via.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(req.to.tag).toBe('1918181833n');
    expect(req.from.displayName).toBe('J Rosenberg \\"');
    expect(req.from.tag).toBe('98asjd8');
    expect(req.route.map((r) => r.uri)).toEqual(['sip:services.example.com;lr;unknownwith=value;unknown-no-value']);
    expect(req.contact[0]?.displayName).toBe('Quoted string ""');
    expect(req.contact[0]?.params.get('q')).toBe('0.33');
    expect(req.contact[0]?.params.get('secondparam')).toBeNull();
    const field = (key: string) => req.headers.find((h) => h.key === key)?.value;
    expect(field('subject')).toBe('');
    expect(field('newfangledheader')).toBe('newfangled value continued newfangled value');
    expect(field('unknownheaderwithunusualvalue')).toBe(';;,,;;,;');
    expect(req.body.length).toBe(150);
  });

  it('§3.1.1.2 intmeth: unusual method, URI, quoted NUL and UTF-8 bytes', () => {
    const req = parseRequest(load('intmeth'));
    expect(req.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    const uri = parseUri(req.uri);
    expect(uri?.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(uri?.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(req.to.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(req.from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    const param = req.from.params.get("fromparam''~+*_!.-%") ?? '';
    expect(Buffer.from(param, 'latin1').toString('utf8')).toBe('"работающий"');
    expect(req.callId).toBe(`intmeth.word%ZK-!.*_+'@word\`~)(><:\\/"][?}{`);
  });

  it('§3.1.1.3-5 escapes: decoded in URIs, not in methods or header names', () => {
    const esc01 = parseRequest(load('esc01'));
    expect(parseUri(esc01.uri)?.user).toBe('sips:user@example.com');
    expect(parseUri(esc01.from.uri)?.user).toBe('I have spaces');
    expect(parseUri(esc01.contact[0]?.uri ?? '')?.params.get('name')).toBe('value%41');
    expect(parseUri(esc01.contact[0]?.uri ?? '')?.params.has('lr')).toBe(true);
    const escnull = parseRequest(load('escnull'));
    expect(escnull.contact.map((c) => parseUri(c.uri)?.user)).toEqual(['\0', '\0\0']);
    const esc02 = parseRequest(load('esc02'));
    expect(esc02.method).toBe('RE%47IST%45R');
    expect(esc02.to.displayName).toBe('%Z%45');
    expect(esc02.contact.map((c) => c.uri)).toEqual(['sip:alias1@host1.example.com', 'sip:alias3@host3.example.com']);
  });

  it('§3.1.1.6-10: no LWS before <, long values, trailing octets, ; in user part, transports', () => {
    expect(parseRequest(load('lwsdisp')).from.displayName).toBe('caller');
    const longreq = parseRequest(load('longreq'));
    expect(longreq.via).toHaveLength(34);
    expect(longreq.via[33]?.received).toBe('192.0.2.5');
    const dblreq = parseRequest(load('dblreq'));
    expect(dblreq.method).toBe('REGISTER');
    expect(dblreq.body.length).toBe(0);
    expect(parseUri(parseRequest(load('semiuri')).uri)?.user).toBe('user;par=u@example.net');
    expect(parseRequest(load('transports')).via.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  });

  it('§3.1.1.11-13: binary body, UTF-8 and empty reason phrases', () => {
    const mpart = parseRequest(load('mpart01'));
    expect(mpart.body.length).toBe(553);
    expect(mpart.body.includes(Buffer.from([0x30, 0x82, 0x01, 0x52]))).toBe(true);
    const unreason = parseResponse(load('unreason'));
    expect(Buffer.from(unreason.reason, 'latin1').toString('utf8')).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    expect(parseResponse(load('noreason')).reason).toBe('');
  });

  it('§3.3 messages that parse keep what the relay needs', () => {
    const bext = parseRequest(load('bext01'));
    expect(bext.require).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(bext.proxyRequire).toEqual(['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
    expect(parseRequest(load('zeromf')).maxForwards).toBe(0);
    expect(parseRequest(load('inv2543')).maxForwards).toBeUndefined();
    expect(parseRequest(load('novelsc')).uri).toBe('soap.beep://192.0.2.103:3002');
    expect(parseRequest(load('cparam01')).contact[0]?.params.has('unknownparam')).toBe(true);
    expect(parseUri(parseRequest(load('cparam02')).contact[0]?.uri ?? '')?.params.has('unknownparam')).toBe(true);
    expect(parseUri(parseRequest(load('regescrt')).contact[0]?.uri ?? '')?.headers.get('Route')).toBe('<sip:sip.example.com>');
    const bcast = parseOk(load('bcast'));
    expect(bcast.via[1]?.host).toBe('255.255.255.255');
  });

  it('every fixture also parses from a fresh copy without reading past its buffer', () => {
    for (const name of VALID) {
      const buf = Buffer.from(load(name));
      const r = parseMessage(buf);
      expect(r.ok).toBe(true);
      expect((r as { ok: true; message: SipRequest }).message.source).toBe(buf);
    }
  });
});
