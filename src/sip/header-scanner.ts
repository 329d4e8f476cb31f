/**
 * Finds the extent of one header field (with its folded continuation lines) in a decoded header
 * section where every line ends with LF (CRLF or bare LF). Shared by the parser, the partial-header
 * salvage and the stream framer, so all three agree on where a field starts and ends.
 */
import { skipWhitespace, trimEnd } from './lexical.js';

/** Positions of one header field; reused between calls to avoid allocating per field. */
export interface FieldSpan {
  /** Index of the ":"; -1 when the first line has none. */
  colon: number;
  /** End of the name (whitespace before the colon dropped). */
  nameEnd: number;
  valueStart: number;
  valueEnd: number;
  /** End of the field's last line, CR/LF excluded (trailing whitespace included). */
  fieldEnd: number;
  /** Start of the next field. */
  next: number;
  /** True when the field spans several lines. */
  folded: boolean;
}

export const newFieldSpan = (): FieldSpan => ({ colon: -1, nameEnd: 0, valueStart: 0, valueEnd: 0, fieldEnd: 0, next: 0, folded: false });

function lineEndAt(text: string, nl: number, from: number): number {
  return nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
}

/** Fills `span` for the field starting at `start`. */
export function scanField(text: string, start: number, span: FieldSpan): void {
  let nl = text.indexOf('\n', start);
  if (nl === -1) nl = text.length;
  const firstEnd = lineEndAt(text, nl, start);
  let end = firstEnd;
  let next = nl + 1;
  let folded = false;
  while (next < text.length) {
    const c = text.charCodeAt(next);
    if (c !== 32 && c !== 9) break;
    folded = true;
    nl = text.indexOf('\n', next);
    if (nl === -1) nl = text.length;
    end = lineEndAt(text, nl, next);
    next = nl + 1;
  }
  const colon = text.indexOf(':', start);
  span.colon = colon !== -1 && colon < firstEnd ? colon : -1;
  span.nameEnd = span.colon === -1 ? start : trimEnd(text, start, span.colon);
  span.fieldEnd = end;
  span.next = next;
  span.folded = folded;
  span.valueStart = span.colon === -1 ? end : skipWhitespace(text, span.colon + 1, end);
  span.valueEnd = trimEnd(text, span.valueStart, end);
}

/** The field value: trimmed, each line fold (CRLF plus surrounding whitespace) turned into one space. */
export function fieldValue(text: string, span: FieldSpan): string {
  const raw = text.slice(span.valueStart, span.valueEnd);
  if (!span.folded) return raw;
  return raw.replace(/[ \t]*\r?\n[ \t]*/g, ' ').trim();
}
