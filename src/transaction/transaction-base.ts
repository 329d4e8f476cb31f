/**
 * What the four state machines share: the peer, the request, the two timer slots every machine
 * needs at most (one retransmission timer A/E/G, one state timer B/C/D/F/H/I/J/K/L/M), and the
 * T2-capped doubling. Each machine owns its states and transitions.
 */
import { SipDispatchError } from '../shared/errors.js';
import type { TimerHandle } from '../shared/scheduler.js';
import type { SipRequest } from '../sip/message.js';
import type { TransactionContext } from './transaction-types.js';
import type { SendErrorHandler, Target } from './transport.js';

export abstract class TransactionBase<S extends string> {
  abstract readonly kind: 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';
  /** The machine's state; each subclass documents its transitions. */
  protected current: S | 'terminated';
  /** True over TCP: no retransmissions, zero-length absorb timers. */
  readonly reliable: boolean;
  protected retransmitTimer: TimerHandle | undefined;
  protected stateTimer: TimerHandle | undefined;
  /** The current retransmission interval (A, E or G). */
  protected interval = 0;
  private held: SipRequest | undefined;

  constructor(
    protected readonly ctx: TransactionContext,
    /** The table key (see transaction-keys.ts). */
    readonly key: string,
    /** Where this transaction sends: the next hop (client) or the response target (server). */
    readonly peer: Target,
    request: SipRequest,
    /** The user said it never reads `request` once the transaction absorbs (handlers.releasesRequest). */
    private readonly releasable: boolean,
    initial: S,
  ) {
    this.current = initial;
    this.reliable = ctx.transport.isReliable(peer);
    this.held = request;
  }

  get state(): S | 'terminated' {
    return this.current;
  }

  /**
   * The request that created the transaction (client: as sent). Throws TXN_RELEASED once an
   * absorbing state dropped it, which happens only for users that set `releasesRequest`.
   */
  get request(): SipRequest {
    if (this.held === undefined) throw new SipDispatchError('TXN_RELEASED', `transaction ${this.key} no longer holds its request`, { key: this.key });
    return this.held;
  }

  /**
   * Entering an absorbing state (Completed, Accepted, Confirmed): the parsed request, with its
   * source bytes and header strings, would otherwise live on for the whole wait timer.
   */
  protected releaseRequest(): void {
    if (this.releasable) this.held = undefined;
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

  protected transmit(bytes: Buffer, onError: SendErrorHandler): void {
    this.ctx.transport.send(bytes, this.peer, onError);
  }

  /** Start (or restart) the retransmission timer with `ms`. */
  protected armRetransmit(fn: () => void, ms: number): void {
    this.retransmitTimer?.cancel();
    this.interval = ms;
    this.retransmitTimer = this.ctx.scheduler.setTimeout(fn, ms);
  }

  /** Double the interval up to T2 (§17.1.2.2 "MIN(2*T1, T2)... caps at T2") and re-arm. */
  protected backOff(fn: () => void): void {
    this.armRetransmit(fn, Math.min(this.interval * 2, this.ctx.timers.t2));
  }

  protected stopRetransmit(): void {
    this.retransmitTimer?.cancel();
    this.retransmitTimer = undefined;
  }

  /** Replace the state timer. */
  protected armState(fn: () => void, ms: number): void {
    this.stateTimer?.cancel();
    this.stateTimer = this.ctx.scheduler.setTimeout(fn, ms);
  }

  protected stopTimers(): void {
    this.stopRetransmit();
    this.stateTimer?.cancel();
    this.stateTimer = undefined;
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
