/**
 * Where a message came from. Where one goes (Target) is shared/addresses.ts's; the transport
 * manager satisfies the transaction layer's interface structurally.
 */
import type { Transport } from '../shared/events.js';

/** The local socket address a message arrived on, as the socket reports it (no brackets). */
export interface SocketAddress {
  address: string;
  port: number;
}

/** Read-only for consumers: a TCP connection hands the same object with each of its messages. */
export interface MessageSource {
  transport: Transport;
  /** The peer address (IPv4-mapped IPv6 addresses are given as plain IPv4). */
  address: string;
  port: number;
  /** TCP: the connection; UDP: the listener socket that received the message. */
  connectionId?: string;
  /** The local socket address the message arrived on. */
  local: SocketAddress;
  /** TLS: the subject CN of the client's verified certificate. */
  certSubject?: string;
}

/** Stream transports retransmit for us, so the transaction layer skips timers A, E and G. */
export function isReliable(target: { transport: Transport }): boolean {
  return target.transport !== 'udp';
}
