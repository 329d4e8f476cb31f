/**
 * Where a message goes and where one came from. The transaction layer declares the same shapes
 * (`src/transaction/transport.ts`); the transport manager satisfies them structurally.
 */
import type { Transport } from '../shared/events.js';

export interface Target {
  transport: Transport;
  /** An IP address or host name, without brackets. */
  host: string;
  port: number;
  /**
   * TCP: send on this connection while it is open, else fall back to host:port.
   * UDP: send from this listener socket (responses leave from the socket the request came in on).
   */
  connectionId?: string;
}

export interface LocalAddress {
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
  local: LocalAddress;
}

/** Stream transports retransmit for us, so the transaction layer skips timers A, E and G. */
export function isReliable(target: { transport: Transport }): boolean {
  return target.transport === 'tcp';
}
