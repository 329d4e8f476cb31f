import { describe, expect, it } from 'vitest';
import { parseHashTemplate } from '../../../src/shared/hash-template.js';

describe('parseHashTemplate (Kamailio hash_pvar syntax)', () => {
  it.each([
    { text: '$fU@$fd', want: [{ kind: 'variable', name: 'fU' }, { kind: 'text', text: '@' }, { kind: 'variable', name: 'fd' }] },
    { text: 'tenant-$hdr(X-Tenant)', want: [{ kind: 'text', text: 'tenant-' }, { kind: 'header', name: 'X-Tenant' }] },
    { text: '$ci', want: [{ kind: 'variable', name: 'ci' }] },
    { text: '$si:$sp/$au', want: [{ kind: 'variable', name: 'si' }, { kind: 'text', text: ':' }, { kind: 'variable', name: 'sp' }, { kind: 'text', text: '/' }, { kind: 'variable', name: 'au' }] },
  ])('parses $text', ({ text, want }) => {
    expect(parseHashTemplate(text)).toEqual({ ok: true, value: want });
  });

  it.each([
    { text: '$xx', want: 'unknown variable at "$xx"' },
    { text: '$fUx', want: 'unknown variable at "$fU"' },
    { text: '$', want: 'unknown variable' },
    { text: '$hdr()', want: '$hdr( ) needs a header name' },
    { text: '$hdr(X-Tenant', want: '$hdr( ) needs a header name' },
    { text: 'constant', want: 'names no variable' },
  ])('rejects $text', ({ text, want }) => {
    const r = parseHashTemplate(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(want);
  });
});
