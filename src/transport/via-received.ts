/**
 * What a server adds to the top Via of a request it receives: RFC 3261 §18.2.1 (`received`) and
 * RFC 3581 §4 (`rport`). Pure, so the rules are unit-tested without sockets.
 */
import type { Via } from '../sip/message.js';
import { sameHost } from './socket-address.js';

export interface ViaReceivedParams {
  /** The source address, or undefined when the Via needs no `received`. */
  received: string | undefined;
  /** The source port, or undefined when the Via gets no `rport` value. */
  rport: number | undefined;
}

/**
 * `forceRport` is Kamailio's `force_rport()`: behave as if the client had sent `;rport`.
 * Returns undefined when the Via stays as it is.
 */
export function viaReceivedParams(via: Via, address: string, port: number, forceRport: boolean): ViaReceivedParams | undefined {
  // RFC 3581 §4: when rport is present, fill it with the source port...
  const rport = via.rport !== undefined || forceRport ? port : undefined;
  // ...and add received "even if it is identical to the value of the sent-by component".
  // RFC 3261 §18.2.1: otherwise add it when sent-by differs from the source address. A received
  // the client wrote itself is not ours to keep: it is overwritten.
  const needsReceived = rport !== undefined || via.received !== undefined || !sameHost(via.host, address);
  if (rport === undefined && !needsReceived) return undefined;
  return { received: needsReceived ? address : undefined, rport };
}
