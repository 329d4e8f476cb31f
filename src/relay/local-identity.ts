/**
 * Who "we" are: the advertised address per transport and the aliases. Answers "is this URI us?"
 * (RFC 3261 §16.4, Kamailio's myself check) and prints our Via, Record-Route and Path values,
 * cached per transport because they go on every forwarded request.
 */
import { defaultPort } from '../sip/default-port.js';
import { TRANSPORTS, type Transport } from '../shared/events.js';
import type { SipUri } from '../sip/message.js';
import { formatVia } from '../sip/via.js';
import type { LocalAddress } from '../shared/addresses.js';

export class LocalIdentity {
  /** Lower-case host (IPv6 in brackets) → its ports; ANY_PORT for an alias written without one. */
  private readonly names = new Map<string, Set<number> | typeof ANY_PORT>();
  private readonly rr = new Map<Transport, string>();

  constructor(
    private readonly advertised: Partial<Record<Transport, LocalAddress>>,
    aliases: readonly string[],
  ) {
    for (const t of TRANSPORTS) {
      const a = advertised[t];
      if (a) this.addName(bracket(a.host), a.port);
    }
    for (const alias of aliases) {
      const { host, port } = splitAlias(alias);
      this.addName(host, port);
    }
    for (const t of TRANSPORTS) this.rr.set(t, this.routeUri(t, ''));
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

  /** The address we show on `transport` (falls back to UDP's, then to any other's). */
  address(transport: Transport): LocalAddress {
    const a = this.addressOrNone(transport);
    if (!a) throw new Error('no local address configured');
    return a;
  }

  /** Our Via; `port`: another local port than the listener's (a thread's own farm socket). */
  via(transport: Transport, branch: string, port?: number): string {
    const a = this.address(transport);
    return formatVia({ transport: transport.toUpperCase(), host: bracket(a.host), port: port ?? a.port, branch, rport: true });
  }

  /**
   * `<sip:host:port;lr>` (with `;transport=tcp|tls|ws|wss` off UDP): our Record-Route value. With
   * a flow token (RFC 5626 §5.3) it is the user part and the URI carries `;ob`.
   */
  recordRoute(transport: Transport, flowToken?: string): string {
    return flowToken === undefined ? this.rr.get(transport)! : this.routeUri(transport, flowToken);
  }

  /**
   * RFC 3327 Path naming us. A REGISTER over a connection gets the flow token of that connection
   * (RFC 5626); otherwise the Path carries where it really came from (Kamailio's
   * add_path_received), so requests to the registered contact reach it behind its NAT.
   */
  path(transport: Transport, source: { address: string; port: number; transport: Transport }, flowToken?: string): string {
    if (flowToken !== undefined) return this.routeUri(transport, flowToken);
    const received = `sip:${bracket(source.address)}:${source.port}${source.transport === 'udp' ? '' : `;transport=${source.transport}`}`;
    return `${this.rr.get(transport)!.slice(0, -1)};received=${encodeURIComponent(received)}>`;
  }

  private addressOrNone(transport: Transport): LocalAddress | undefined {
    return this.advertised[transport] ?? this.advertised.udp ?? TRANSPORTS.map((t) => this.advertised[t]).find((a) => a !== undefined);
  }

  private routeUri(transport: Transport, user: string): string {
    const a = this.addressOrNone(transport);
    if (!a) return '';
    const param = transport === 'udp' ? '' : `;transport=${transport}`;
    return `<sip:${user === '' ? '' : `${user}@`}${bracket(a.host)}:${a.port}${param};lr${user === '' ? '' : ';ob'}>`;
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
