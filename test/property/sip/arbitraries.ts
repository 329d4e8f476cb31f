/** fast-check generators of valid SIP messages, as wire bytes. */
import fc from 'fast-check';

const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const tokenChars = alnum + "-.!%*_+`'~";
const str = (chars: string, min: number, max: number) => fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: min, maxLength: max });

export const token = str(tokenChars, 1, 12);
const label = str('abcdefghijklmnopqrstuvwxyz0123456789', 1, 8);
const host = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.')),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((n) => n.join('.')),
  fc.constantFrom('[2001:db8::1]', '[::1]'),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const hostport = fc.tuple(host, port).map(([h, p]) => (p === undefined ? h : `${h}:${p}`));
const user = str(alnum + "-_.!~*'()&=+$,;?/", 1, 10);
const sipUri = fc.tuple(fc.constantFrom('sip', 'sips', 'SIP'), fc.option(user, { nil: undefined }), hostport, fc.array(fc.tuple(label, fc.option(label, { nil: undefined })), { maxLength: 2 }))
  .map(([scheme, u, hp, params]) => `${scheme}:${u === undefined ? '' : `${u}@`}${hp}${params.map(([n, v]) => (v === undefined ? `;${n}` : `;${n}=${v}`)).join('')}`);

/** Random case, to exercise case-insensitive names. */
const anyCase = (s: string) => fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => s.split('').map((c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

const lws = fc.constantFrom('', ' ', '  ', '\t', '\r\n ', '\r\n\t ');
const sp = fc.constantFrom(' ', '  ', '\r\n ');
const quotedText = fc.string({ unit: fc.constantFrom(...'abc XYZ,;:<>@\\"'.split('')), maxLength: 10 }).map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
const display = fc.oneof(fc.constant(''), quotedText.map((q) => `${q} `), fc.array(token, { minLength: 1, maxLength: 3 }).map((t) => `${t.join(' ')} `));
const tagParam = fc.option(token.map((t) => `;tag=${t}`), { nil: '' });
const nameAddr = fc.oneof(
  fc.tuple(display, sipUri, tagParam).map(([d, u, t]) => `${d}<${u}>${t}`),
  fc.tuple(host, tagParam).map(([h, t]) => `sip:x@${h}${t}`),
);
const via = fc.tuple(fc.constantFrom('UDP', 'TCP', 'tls', 'SCTP'), hostport, token, fc.boolean(), sp)
  .map(([t, hp, b, rport, s]) => `SIP/2.0/${t}${s}${hp};branch=z9hG4bK${b}${rport ? ';rport' : ''}`);
const unknownValue = fc.string({ unit: fc.constantFrom(...' abc,;:"<>=/\\@%'.split('')), maxLength: 20 });

export interface GeneratedMessage {
  bytes: Buffer;
  method: string;
}

/** A valid request with a random mix of headers, folding, compact forms and a body. */
export const validRequest: fc.Arbitrary<GeneratedMessage> = fc
  .record({
    method: fc.oneof(fc.constantFrom('INVITE', 'OPTIONS', 'BYE', 'REGISTER'), token),
    uri: sipUri,
    vias: fc.array(via, { minLength: 1, maxLength: 3 }),
    viaName: fc.constantFrom('Via', 'v', 'VIA'),
    from: nameAddr,
    to: nameAddr,
    fromName: fc.constantFrom('From', 'f'),
    callId: fc.tuple(token, fc.option(host, { nil: undefined })).map(([a, h]) => (h === undefined ? a : `${a}@${h}`)),
    cseq: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    maxForwards: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    routes: fc.array(sipUri.map((u) => `<${u};lr>`), { maxLength: 3 }),
    unknown: fc.array(fc.tuple(token.filter((t) => t.length > 1), unknownValue), { maxLength: 4 }),
    body: fc.string({ maxLength: 60 }),
    lengthName: fc.constantFrom('Content-Length', 'l'),
    cseqName: anyCase('cseq'),
    colon: fc.constantFrom(':', ': ', ' : ', ':\t'),
    fold: lws,
  })
  .map((m) => {
    const bodyBytes = Buffer.from(m.body, 'utf8');
    const lines = [
      `${m.method} ${m.uri} SIP/2.0`,
      ...m.vias.map((v) => `${m.viaName}${m.colon}${v}`),
      `${m.fromName}${m.colon}${m.from}`,
      `To${m.colon}${m.to}`,
      `Call-ID${m.colon}${m.callId}`,
      `${m.cseqName}${m.colon}${m.cseq}${m.fold === '' ? ' ' : m.fold}${m.method}`,
      ...(m.maxForwards === undefined ? [] : [`Max-Forwards${m.colon}${m.maxForwards}`]),
      ...(m.routes.length === 0 ? [] : [`Route${m.colon}${m.routes.join(`,${m.fold}`)}`]),
      ...m.unknown.map(([n, v]) => `X-${n}${m.colon}${v}`),
      `${m.lengthName}${m.colon}${bodyBytes.length}`,
    ];
    return { bytes: Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bodyBytes]), method: m.method };
  });
