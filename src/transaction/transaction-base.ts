/**
 * What the four state machines share: the peer, the two timer slots every machine needs at most
 * (one retransmission timer A/E/G, one state timer B/C/D/F/H/I/J/K/L/M), and the T2-capped
 * doubling. Each machine owns its states and transitions.
 */
import type { TimerHandle } from '../shared/scheduler.js';
import type { TransactionContext } from './transaction-types.js';
import type { SendErrorHandler, Target } from './transport.js';

export abstract class TransactionBase {
  /** True over TCP: no retransmissions, zero-length absorb timers. */
  readonly reliable: boolean;
  protected retransmitTimer: TimerHandle | undefined;
  protected stateTimer: TimerHandle | undefined;
  /** The current retransmission interval (A, E or G). */
  protected interval = 0;

  constructor(
    protected readonly ctx: TransactionContext,
    /** The table key (see transaction-keys.ts). */
    readonly key: string,
    /** Where this transaction sends: the next hop (client) or the response target (server). */
    readonly peer: Target,
  ) {
    this.reliable = ctx.transport.isReliable(peer);
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
}
