/**
 * Salvages the headers a 400 needs (Via, From, To, Call-ID, CSeq) from a message that failed to
 * parse. Runs only on the error path; tolerant of anything, bounded by the text it is given.
 */
import type { PartialHeaders } from './message.js';
import { headerKey } from './header-names.js';
import { fieldValue, newFieldSpan, scanField } from './header-scanner.js';
import { equalsFolded, isToken } from './lexical.js';

/** Scans `text` (start line first, lines ending in LF) up to its first empty line. */
export function collectPartial(text: string): PartialHeaders {
  const isRequest = !(text.charCodeAt(3) === 47 && equalsFolded(text, 0, 3, 'sip'));
  const sp = text.indexOf(' ');
  const method = isRequest && sp > 0 && isToken(text, 0, sp) ? text.slice(0, sp) : undefined;
  const partial: PartialHeaders = { via: [], from: undefined, to: undefined, callId: undefined, cseq: undefined, method, isRequest };
  const span = newFieldSpan();
  let i = text.indexOf('\n') + 1;
  while (i > 0 && i < text.length && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) {
    scanField(text, i, span);
    if (span.colon !== -1) record(partial, headerKey(text.slice(i, span.nameEnd)), fieldValue(text, span));
    i = span.next;
  }
  return partial;
}

function record(partial: PartialHeaders, key: string, value: string): void {
  if (value === '') return;
  switch (key) {
    case 'via':
      partial.via.push(value);
      break;
    case 'from':
      partial.from ??= value;
      break;
    case 'to':
      partial.to ??= value;
      break;
    case 'call-id':
      partial.callId ??= value;
      break;
    case 'cseq':
      partial.cseq ??= value;
      break;
  }
}
