/**
 * What the four state machines share: the peer, the request, the two timer slots every machine
 * needs at most (one retransmission timer A/E/G, one state timer B/C/D/F/H/I/J/K/L/M), and the
 * T2-capped doubling. Each machine owns its states and transitions.
 *
 * Timers are armed with one callback per slot, shared by every transaction, and the transaction
 * as its argument: a transaction builds no closure per timer. As each state has one state timer,
 * the machine's `onStateTimer` tells them apart by the state it is in. The one function a
 * transaction owns is its send-error handler, a bound method (no closure context).
 */
import { SipDispatchError } from '../shared/errors.js';
import type { TimerHandle } from '../shared/scheduler.js';
import type { SipRequest } from '../sip/message.js';
import { parseMessage } from '../sip/parse-message.js';
import type { TransactionContext, TransactionKind } from './transaction-types.js';
import type { StateQueue, StateTimerOwner } from './state-timers.js';
import type { Target } from '../shared/addresses.js';
import type { SendErrorHandler } from './transport.js';

export abstract class TransactionBase<S extends string> implements StateTimerOwner {
  abstract readonly kind: TransactionKind;
  /** The machine's state; each subclass documents its transitions. */
  protected current: S | 'terminated';
  /** True over TCP: no retransmissions, zero-length absorb timers. */
  readonly reliable: boolean;
  protected retransmitTimer: TimerHandle | undefined;
  /** The state timer, kept by the layer's StateTimers (a queue per duration): theirs to change. */
  stateToken = 0;
  stateQueue: StateQueue | undefined = undefined;
  /** The current retransmission interval (A, E or G). */
  protected interval = 0;
  private held: SipRequest | undefined;
  /** `onSendError` bound once: the transport calls it back as a plain function. */
  private readonly sendFailed: SendErrorHandler;

  constructor(
    protected readonly ctx: TransactionContext,
    /** The table key (see transaction-keys.ts). */
    readonly key: string,
    /** Where this transaction sends: the next hop (client) or the response target (server). */
    readonly peer: Target,
    /** Undefined: a client transaction of a releasing user, which re-parses its bytes on the rare read. */
    request: SipRequest | undefined,
    /** The user said it never reads `request` once the transaction absorbs (handlers.releasesRequest). */
    private readonly releasable: boolean,
    initial: S,
  ) {
    this.current = initial;
    this.reliable = ctx.transport.isReliable(peer);
    this.held = request;
    this.sendFailed = this.onSendError.bind(this);
  }

  get state(): S | 'terminated' {
    return this.current;
  }

  /**
   * The request that created the transaction (client: as sent). Throws TXN_RELEASED once an
   * absorbing state dropped it, which happens only for users that set `releasesRequest`.
   */
  get request(): SipRequest {
    const request = this.held ?? this.reparse();
    if (request === undefined) throw new SipDispatchError('TXN_RELEASED', `transaction ${this.key} no longer holds its request`, { key: this.key });
    return request;
  }

  /**
   * Entering an absorbing state (Completed, Accepted, Confirmed): the parsed request, with its
   * source bytes and header strings, would otherwise live on for the whole wait timer.
   */
  protected releaseRequest(): void {
    if (this.releasable) this.held = undefined;
  }

  /**
   * The user keeps what it still needs of the request itself (the relay, once a request is being
   * forwarded): a releasing user's transaction drops it now instead of at the final response.
   */
  forgetRequest(): void {
    this.releaseRequest();
  }

  /**
   * The request parsed again from the bytes a client transaction sent, for the rare reads of a
   * releasing user (a CANCEL, the ACK for a non-2xx): a parsed request is several times the size
   * of its bytes, and a flood toward a silent farm keeps thousands of them pending.
   */
  protected reparse(): SipRequest | undefined {
    return undefined;
  }

  /** `bytes` (a request serialized here) parsed again. */
  protected static parseSent(bytes: Buffer | undefined): SipRequest | undefined {
    if (bytes === undefined) return undefined;
    // Any size: it was accepted (max_message_size may be above the parser's default) and sent.
    const r = parseMessage(bytes, { maxSize: bytes.length });
    return r.ok && r.message.kind === 'request' ? r.message : undefined;
  }

  /**
   * `bytes` in memory of their own, for a response kept to answer retransmissions until a timer
   * ends the state: a small Buffer is a slice of Node's shared 8 KB pool, and keeping it keeps the
   * whole slab, with the bytes of every other message serialized into it.
   */
  protected static keep(bytes: Buffer): Buffer {
    const own = Buffer.allocUnsafeSlow(bytes.length);
    bytes.copy(own);
    return own;
  }

  /** The retransmission timer (A, E or G) fired; machines that arm one define it. */
  protected onRetransmitTimer?(): void;

  /** The state timer fired: the one the current state armed. */
  protected abstract onStateTimer(): void;

  /** The transport could not send a message of this transaction (§17.1.4, RFC 6026 §8.8). */
  protected abstract onSendError(err: Error): void;

  private static fireRetransmit(tx: TransactionBase<string>): void {
    tx.retransmitTimer = undefined;
    tx.onRetransmitTimer?.();
  }

  /** Called by StateTimers when the state timer fires. */
  onStateTimerFired(): void {
    this.onStateTimer();
  }

  protected transmit(bytes: Buffer): void {
    this.ctx.transport.send(bytes, this.peer, this.sendFailed);
  }

  /** Start (or restart) the retransmission timer with `ms`. */
  protected armRetransmit(ms: number): void {
    this.retransmitTimer?.cancel();
    this.interval = ms;
    this.retransmitTimer = this.ctx.scheduler.setTimeout(TransactionBase.fireRetransmit, ms, this);
  }

  /** Double the interval up to T2 (§17.1.2.2 "MIN(2*T1, T2)... caps at T2") and re-arm. */
  protected backOff(): void {
    this.armRetransmit(Math.min(this.interval * 2, this.ctx.timers.t2));
  }

  protected stopRetransmit(): void {
    this.retransmitTimer?.cancel();
    this.retransmitTimer = undefined;
  }

  /** Replace the state timer. */
  protected armState(ms: number): void {
    this.ctx.stateTimers.arm(this, ms);
  }

  protected stopTimers(): void {
    this.stopRetransmit();
    this.ctx.stateTimers.cancel(this);
  }

  /**
   * §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2: a transaction "MUST be destroyed the instant it enters
   * the 'Terminated' state": its timers stop and the layer drops it from its table.
   */
  protected terminate(): void {
    if (this.current === 'terminated') return;
    this.current = 'terminated';
    this.stopTimers();
    this.ctx.release(this);
  }
}
