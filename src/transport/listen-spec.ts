/** How a listener is written (config/listen-spec.ts parses it; the default port is sip/default-port.ts). */
import type { Transport } from '../shared/events.js';
import { uriHost } from './socket-address.js';

/** `udp:[::1]:5060`: as written on the command line. */
export function formatListenSpec(spec: { transport: Transport; host: string; port: number }): string {
  return `${spec.transport}:${uriHost(spec.host)}:${spec.port}`;
}
