/**
 * The address shapes every layer shares, defined once: what config/ parses and transport/ binds,
 * where a message goes, and the address we call our own.
 */
import type { Transport } from './events.js';

export interface ListenSpec {
  readonly transport: Transport;
  /** The IP address to bind, without brackets. */
  readonly host: string;
  /** 0 lets the system pick (tests). */
  readonly port: number;
  readonly family: 4 | 6;
  /** UDP: this process's socket, already bound there, to read too (worker threads share the main thread's). */
  readonly fd?: number;
}

export interface HostPort {
  /** An IP address (without brackets) or a host name. */
  readonly host: string;
  readonly port: number | undefined;
}

/** Where a message goes (or came from); transaction/ sends to it, transport/ satisfies it. */
export interface Target {
  transport: Transport;
  /** An IP address (the relay and the prober resolve names before creating a transaction). */
  host: string;
  port: number;
  /**
   * TCP: send on this connection while it is open, else fall back to host:port.
   * UDP: send from this listener socket (responses leave from the socket the request came in on).
   */
  connectionId?: string;
}

/** Our own address as written in Via, Record-Route and Path: IPv6 in brackets. */
export interface LocalAddress {
  readonly host: string;
  readonly port: number;
}

/** Where HEP packets go (`hep.collector`). */
export interface HepCollectorSpec {
  readonly transport: 'udp' | 'tcp';
  /** An IP address (without brackets) or a host name. */
  readonly host: string;
  readonly port: number;
}
