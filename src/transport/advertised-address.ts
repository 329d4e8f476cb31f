/**
 * The address we write in our own Via and Record-Route. Operators set `advertise` behind NAT or
 * in containers; otherwise the bound address is used. A wildcard bind (0.0.0.0, ::) names no
 * address, so it is replaced by the machine's first external interface address of that family,
 * and only when there is none (a loopback-only sandbox) by 127.0.0.1 / ::1. The manager logs a
 * warning in the wildcard case: on a multi-homed host the pick may be wrong, set `advertise`.
 */
import { defaultPort } from '../sip/default-port.js';
import type { Transport } from '../shared/events.js';
import type { HostPort, LocalAddress } from '../shared/addresses.js';
import { isWildcard, uriHost } from './socket-address.js';

export interface BoundAddress {
  transport: Transport;
  address: string;
  port: number;
  family: 4 | 6;
  /** The listener id (`udp:127.0.0.1:5060`), used as connectionId of what it receives. */
  id: string;
}

export interface InterfaceAddress {
  address: string;
  family: string;
  internal: boolean;
}

/**
 * For `transport`: advertise if set (its port, else the listener's), else the first listener of
 * that transport (or of any transport: an outbound-only TCP connection still needs a Via).
 * Undefined when nothing is bound and nothing is advertised.
 */
export function advertisedAddress(
  transport: Transport,
  bound: readonly BoundAddress[],
  advertise: HostPort | undefined,
  interfaces: readonly InterfaceAddress[],
): LocalAddress | undefined {
  const listener = bound.find((b) => b.transport === transport) ?? bound[0];
  if (advertise) return { host: uriHost(advertise.host), port: advertise.port ?? listener?.port ?? defaultPort('sip') };
  if (!listener) return undefined;
  return { host: uriHost(concreteAddress(listener, interfaces)), port: listener.port };
}

function concreteAddress(listener: BoundAddress, interfaces: readonly InterfaceAddress[]): string {
  if (!isWildcard(listener.address)) return listener.address;
  const family = listener.family === 4 ? 'IPv4' : 'IPv6';
  // link-local IPv6 needs a zone id nobody else can use
  const external = interfaces.find((i) => i.family === family && !i.internal && !i.address.startsWith('fe80:'));
  return external?.address ?? (listener.family === 4 ? '127.0.0.1' : '::1');
}
