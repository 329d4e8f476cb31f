/**
 * What the four state machines share: the peer, the request, the two timer slots every machine
 * needs at most (one retransmission timer A/E/G, one state timer B/C/D/F/H/I/J/K/L/M), and the
 * T2-capped doubling. Each machine owns its states and transitions.
 *
 * Both timers live in the layer's per-duration queues (state-timers.ts): the transaction is its
 * state timer's entry, a small RetransmitEntry its retransmission timer's; no closure per timer.
 * As each state has one state timer, the machine's `onStateTimer` tells them apart by the state
 * it is in. The one function a transaction owns is its send-error handler, a bound method (no
 * closure context), and only while it sends: an absorbing state drops it and binds it again for a
 * retransmission.
 */
import { SipDispatchError } from '../shared/errors.js';
import { publish } from '../shared/events.js';
import type { SipRequest } from '../sip/message.js';
import { parseMessage } from '../sip/parse-message.js';
import type { TransactionContext, TransactionKind } from './transaction-types.js';
import type { StateQueue, StateTimerOwner } from './state-timers.js';
import type { CompletedEntry } from './completed-transactions.js';
import type { Target } from '../shared/addresses.js';
import type { SendErrorHandler } from './transport.js';
import { ownCopy } from './transaction-keys.js';

const HELD = Object.freeze({});

export abstract class TransactionBase<S extends string> implements StateTimerOwner, CompletedEntry {
  abstract readonly kind: TransactionKind;
  /** The machine's state; each subclass documents its transitions. */
  protected current: S | 'terminated';
  /** True over TCP: no retransmissions, zero-length absorb timers. */
  readonly reliable: boolean;
  /** The retransmission timer's entry in the layer's timer queues, while one is armed. */
  private retransmitEntry: RetransmitEntry | undefined;
  /** The state timer, kept by the layer's StateTimers (a queue per duration): theirs to change. */
  stateSlot = -1;
  stateQueue: StateQueue | undefined = undefined;
  /** Its place among the answered transactions the layer bounds (-1: not there). Owned by CompletedTransactions. */
  completedSlot = -1;
  /** The current retransmission interval (A, E or G). */
  protected interval = 0;
  private held: SipRequest | undefined;
  /** `onSendError` bound once while sending: the transport calls it back as a plain function. */
  private sendFailed: SendErrorHandler | undefined;

  constructor(
    protected readonly ctx: TransactionContext,
    /** The table key (see transaction-keys.ts). */
    readonly key: string,
    /** Where this transaction sends: the next hop (client) or the response target (server). */
    private target: Target,
    /** Undefined: a client transaction of a releasing user, which re-parses its bytes on the rare read. */
    request: SipRequest | undefined,
    /** The user said it never reads `request` once the transaction absorbs (handlers.releasesRequest). */
    private readonly releasable: boolean,
    initial: S,
  ) {
    this.current = initial;
    this.reliable = ctx.transport.isReliable(target);
    this.held = request;
  }

  get state(): S | 'terminated' {
    return this.current;
  }

  /** Where this transaction sends: the next hop (client) or the response target (server). */
  get peer(): Target {
    return this.target;
  }

  /**
   * A server transaction about to wait out a timer keeps a host of its own: a response target's
   * host is often the Via's sent-by, sliced from the request's header text, and V8 slices strings
   * of 13 characters or more ('203.0.113.100'), so it would keep the whole header section alive.
   */
  protected keepPeer(): void {
    const t = this.target;
    if (t.host.length >= 13) this.target = { ...t, host: ownCopy(t.host) };
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
   * A client's retransmission of its request (Timer A or E), held while this thread is behind
   * (TransactionContext.pressure) unless its user says otherwise (handlers.retransmitsUnderPressure).
   */
  protected retransmit(bytes: Buffer, user: { readonly retransmitsUnderPressure?: boolean }): void {
    if (user.retransmitsUnderPressure !== true && this.ctx.pressure.pressured) publish('retransmission.held', HELD);
    else this.transmit(bytes);
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
   * `bytes` kept to answer retransmissions until a timer ends the state, as a one-byte string: a
   * small Buffer is a slice of Node's shared 8 KB pool (keeping it keeps the whole slab), and a
   * Buffer of its own costs a view, an ArrayBuffer and a native backing store (~200 B over its
   * bytes, ~420 B for a short response). A string costs its bytes and a 16 B header; the rare
   * retransmission turns it back into a Buffer.
   */
  protected static keep(bytes: Buffer): string {
    return bytes.toString('latin1');
  }

  /** The retransmission timer (A, E or G) fired; machines that arm one define it. */
  protected onRetransmitTimer?(): void;

  /** The state timer fired: the one the current state armed. */
  protected abstract onStateTimer(): void;

  /** The transport could not send a message of this transaction (§17.1.4, RFC 6026 §8.8). */
  protected abstract onSendError(err: Error): void;

  /** Stop at once without telling the user (shutdown, or ended early by max_completed_transactions). */
  abstract abort(): void;

  /** Called by StateTimers when the state timer fires. */
  onStateTimerFired(): void {
    this.onStateTimer();
  }

  /** Called by the retransmission timer's queue entry when it fires. */
  onRetransmitTimerFired(): void {
    this.onRetransmitTimer?.();
  }

  protected transmit(bytes: Buffer | string): void {
    const wire = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    this.ctx.transport.send(wire, this.peer, (this.sendFailed ??= this.onSendError.bind(this)));
  }

  /**
   * Entering an absorbing state (the final answer is in): the send-error handler goes (a send
   * already under way keeps its own reference), and unless `bounded` is false the layer counts
   * the transaction among those max_completed_transactions bounds (completed-transactions.ts).
   */
  protected absorbing(bounded = true): void {
    this.sendFailed = undefined;
    if (bounded && this.current !== 'terminated') this.ctx.absorbing(this);
  }

  /** Start (or restart) the retransmission timer with `ms`. */
  protected armRetransmit(ms: number): void {
    this.interval = ms;
    this.ctx.stateTimers.arm((this.retransmitEntry ??= new RetransmitEntry(this)), ms);
  }

  /** Double the interval up to T2 (§17.1.2.2 "MIN(2*T1, T2)... caps at T2") and re-arm. */
  protected backOff(): void {
    this.armRetransmit(Math.min(this.interval * 2, this.ctx.timers.t2));
  }

  protected stopRetransmit(): void {
    if (this.retransmitEntry === undefined) return;
    this.ctx.stateTimers.cancel(this.retransmitEntry);
    this.retransmitEntry = undefined;
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

/**
 * A transaction's retransmission timer (A, E, G) in the same per-duration queues as the state
 * timers (state-timers.ts), instead of a Node Timeout and its handle (~150 B per pending request):
 * a transaction is its own state timer's entry, and this small object is the second one it needs
 * while it retransmits. The few durations (T1, 2·T1… T2) make a few queues.
 */
class RetransmitEntry implements StateTimerOwner {
  stateSlot = -1;
  stateQueue: StateQueue | undefined = undefined;

  constructor(private readonly tx: TransactionBase<string>) {}

  onStateTimerFired(): void {
    this.tx.onRetransmitTimerFired();
  }
}
