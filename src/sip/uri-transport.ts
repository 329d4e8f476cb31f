/**
 * Which transport and port a SIP URI asks for (RFC 3263 §4.1-4.2 without NAPTR/SRV): the relay's
 * next hop and the prober's ping target read it the same way.
 */
import type { Transport } from '../shared/events.js';
import type { SipUri } from './message.js';

/**
 * The transport parameter, else TLS for sips, else UDP. `sips` with `transport=tcp` is TLS
 * (RFC 3261 §26.2.2); `ws`/`wss` per RFC 7118. Undefined for a transport we cannot speak.
 */
export function uriTransport(uri: SipUri): Transport | undefined {
  const t = uri.params.get('transport')?.toLowerCase();
  if (uri.scheme === 'sips') return t === undefined || t === 'tcp' || t === 'tls' ? 'tls' : t === 'ws' || t === 'wss' ? 'wss' : undefined;
  if (t === undefined || t === 'udp') return 'udp';
  return t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss' ? t : undefined;
}

/** The URI's port, else 5061 for TLS (RFC 3263 §4.2), else 5060. */
export function uriPort(uri: SipUri, transport: Transport): number {
  return uri.port ?? (transport === 'tls' || transport === 'wss' ? 5061 : 5060);
}
