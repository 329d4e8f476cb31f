/** Where a URI points (RFC 3263 without DNS SRV: transport param, maddr, default ports). */
import { defaultPort } from '../sip/default-port.js';
import type { Transport } from '../shared/events.js';
import type { SipUri } from '../sip/message.js';
import { parseUri } from '../sip/uri.js';

export interface NextHop {
  transport: Transport;
  /** Host name or IP literal, without brackets. */
  host: string;
  port: number;
}

export function nextHopOf(uri: SipUri): NextHop | undefined {
  if (uri.scheme === 'tel') return undefined;
  const t = uri.params.get('transport')?.toLowerCase();
  // sips and TLS ride on TCP until TLS lands; an unknown transport cannot be reached.
  const transport: Transport | undefined = uri.scheme === 'sips' || t === 'tcp' || t === 'tls' ? 'tcp' : t === undefined || t === 'udp' ? 'udp' : undefined;
  if (transport === undefined) return undefined;
  const host = uri.params.get('maddr') ?? uri.host;
  if (!host) return undefined;
  return { transport, host: unbracket(host), port: uri.port ?? defaultPort(uri.scheme) };
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

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
