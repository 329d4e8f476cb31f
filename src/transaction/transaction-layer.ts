/**
 * The transaction layer the relay and the prober use: it matches incoming requests to server
 * transactions (RFC 3261 §17.2.3, with the RFC 2543 fallback), ACK and CANCEL to their INVITE, and
 * responses to client transactions (§17.1.3); it answers a matched CANCEL with 200 itself (§9.2).
 * It holds the tables; the state machines hold the behaviour.
 */
import { NO_PRESSURE, type PressureGauge } from '../shared/pressure.js';
import { SipDispatchError } from '../shared/errors.js';
import { AcceptedInvites } from './accepted-invites.js';
import { publish } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Scheduler } from '../shared/scheduler.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { buildResponse } from '../sip/build.js';
import { serialize } from '../sip/serialize.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import { StateTimers } from './state-timers.js';
import { CompletedTransactions, type CompletedEntry } from './completed-transactions.js';
import { AbsorbingClient } from './absorbing-client.js';
import type { TimerValues } from './timers.js';
import { clientKey, hasMagicCookie, isRfc2543, responseKey, serverKey } from './transaction-keys.js';
import type { ClientTimeouts, TransactionContext, TransactionKind } from './transaction-types.js';
import type { ClientTransaction, ClientTransactionHandlers, ServerTransaction, ServerTransactionHandlers, Transaction } from './transactions.js';
import type { Target } from '../shared/addresses.js';
import type { TransactionTransport } from './transport.js';

export interface TransactionLayerOptions {
  transport: TransactionTransport;
  scheduler: Scheduler;
  timers: TimerValues;
  logger: Logger;
  /**
   * max_completed_transactions: answered transactions waiting out their timers (absorbing
   * retransmissions) above which the oldest ends early (completed-transactions.ts). Unset or 0: no cap.
   */
  maxCompleted?: number;
  /** This thread's own pressure (TransactionContext.pressure); never pressured when absent. */
  pressure?: PressureGauge;
}

/** What became of an incoming request. */
export type RequestDisposition =
  /** A new transaction: the user handles the request and answers through `tx.respond`. */
  | { kind: 'new'; tx: ServerTransaction }
  /**
   * A retransmission: absorbed, the last response (if any) re-sent. Nothing to do. No `tx`: a late
   * retransmission of an INVITE accepted longer than wait_timer ago (accepted-invites.ts).
   */
  | { kind: 'retransmission'; tx: ServerTransaction | undefined }
  /**
   * An ACK. `absorbed`: it acknowledged a non-2xx final of `tx` and is consumed here. Otherwise
   * the user routes it end to end (the ACK for a 2xx: `tx` is the Accepted INVITE transaction
   * it matched, usually undefined since that ACK carries a new branch).
   */
  | { kind: 'ack'; absorbed: boolean; tx: InviteServerTransaction | undefined }
  /**
   * A CANCEL. With `tx`, it matched that INVITE transaction and was answered 200 here; if
   * `tx.state` is still 'proceeding' the user cancels its branches and answers the INVITE 487
   * (§16.10). Without `tx` nothing matched: forward it statelessly (§16.10) or answer 481.
   */
  | { kind: 'cancel'; tx: InviteServerTransaction | undefined };

/** The one payload of every `transaction.evicted` event: it carries nothing but the count. */
const EVICTED = Object.freeze({});
const LATE_RETRANSMISSION: RequestDisposition = Object.freeze({ kind: 'retransmission', tx: undefined });

export class TransactionLayer {
  /** Client transactions, and the records that stand in for non-INVITE ones in Completed. */
  private readonly clients = new Map<string, ClientTransaction | AbsorbingClient>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly ctx: TransactionContext;
  private readonly completed: CompletedTransactions;
  private readonly accepted: AcceptedInvites;

  constructor(private readonly options: TransactionLayerOptions) {
    const { transport, scheduler, timers, logger } = options;
    this.completed = new CompletedTransactions(options.maxCompleted ?? 0, TransactionLayer.onEvicted);
    const completed = this.completed;
    const accepted = (this.accepted = new AcceptedInvites(scheduler, 64 * timers.t1 - timers.L));
    this.ctx = {
      transport,
      scheduler,
      timers,
      logger,
      stateTimers: new StateTimers(scheduler),
      release: (tx) => this.release(tx),
      absorbing: (tx) => completed.add(tx),
      absorbResponses: (key) => this.absorbResponses(key),
      pressure: options.pressure ?? NO_PRESSURE,
      acceptedEnded: (key) => accepted.remember(key),
    };
  }

