/** Where a URI points (RFC 3263 without DNS SRV: transport param, maddr, default ports). */
import type { Transport } from '../shared/events.js';
import type { SipUri } from '../sip/message.js';
import { parseUri } from '../sip/uri.js';
import { uriPort, uriTransport } from '../sip/uri-transport.js';
import type { Flow } from './flow-token.js';

export interface NextHop {
  transport: Transport;
  /** Host name or IP literal, without brackets. */
  host: string;
  port: number;
  /** A flow token picked this hop: send on that connection or answer 430/480, never elsewhere. */
  flow?: Flow;
}

export function nextHopOf(uri: SipUri): NextHop | undefined {
  if (uri.scheme === 'tel') return undefined;
  const transport = uriTransport(uri);
  if (transport === undefined) return undefined;
  const host = uri.params.get('maddr') ?? uri.host;
  if (!host) return undefined;
  return { transport, host: unbracket(host), port: uriPort(uri, transport) };
}

/** The `received` parameter our Path carried (see LocalIdentity.path), decoded. */
export function receivedHop(routeUri: SipUri): NextHop | undefined {
  const received = routeUri.params.get('received');
  if (!received) return undefined;
  let text: string;
  try {
    text = decodeURIComponent(received);
  } catch {
    return undefined;
  }
  const u = parseUri(text);
  return u ? nextHopOf(u) : undefined;
}

/** An IPv6 reference without its brackets; anything else as it is. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
