/** The address shapes config/ parses and transport/ binds: one definition for both. */
import type { Transport } from './events.js';

export interface ListenSpec {
  readonly transport: Transport;
  /** The IP address to bind, without brackets. */
  readonly host: string;
  /** 0 lets the system pick (tests). */
  readonly port: number;
  readonly family: 4 | 6;
}

export interface HostPort {
  /** An IP address (without brackets) or a host name. */
  readonly host: string;
  readonly port: number | undefined;
}

/** Where HEP packets go (`hep.collector`). */
export interface HepCollectorSpec {
  readonly transport: 'udp' | 'tcp';
  /** An IP address (without brackets) or a host name. */
  readonly host: string;
  readonly port: number;
}
