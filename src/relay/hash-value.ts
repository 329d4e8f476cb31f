/**
 * Prints a route's hash_value template for one request, as Kamailio's pv_printf does for
 * hash_pvar: a value the request lacks prints `<null>`. The result is algorithm 7's key.
 */
import { uriUserHost } from '../dispatcher/uri-hash.js';
import type { SelectionKey } from '../dispatcher/select.js';
import type { HashPart, HashVariable } from '../shared/hash-template.js';
import { headerKey } from '../sip/header-names.js';
import type { SipRequest } from '../sip/message.js';
import type { Source } from './relay-ports.js';

/** Kamailio's pv_get_null text. */
const NULL = '<null>';

export type HashValue = (req: SipRequest, key: SelectionKey, source: Source) => string;

/** Compiles the parsed template once per route: header names are interned here, not per request. */
export function compileHashValue(parts: readonly HashPart[]): HashValue {
  const steps = parts.map((p) => (p.kind === 'header' ? { kind: p.kind, name: headerKey(p.name) } : p));
  return (req, key, source) => {
    let out = '';
    for (const p of steps) {
      if (p.kind === 'text') out += p.text;
      else if (p.kind === 'header') out += header(req, p.name);
      else out += variable(p.name, key, source);
    }
    return out;
  };
}

function header(req: SipRequest, key: string): string {
  for (const h of req.headers) if (h.key === key) return h.value;
  return NULL;
}

function variable(name: HashVariable, key: SelectionKey, source: Source): string {
  switch (name) {
    case 'ci':
      return key.callId;
    case 'fu':
      return key.fromUri;
    case 'tu':
      return key.toUri;
    case 'ru':
      return key.ruri;
    case 'fU':
      return orNull(uriUserHost(key.fromUri)?.user);
    case 'fd':
      return orNull(uriUserHost(key.fromUri)?.host);
    case 'tU':
      return orNull(uriUserHost(key.toUri)?.user);
    case 'td':
      return orNull(uriUserHost(key.toUri)?.host);
    case 'rU':
      return orNull(uriUserHost(key.ruri)?.user);
    case 'rd':
      return orNull(uriUserHost(key.ruri)?.host);
    case 'au':
      return orNull(key.authUser);
    case 'si':
      return source.address;
    case 'sp':
      return String(source.port);
  }
}

function orNull(value: string | undefined): string {
  return value ? value : NULL;
}
