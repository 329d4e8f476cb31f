import { describe, expect, it } from 'vitest';
import { COMPACT_FORMS, canonicalName, headerKey } from '../../../src/sip/index.js';
import { findKnownHeader, keyOfHeader, nameOfHeader } from '../../../src/sip/header-names.js';

describe('header names', () => {
  it('maps compact forms and any case to the long lower-case key', () => {
    expect(headerKey('v')).toBe('via');
    expect(headerKey('V')).toBe('via');
    expect(headerKey('vIA')).toBe('via');
    expect(headerKey('i')).toBe('call-id');
    expect(headerKey('X-Unknown-Thing')).toBe('x-unknown-thing');
    for (const [short, key] of Object.entries(COMPACT_FORMS)) expect(headerKey(short.toUpperCase())).toBe(key);
  });

  it('interns keys: the same string object whatever the spelling', () => {
    const a = headerKey('Record-Route');
    const b = headerKey('RECORD-ROUTE');
    expect(a).toBe('record-route');
    expect(Object.is(a, b)).toBe(true);
  });

  it('finds known names inside a larger string without slicing', () => {
    const text = 'xxCONTENT-LENGTHyy';
    expect(keyOfHeader(findKnownHeader(text, 2, 16))).toBe('content-length');
    expect(keyOfHeader(findKnownHeader('l', 0, 1))).toBe('content-length');
    expect(findKnownHeader('Via2', 0, 4)).toBe(-1);
    expect(findKnownHeader('Vi@', 0, 3)).toBe(-1);
    expect(findKnownHeader('', 0, 0)).toBe(-1);
  });

  it('reuses the interned spelling when a name is written the usual way', () => {
    const text = 'Call-ID: x\r\nCALL-ID: y';
    expect(nameOfHeader(findKnownHeader(text, 0, 7), text, 0, 7)).toBe('Call-ID');
    expect(nameOfHeader(findKnownHeader(text, 12, 19), text, 12, 19)).toBe('CALL-ID');
    expect(keyOfHeader(findKnownHeader(text, 12, 19))).toBe('call-id');
  });

  it('spells the headers we add the usual way', () => {
    expect(canonicalName('call-id')).toBe('Call-ID');
    expect(canonicalName('cseq')).toBe('CSeq');
    expect(canonicalName('max-forwards')).toBe('Max-Forwards');
    expect(canonicalName('www-authenticate')).toBe('WWW-Authenticate');
    expect(canonicalName('record-route')).toBe('Record-Route');
  });
});
