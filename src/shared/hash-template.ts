/**
 * A route's `hash_value`: the value algorithm 7 hashes, written like Kamailio's `hash_pvar`
 * (`$fU@$fd`, `$hdr(X-Tenant)`). Parsed once when the config loads (config/ reports errors with
 * file and path); relay/hash-value.ts prints it for each request. Shared because both read it.
 */
import { err, ok, type Result } from './result.js';

/** The pseudo-variables sipdispatch prints, with Kamailio's names. */
const HASH_VARIABLES = {
  ci: 'Call-ID',
  fu: 'From URI',
  fU: 'From URI user',
  fd: 'From URI host',
  tu: 'To URI',
  tU: 'To URI user',
  td: 'To URI host',
  ru: 'Request-URI',
  rU: 'Request-URI user',
  rd: 'Request-URI host',
  au: 'digest username',
  si: 'source IP address',
  sp: 'source port',
} as const;

export type HashVariable = keyof typeof HASH_VARIABLES;

export type HashPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'variable'; readonly name: HashVariable }
  /** `$hdr(Name)`: the first header of that name (compact forms too). */
  | { readonly kind: 'header'; readonly name: string };

const HEADER_NAME = /^[A-Za-z0-9!%*_+`'~.-]+$/;

/** Splits the template into text and variables; an unknown `$name` or a bad `$hdr(...)` is an error. */
export function parseHashTemplate(template: string): Result<readonly HashPart[], string> {
  const parts: HashPart[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, dollar);
    if (template.startsWith('$hdr(', dollar)) {
      const close = template.indexOf(')', dollar);
      const name = close < 0 ? '' : template.slice(dollar + 5, close);
      if (!HEADER_NAME.test(name)) return err(`"${template}": $hdr( ) needs a header name, e.g. $hdr(X-Tenant)`);
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'header', name });
      i = close + 1;
      continue;
    }
    const name = template.slice(dollar + 1, dollar + 3);
    if (!Object.hasOwn(HASH_VARIABLES, name) || /\w/.test(template.charAt(dollar + 3))) {
      return err(`"${template}": unknown variable at "${template.slice(dollar, dollar + 3)}" (known: ${Object.keys(HASH_VARIABLES).map((v) => `$${v}`).join(' ')} $hdr(Name))`);
    }
    if (text) parts.push({ kind: 'text', text });
    text = '';
    parts.push({ kind: 'variable', name: name as HashVariable });
    i = dollar + 3;
  }
  if (text) parts.push({ kind: 'text', text });
  if (!parts.some((p) => p.kind !== 'text')) return err(`"${template}": names no variable, so every call would hash the same`);
  return ok(parts);
}
