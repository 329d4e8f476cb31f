/**
 * The listener and address shapes the transports take (config/listen-spec.ts parses them from
 * the command line and the config file; the shapes match structurally).
 */
import type { Transport } from '../shared/events.js';
import { uriHost } from './socket-address.js';

export const DEFAULT_SIP_PORT = 5060;

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

/** `udp:[::1]:5060`: as written on the command line. */
export function formatListenSpec(spec: { transport: Transport; host: string; port: number }): string {
  return `${spec.transport}:${uriHost(spec.host)}:${spec.port}`;
}