  private absorbResponses(key: string): AbsorbingClient {
    const record = new AbsorbingClient(this.ctx, key);
    this.clients.set(key, record);
    // §17.1.2.2: "it MUST set Timer K to fire in T4 seconds for unreliable transports".
    this.ctx.stateTimers.arm(record, this.options.timers.K);
    this.completed.add(record);
    return record;
  }

  private static onEvicted(): void {
    publish('transaction.evicted', EVICTED);
  }

  /** Answered transactions waiting out their timers, which max_completed_transactions bounds. */
  get completedCount(): number {
    return this.completed.size;
  }

  /** Answered transactions ended early by max_completed_transactions since the start. */
  get evictedCount(): number {
    return this.completed.evicted;
  }

  /** Live transactions, for `sipdispatch_transactions_active`. */
  get activeCount(): number {
    return this.clients.size + this.servers.size;
  }

  /**
   * Match an incoming request. `responseTarget` is where its responses go (the transport's
   * responseTarget: the connection it came on, or received/rport for UDP). `handlers` hear from
   * the server transaction if one is created.
   */
  receiveRequest(req: SipRequest, responseTarget: Target, handlers: ServerTransactionHandlers): RequestDisposition {
    if (req.method === 'ACK') return this.receiveAck(req);
    // One key per request: the lookup's, and the new transaction's if nothing matched.
    const key = serverKey(req, req.method);
    const existing = this.matchServer(req, key, req.method);
    // §17.2.3: "When a non-INVITE request matches an existing transaction, it is a retransmission
    // of the request that created that transaction." (Likewise an INVITE.)
    if (existing !== undefined) {
      existing.receiveRetransmission();
      return { kind: 'retransmission', tx: existing };
    }
    if (req.method === 'CANCEL') return this.receiveCancel(req, key, responseTarget, handlers);
    if (req.method === 'INVITE' && this.accepted.has(key)) return LATE_RETRANSMISSION;
    return { kind: 'new', tx: this.createServer(req, key, responseTarget, handlers) };
  }

  /**
   * Whether `req` (not ACK) matches a live server transaction, without touching it: load shedding
   * asks before refusing a request, since a retransmission must reach its transaction.
   */
  hasServerFor(req: SipRequest): boolean {
    const key = serverKey(req, req.method);
    return this.matchServer(req, key, req.method) !== undefined || (req.method === 'INVITE' && this.accepted.has(key));
  }

  /** Hand a response to its client transaction; false for a stray (no match, §18.1.2). */
  receiveResponse(res: SipResponse): boolean {
    const key = responseKey(res);
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (tx === undefined) return false;
    tx.receiveResponse(res);
    return true;
  }

