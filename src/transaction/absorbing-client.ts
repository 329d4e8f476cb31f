/**
 * A non-INVITE client transaction in Completed over UDP, reduced to what is left of it: its key
 * in the table, to absorb retransmissions of the final response until Timer K (§17.1.2.2: the
 * state "exists to buffer any additional response retransmissions"). Nothing is sent any more,
 * and the user was told everything, so the transaction object, its next hop and its send-error
 * handler (~250 B) need not live on for T4: this record is ~70 B (issue #13: under a flood toward
 * a farm that answers, every answered request of the last T4 seconds is kept).
 */
import type { CompletedEntry } from './completed-transactions.js';
import type { StateQueue, StateTimerOwner } from './state-timers.js';
import type { TransactionContext } from './transaction-types.js';

export class AbsorbingClient implements StateTimerOwner, CompletedEntry {
  stateSlot = -1;
  stateQueue: StateQueue | undefined = undefined;
  completedSlot = -1;
  /** Timer K fired, or it was ended early (max_completed_transactions, shutdown). */
  ended = false;

  constructor(
    private readonly ctx: TransactionContext,
    readonly key: string,
  ) {}

  // On the prototype: one string per class, not a field per record.
  get kind(): 'non-invite-client' {
    return 'non-invite-client';
  }

  get state(): 'completed' | 'terminated' {
    return this.ended ? 'terminated' : 'completed';
  }

  /** A retransmission of the final response (or any late response): absorbed. */
  receiveResponse(): void {}

  /** Timer K. §17.1.2.2: "If Timer K fires while in this state, the client transaction MUST transition to the 'Terminated' state." */
  onStateTimerFired(): void {
    this.abort();
  }

  abort(): void {
    if (this.ended) return;
    this.ended = true;
    this.ctx.stateTimers.cancel(this);
    this.ctx.release(this);
  }
}
