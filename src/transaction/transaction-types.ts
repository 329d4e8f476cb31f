/**
 * The types shared by the four state machines and the layer: what a transaction user (the relay,
 * the prober) implements to hear from a transaction, and what every transaction is given. Owned
 * by the machines' side: it names no machine (transactions.ts binds these to the machines), so
 * the machines can import it without an import cycle.
 */
import type { Logger } from '../shared/logger.js';
import type { PressureGauge } from '../shared/pressure.js';
import type { Scheduler } from '../shared/scheduler.js';
import type { SipResponse } from '../sip/message.js';
import type { StateTimers } from './state-timers.js';
import type { CompletedEntry } from './completed-transactions.js';
import type { TimerValues } from './timers.js';
import type { TransactionTransport } from './transport.js';

export type TransactionKind = 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';

/**
 * What a client transaction tells its user. Pass one long-lived object (the relay, the prober)
 * and keep per-request state in a Map keyed by the transaction: nothing is allocated per request.
 */
export interface ClientHandlers<Tx> {
  /** Every response the RFC passes up: provisionals, the final one, 2xx retransmissions (RFC 6026). */
  onResponse(tx: Tx, res: SipResponse): void;
  /**
   * Timer B or F: no response in time (the transaction has terminated), or Timer C on an INVITE
   * that got a provisional: the user sends a CANCEL (§16.8); the transaction stays open, still
   * ACKs a late non-2xx final and passes any late response up, then ends after 64·T1.
   */
  onTimeout(tx: Tx): void;
  /** The transport could not send the request (§17.1.4); the transaction has terminated. */
  onTransportError(tx: Tx, err: Error): void;
  /**
   * True when this user never reads `tx.request` after the final response was passed up: the
   * transaction then drops it on entering Completed or Accepted, so the transactions of the last
   * wait_timer seconds do not keep every parsed and forwarded request alive.
   */
  readonly releasesRequest?: boolean;
  /**
   * True when this user's retransmissions (Timers A and E) go out even while this thread is behind
   * (TransactionContext.pressure), which holds everyone else's: the prober's OPTIONS, one per
   * destination and interval and the operator's health signal, whose one lost reply must not fail
   * a probe and mark a healthy destination down.
   */
  readonly retransmitsUnderPressure?: boolean;
}

/**
 * What a client transaction keeps in place of its user's handlers once no state can call them
 * (Completed): the user's per-request objects (the relay's forwarding context) need not live on
 * for Timer D or K.
 */
export const NO_CLIENT_HANDLERS: ClientHandlers<unknown> = { onResponse() {}, onTimeout() {}, onTransportError() {} };

/** What a server transaction tells its user; both are optional (§16.9: no remedial action needed). */
export interface ServerHandlers<Tx> {
  /** Timer H fired: the ACK for a non-2xx final never came; the transaction has terminated. */
  onTimeout?(tx: Tx): void;
  /** A response could not be sent (§17.2.4). */
  onTransportError?(tx: Tx, err: Error): void;
  /**
   * True when this user never reads `tx.request` once it has sent a final response: the
   * transaction then drops it on entering Completed, Accepted or Confirmed.
   */
  readonly releasesRequest?: boolean;
}

/** Per-transaction overrides of fr_timer / fr_inv_timer (Kamailio's t_set_fr, ds_ping_fr_timer). */
export interface ClientTimeouts {
  frTimer?: number;
  frInvTimer?: number;
}

/** What stands in for a client transaction in Completed (absorbing-client.ts). */
export interface Absorber {
  /** Timer K fired or it was ended early. */
  readonly ended: boolean;
  abort(): void;
}

/** Given to every transaction by the layer: one object shared by all of them. */
export interface TransactionContext {
  readonly transport: TransactionTransport;
  readonly scheduler: Scheduler;
  readonly timers: TimerValues;
  readonly logger: Logger;
  /** Every transaction's state timer, a queue per duration. */
  readonly stateTimers: StateTimers;
  /** Called exactly once, when a transaction terminates, to drop it from the tables. */
  release(tx: { readonly kind: TransactionKind; readonly key: string } & CompletedEntry): void;
  /** A transaction entered a state that only absorbs retransmissions, which the cap may end early. */
  absorbing(tx: CompletedEntry): void;
  /**
   * A non-INVITE client transaction entered Completed over UDP: from now on a small record under
   * `key` absorbs response retransmissions until Timer K (absorbing-client.ts), in its place.
   */
  absorbResponses(key: string): Absorber;
  /**
   * This thread's own pressure. While it is behind, a request toward the farm is not retransmitted
   * on Timer A or E (the timer keeps its back-off; B and F still end the wait): the answer is most
   * likely waiting unread in its own socket buffer, and a retransmission adds load to a farm that
   * is fine. SIPp as a UAS even takes an INVITE retransmitted after its 180 for a new call and
   * aborts the call it had answered.
   */
  readonly pressure: PressureGauge;
  /**
   * An INVITE server transaction left Accepted on Timer L cut to wait_timer: its key absorbs late
   * retransmissions of the INVITE for the rest of RFC 6026's 64·T1 (accepted-invites.ts).
   */
  acceptedEnded(key: string): void;
}
