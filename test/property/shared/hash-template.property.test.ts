import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHashTemplate, type HashPart } from '../../../src/shared/hash-template.js';

const VARIABLES = ['ci', 'fu', 'fU', 'fd', 'tu', 'tU', 'td', 'ru', 'rU', 'rd', 'au', 'si', 'sp'] as const;

/** Text without `$`. */
const text = fc.string({ minLength: 1, maxLength: 8 }).map((s) => s.replace(/\$/g, '@'));
const part: fc.Arbitrary<HashPart> = fc.oneof(
  text.map((t) => ({ kind: 'text' as const, text: t })),
  fc.constantFrom(...VARIABLES).map((name) => ({ kind: 'variable' as const, name })),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/).map((name) => ({ kind: 'header' as const, name })),
);

function print(parts: readonly HashPart[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'variable' ? `$${p.name}` : `$hdr(${p.name})`)).join('');
}

/** Adjacent texts merge when printed, so the parse gives them back as one. */
function normal(parts: readonly HashPart[]): HashPart[] {
  const out: HashPart[] = [];
  for (const p of parts) {
    const last = out.at(-1);
    if (p.kind === 'text' && last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + p.text };
    else out.push(p);
  }
  return out;
}

describe('hash_value template properties', () => {
  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (t) => {
        parseHashTemplate(t);
      }),
    );
  });

  it('parses back what it prints, for any mix of text, variables and headers', () => {
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const merged = normal(parts);
        fc.pre(merged.some((p) => p.kind !== 'text'));
        fc.pre(merged.every((p, i) => p.kind !== 'text' || merged[i - 1]?.kind !== 'variable' || !/^\w/.test(p.text)));
        expect(parseHashTemplate(print(merged))).toEqual({ ok: true, value: merged });
      }),
    );
  });
});
