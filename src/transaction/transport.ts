/**
 * What the transaction layer needs from a transport. src/transport/ satisfies it structurally;
 * neither folder imports the other (the Target shape is shared/'s).
 *
 * Send failures (ICMP unreachable, connect refused, connection lost; RFC 3261 §18.4) come back
 * through the `onError` callback given to `send`, not through a returned Promise: a transaction
 * binds that callback once, so a retransmission allocates nothing, and there is no rejection to
 * forget to observe. The transport calls it at most once per send, and only on failure,
 * preferably asynchronously (as node's socket callbacks are); a transaction that has already
 * terminated ignores it.
 */
import type { Target } from '../shared/addresses.js';

export type SendErrorHandler = (err: Error) => void;

export interface TransactionTransport {
  /** Send one serialized message; report a failure later through `onError`. */
  send(bytes: Buffer, target: Target, onError: SendErrorHandler): void;
  /** True over TCP (no retransmissions, zero-length absorb timers). */
  isReliable(target: Target): boolean;
}
