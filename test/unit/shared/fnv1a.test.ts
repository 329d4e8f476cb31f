import { describe, expect, it } from 'vitest';
import { FNV_BASIS, FNV_BASIS_2, fnv1aString } from '../../../src/shared/fnv1a.js';
import { fnv1a } from '../../../src/threads/thread-router.js';

describe('fnv1aString', () => {
  it('gives the published FNV-1a 32-bit values for ASCII keys', () => {
    expect(fnv1aString('', FNV_BASIS)).toBe(0x811c9dc5);
    expect(fnv1aString('a', FNV_BASIS)).toBe(0xe40c292c);
    expect(fnv1aString('foobar', FNV_BASIS)).toBe(0xbf9cf968);
  });

  it('agrees with the byte version on ASCII, and the second basis gives another hash', () => {
    const key = 'z9hG4bK-1|127.0.0.1:5060|INVITE';
    expect(fnv1aString(key, FNV_BASIS)).toBe(fnv1a(Buffer.from(key, 'latin1'), 0, key.length));
    expect(fnv1aString(key, FNV_BASIS_2)).not.toBe(fnv1aString(key, FNV_BASIS));
  });
});
