/** The default SIP port and how a listener is written (config/listen-spec.ts parses them). */
import type { Transport } from '../shared/events.js';
import { uriHost } from './socket-address.js';

export const DEFAULT_SIP_PORT = 5060;

/** `udp:[::1]:5060`: as written on the command line. */
export function formatListenSpec(spec: { transport: Transport; host: string; port: number }): string {
  return `${spec.transport}:${uriHost(spec.host)}:${spec.port}`;
}