  /**
   * Send `req` (its top Via carries our fresh z9hG4bK branch) to `target` on a new client
   * transaction. Throws SipDispatchError TXN_INVALID_REQUEST for an ACK (§17.1: "There is no client
   * transaction for ACK") or a request without such a branch, TXN_DUPLICATE when one with the same
   * branch and method is live.
   */
  createClient(req: SipRequest, target: Target, handlers: ClientTransactionHandlers, timeouts: ClientTimeouts = {}): ClientTransaction {
    const branch = req.via[0]?.branch;
    if (req.method === 'ACK' || !hasMagicCookie(branch)) {
      throw new SipDispatchError('TXN_INVALID_REQUEST', `no client transaction for this ${req.method}`, { method: req.method, branch });
    }
    const key = clientKey(branch, req.cseq.method);
    if (this.clients.has(key)) throw new SipDispatchError('TXN_DUPLICATE', 'a client transaction with this branch is live', { branch });
    const { B, C, F } = this.options.timers;
    const bytes = serialize(req);
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(this.ctx, key, target, req, bytes, handlers, timeouts.frTimer ?? B, timeouts.frInvTimer ?? C)
        : new NonInviteClientTransaction(this.ctx, key, target, req, bytes, handlers, timeouts.frTimer ?? F);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /**
   * Transactions still waiting for a final response. Those in an absorbing state (Completed,
   * Confirmed, Accepted) only soak up retransmissions and may be dropped at shutdown.
   */
  awaitingFinal(): number {
    let n = 0;
    for (const tx of this.clients.values()) if (tx.state === 'calling' || tx.state === 'proceeding' || tx.state === 'trying') n++;
    for (const tx of this.servers.values()) if (tx.state === 'proceeding' || tx.state === 'trying') n++;
    return n;
  }

  /** Resolves once no transaction awaits a final response (graceful shutdown), checking every `pollMs`. */
  idle(pollMs = 50): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.awaitingFinal() === 0) resolve();
        else this.options.scheduler.setTimeout(check, pollMs);
      };
      check();
    });
  }

  /** End every transaction now, without callbacks (after the drain timeout). */
  close(): void {
    for (const tx of [...this.clients.values(), ...this.servers.values()]) tx.abort();
    this.accepted.close();
  }

  private receiveAck(ack: SipRequest): RequestDisposition {
    const tx = this.matchServer(ack, serverKey(ack, 'INVITE'), 'INVITE');
    if (tx?.kind !== 'invite-server') return { kind: 'ack', absorbed: false, tx: undefined };
    // §17.2.3 (RFC 2543): "the To tag of the ACK matches the To tag of the response sent by the
    // server transaction." It tells the ACK for a 2xx from the ACK for a non-2xx.
    if (isRfc2543(ack) && ack.to.tag !== tx.toTag) return { kind: 'ack', absorbed: false, tx: undefined };
    return { kind: 'ack', absorbed: tx.receiveAck(), tx };
  }

  private receiveCancel(cancel: SipRequest, key: string, responseTarget: Target, handlers: ServerTransactionHandlers): RequestDisposition {
    const invite = this.matchServer(cancel, serverKey(cancel, 'INVITE'), 'INVITE');
    // §9.2: the CANCEL matches with the transaction matching of §17.2.3 run as for the INVITE,
    // same CSeq number; RFC 2543: "the To tag of the CANCEL matches the INVITE's".
    if (invite?.kind !== 'invite-server' || invite.seq !== cancel.cseq.seq) return { kind: 'cancel', tx: undefined };
    // §16.10: "If a matching response context is found, the element MUST immediately return a 200
    // (OK) response to the CANCEL request." The CANCEL gets its own transaction, so its
    // retransmissions get that 200 again.
    const cancelTx = this.createServer(cancel, key, responseTarget, handlers);
    // §9.2: "the To tag of the response to the CANCEL and the To tag in the response to the
    // original request SHOULD be the same."
    cancelTx.respond(buildResponse(cancel, 200, 'OK', { toTag: invite.toTag }));
    return { kind: 'cancel', tx: invite };
  }

  /** §17.2.3, looked up as `method` under its `key`; RFC 2543 requests also compare the To tag. */
  private matchServer(req: SipRequest, key: string, method: string): ServerTransaction | undefined {
    const tx = this.servers.get(key);
    if (tx === undefined || (method === 'INVITE' && req.method === 'ACK')) return tx;
    return isRfc2543(req) && tx.rfc2543ToTag !== req.to.tag ? undefined : tx;
  }

  /** `key` is serverKey(req, req.method). */
  private createServer(req: SipRequest, key: string, responseTarget: Target, handlers: ServerTransactionHandlers): ServerTransaction {
    const tx =
      req.method === 'INVITE'
        ? new InviteServerTransaction(this.ctx, key, responseTarget, req, handlers)
        : new NonInviteServerTransaction(this.ctx, key, responseTarget, req, handlers);
    // An RFC 2543 request that differs only by To tag replaces the entry; release() keeps it.
    this.servers.set(key, tx);
    if (tx.kind === 'invite-server') tx.start();
    return tx;
  }

  private release(tx: { readonly kind: TransactionKind; readonly key: string } & CompletedEntry): void {
    this.completed.remove(tx);
    const table: Map<string, Transaction | AbsorbingClient> = tx.kind === 'invite-client' || tx.kind === 'non-invite-client' ? this.clients : this.servers;
    if (table.get(tx.key) === tx) table.delete(tx.key);
  }
}
