import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dispatcherHash, hashTrimmed, kamailioHash } from '../../../src/dispatcher/hash.js';
import { uriHash } from '../../../src/dispatcher/uri-hash.js';

interface Vector {
  nslots: number;
  values: [string] | [string, string];
  hashid: number;
  hashid_unsigned: number;
  slot: number;
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/dispatcher/kamailio-hash-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const latin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

describe('dispatcherHash matches Kamailio 5.6 (kamcmd dispatcher.hash)', () => {
  it.each(fixture.vectors.map((v) => [v.nslots, v.values.join(' '), v] as const))('%s slots, %s', (_n, _label, v) => {
    const got = dispatcherHash(v.nslots, v.values[0], v.values[1]);
    expect(got).toEqual({ hashid: v.hashid_unsigned, slot: v.slot });
    expect(got.hashid | 0).toBe(v.hashid);
  });

  it('hashes wire byte strings (latin1) to the same value as the UTF-8 text', () => {
    for (const v of fixture.vectors) {
      const v2 = v.values[1];
      expect(kamailioHash(latin1(v.values[0]), v2 === undefined ? undefined : latin1(v2))).toBe(v.hashid_unsigned);
    }
  });

  it('sign-extends bytes >= 0x80: Kamailio agrees, an unsigned-char hash does not', () => {
    const v = fixture.vectors.find((x) => x.values[0] === '\u0080');
    // U+0080 is the two UTF-8 bytes C2 80; read unsigned, v = 0xC280 and h = v ^ (v >> 3)
    const unsignedV = 0xc280;
    let h = (unsignedV ^ (unsignedV >>> 3)) >>> 0;
    h = (h + (h >>> 11) + ((h >>> 13) + (h >>> 23))) >>> 0;
    expect(v?.hashid_unsigned).toBe(kamailioHash('\u00c2\u0080'));
    expect(v?.hashid_unsigned).not.toBe(h);
  });
});

describe('hashTrimmed (Call-ID, hash_pvar)', () => {
  it('trims spaces, tabs, CR and LF like Kamailio trim()', () => {
    expect(hashTrimmed(' \tabc\r\n')).toBe(kamailioHash('abc'));
  });
  it('returns 0 for an empty or blank value', () => {
    expect(hashTrimmed('')).toBe(0);
    expect(hashTrimmed(' \t ')).toBe(0);
  });
});

describe('uriHash (get_uri_hash_keys: user + host[:port != default])', () => {
  it.each([
    ['sip:alice@example.com', 'alice', 'example.com'],
    ['sip:alice@example.com:5060', 'alice', 'example.com'],
    ['sip:alice@example.com:5080', 'alice', 'example.com:5080'],
    ['sip:alice@example.com:05080;transport=tcp', 'alice', 'example.com:05080'],
    ['sips:alice@example.com:5061', 'alice', 'example.com'],
    ['sips:alice@example.com:5060', 'alice', 'example.com:5060'],
    ['SIP:alice:secret@Example.COM;user=phone?subject=x', 'alice', 'Example.COM'],
    ['sip:+1234;npdi@gw.example.net', '+1234;npdi', 'gw.example.net'],
    ['sip:bob@[2001:db8::1]:5070', 'bob', '[2001:db8::1]:5070'],
    ['sip:example.com:5070', '', 'example.com:5070'],
  ])('%s hashes as (%s, %s)', (uri, user, hostport) => {
    expect(uriHash(uri)).toBe(kamailioHash(user, hostport));
  });

  it.each(['tel:+1234', 'mailto:a@b', 'sip:', 'sip:alice@', 'sip:bob@[2001:db8::1', ''])('returns 0 for %j', (uri) => {
    expect(uriHash(uri)).toBe(0);
  });
});
