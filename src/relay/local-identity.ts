/**
 * Who "we" are: the advertised address per transport and the aliases. Answers "is this URI us?"
 * (RFC 3261 §16.4, Kamailio's myself check) and prints our Via, Record-Route and Path values,
 * cached per transport because they go on every forwarded request.
 */
import { defaultPort } from '../sip/default-port.js';
import type { Transport } from '../shared/events.js';
import type { SipUri } from '../sip/message.js';
import { formatVia } from '../sip/via.js';
import type { LocalAddress } from '../shared/addresses.js';

export class LocalIdentity {
  /** Lower-case host (IPv6 in brackets) → its ports; ANY_PORT for an alias written without one. */
  private readonly names = new Map<string, Set<number> | typeof ANY_PORT>();
  private readonly rr: Record<Transport, string>;

  constructor(
    private readonly advertised: Record<Transport, LocalAddress | undefined>,
    aliases: readonly string[],
  ) {
    for (const a of [advertised.udp, advertised.tcp]) if (a) this.addName(bracket(a.host), a.port);
    for (const alias of aliases) {
      const { host, port } = splitAlias(alias);
      this.addName(host, port);
    }
    this.rr = { udp: this.routeUri('udp'), tcp: this.routeUri('tcp') };
  }

  isUs(uri: SipUri): boolean {
    return this.isUsAddress(uri.host, uri.port ?? defaultPort(uri.scheme));
  }

  /** `host` as written in a URI or Via (IPv6 with or without brackets); no port means 5060. */
  isUsAddress(host: string, port: number | undefined): boolean {
    const ports = this.names.get(bracket(host).toLowerCase());
    return ports === ANY_PORT || (ports !== undefined && ports.has(port ?? defaultPort('sip')));
  }

  private addName(host: string, port: number | undefined): void {
    const key = host.toLowerCase();
    const ports = this.names.get(key);
    if (ports === ANY_PORT) return;
    if (port === undefined) this.names.set(key, ANY_PORT);
    else if (ports) ports.add(port);
    else this.names.set(key, new Set([port]));
  }

  /** The address we show on `transport` (falls back to the other transport's). */
  address(transport: Transport): LocalAddress {
    const a = this.advertised[transport] ?? this.advertised[transport === 'udp' ? 'tcp' : 'udp'];
    if (!a) throw new Error('no local address configured');
    return a;
  }

  via(transport: Transport, branch: string): string {
    const a = this.address(transport);
    return formatVia({ transport: transport.toUpperCase(), host: bracket(a.host), port: a.port, branch, rport: true });
  }

  /** `<sip:host:port;lr>` (with `;transport=tcp` on TCP): our Record-Route value. */
  recordRoute(transport: Transport): string {
    return this.rr[transport];
  }

  /**
   * RFC 3327 Path naming us, carrying where the REGISTER really came from (Kamailio's
   * add_path_received), so requests to the registered contact reach it behind its NAT.
   */
  path(transport: Transport, source: { address: string; port: number; transport: Transport }): string {
    const received = `sip:${bracket(source.address)}:${source.port}${source.transport === 'tcp' ? ';transport=tcp' : ''}`;
    return `${this.rr[transport].slice(0, -1)};received=${encodeURIComponent(received)}>`;
  }

  private routeUri(transport: Transport): string {
    const a = this.advertised[transport] ?? this.advertised[transport === 'udp' ? 'tcp' : 'udp'];
    if (!a) return '';
    return `<sip:${bracket(a.host)}:${a.port}${transport === 'tcp' ? ';transport=tcp' : ''};lr>`;
  }
}

const ANY_PORT = 'any';

/** "host", "host:port", "[v6]", "[v6]:port" (a bare IPv6 address is a host without port). */
function splitAlias(alias: string): { host: string; port: number | undefined } {
  const close = alias.startsWith('[') ? alias.indexOf(']') : -1;
  const colon = alias.lastIndexOf(':');
  const hasPort = close >= 0 ? colon > close : colon > 0 && colon === alias.indexOf(':');
  if (!hasPort) return { host: bracket(alias), port: undefined };
  const port = Number(alias.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? { host: alias.slice(0, colon), port } : { host: bracket(alias), port: undefined };
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
