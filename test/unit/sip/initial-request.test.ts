import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InitialRequestScan, isCancel } from '../../../src/sip/initial-request.js';
import { parseMessage } from '../../../src/sip/parse-message.js';
import { requestWithTo } from './helpers.js';

const SHED = ['INVITE', 'REGISTER', 'SUBSCRIBE', 'MESSAGE', 'OPTIONS'];
const scan = new InitialRequestScan(SHED);

const request = requestWithTo;

describe('a new initial request, from its bytes', () => {
  it.each([
    ['an INVITE without a To tag', request('INVITE', 'To: <sip:service@127.0.0.1>')],
    ['a REGISTER, compact To', request('REGISTER', 't: sip:1000@127.0.0.1')],
    ['an OPTIONS, To with other parameters', request('OPTIONS', 'To: <sip:service@127.0.0.1>;foo=bar')],
    ['a To whose URI has a tag-like user parameter', request('INVITE', 'To: <sip:service@127.0.0.1;user=tag>')],
  ])('is %s', (_what, bytes) => {
    expect(scan.matches(bytes)).toBe(true);
  });

  it.each([
    ['an in-dialog INVITE (re-INVITE)', request('INVITE', 'To: <sip:service@127.0.0.1>;tag=abc')],
    ['a tag in capitals, blanks around it', request('INVITE', 'TO : <sip:service@127.0.0.1>;foo ; TAG = abc')],
    ['a BYE', request('BYE', 'To: <sip:service@127.0.0.1>')],
    ['an ACK', request('ACK', 'To: <sip:service@127.0.0.1>')],
    ['a CANCEL', request('CANCEL', 'To: <sip:service@127.0.0.1>')],
    ['a method not in the list', request('INFO', 'To: <sip:service@127.0.0.1>')],
    ['a method only starting like one in the list', request('INVITEX', 'To: <sip:service@127.0.0.1>')],
    ['a request without a To header', request('INVITE', 'Subject: To: tag')],
    ['a response', Buffer.from('SIP/2.0 200 OK\r\nTo: <sip:a@b>\r\n\r\n', 'latin1')],
    ['a lower-case method (methods are case-sensitive)', request('invite', 'To: <sip:service@127.0.0.1>')],
  ])('is not %s', (_what, bytes) => {
    expect(scan.matches(bytes)).toBe(false);
  });

  it('reads ";tag=" in a quoted display name as a tag: such a request is handled at once, in order', () => {
    expect(scan.matches(request('INVITE', 'To: "a;tag=b" <sip:service@127.0.0.1>'))).toBe(false);
  });

  it('only the To header counts, not a tag in another header', () => {
    expect(scan.matches(request('INVITE', 'To: <sip:service@127.0.0.1>', ['Subject: x;tag=1']))).toBe(true);
  });

  it('agrees with the parser on method and To tag (property)', () => {
    const method = fc.constantFrom('INVITE', 'REGISTER', 'SUBSCRIBE', 'MESSAGE', 'OPTIONS', 'BYE', 'ACK', 'CANCEL', 'INFO', 'NOTIFY');
    const name = fc.constantFrom('To', 'to', 'TO', 't', 'T', 'To ', 't\t');
    const token = fc.stringMatching(/^[a-zA-Z0-9.-]{1,12}$/);
    const param = fc.tuple(fc.constantFrom('tag', 'TAG', 'Tag', 'foo', 'transport', 'tagx', 'xtag'), token, fc.constantFrom(';', ' ;', '; ', ' ; '), fc.constantFrom('=', ' = '));
    const display = fc.constantFrom('', '"Service" ', 'Bob ');
    fc.assert(
      fc.property(method, name, display, fc.array(param, { maxLength: 3 }), fc.boolean(), (m, n, d, params, before) => {
        const to = `${n}: ${d}<sip:service@127.0.0.1>${params.map(([p, v, semi, eq]) => `${semi}${p}${eq}${v}`).join('')}`;
        const bytes = request(m, to, before ? ['Subject: x'] : []);
        const parsed = parseMessage(bytes);
        if (!parsed.ok || parsed.message.kind !== 'request') return;
        expect(scan.matches(bytes)).toBe(SHED.includes(parsed.message.method) && parsed.message.to.tag === undefined);
      }),
      { numRuns: 500 },
    );
  });
});

describe('a CANCEL, from its bytes', () => {
  it('is told from other requests and responses', () => {
    expect(isCancel(request('CANCEL', 'To: <sip:a@b>'))).toBe(true);
    expect(isCancel(request('INVITE', 'To: <sip:a@b>'))).toBe(false);
    expect(isCancel(Buffer.from('SIP/2.0 200 OK\r\n\r\n'))).toBe(false);
    expect(isCancel(Buffer.from('CANCE'))).toBe(false);
  });
});
