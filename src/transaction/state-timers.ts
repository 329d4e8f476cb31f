/**
 * The state timers of every transaction (B, C, D, F, H, I, J, K, L, M), one FIFO queue per
 * duration instead of a Node timer each. Every transaction that enters, say, Completed over UDP
 * waits the same J, so deadlines within one queue only grow: one scheduler timer, armed for the
 * head, serves them all, and a transaction's timer costs three array slots instead of a Timeout
 * and its handle (~200 B, a tenth of an answered transaction kept for wait_timer). Node's own
 * timer lists group by duration the same way. A cancelled entry lets go of its transaction at once
 * (its slot is emptied: a pending request answered in time must not stay reachable from its
 * fr_timer queue for fr_timer) and is skipped when its time comes; a queue with nothing live left
 * cancels its scheduler timer.
 */
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';

/** What a queue needs of a transaction: its current arm, and the call when it fires. */
export interface StateTimerOwner {
  /** Its entry in `stateQueue` (an absolute slot; -1: none) and that queue. Owned by StateTimers. */
  stateSlot: number;
  stateQueue: StateQueue | undefined;
  onStateTimerFired(): void;
}

export class StateQueue {
  owners: Array<StateTimerOwner | undefined> = [];
  dues: number[] = [];
  /** The slot number of owners[0]: slots are absolute, so dropping the fired head renumbers nothing. */
  base = 0;
  head = 0;
  live = 0;
  timer: TimerHandle | undefined;

  constructor(readonly timers: StateTimers) {}
}

export class StateTimers {
  private readonly queues = new Map<number, StateQueue>();

  constructor(private readonly scheduler: Scheduler) {}

  /** Arms `owner`'s state timer for `ms`, replacing the one it had. */
  arm(owner: StateTimerOwner, ms: number): void {
    this.cancel(owner);
    let q = this.queues.get(ms);
    if (q === undefined) {
      q = new StateQueue(this);
      this.queues.set(ms, q);
    }
    owner.stateSlot = q.base + q.owners.length;
    owner.stateQueue = q;
    q.owners.push(owner);
    q.dues.push(this.scheduler.now() + ms);
    q.live++;
    // While a queue runs its timer stays set: run() re-arms it for the head once done.
    q.timer ??= this.scheduler.setTimeout(StateTimers.run, ms, q);
  }

  /** Disarms `owner`'s state timer, if any. */
  cancel(owner: StateTimerOwner): void {
    const q = owner.stateQueue;
    if (q === undefined) return;
    q.owners[owner.stateSlot - q.base] = undefined;
    owner.stateSlot = -1;
    owner.stateQueue = undefined;
    if (--q.live === 0) StateTimers.reset(q);
  }

  private static reset(q: StateQueue): void {
    q.timer?.cancel();
    q.timer = undefined;
    q.base += q.owners.length;
    // Emptied in place: a queue that empties and fills again per call allocates nothing.
    q.owners.length = 0;
    q.dues.length = 0;
    q.head = 0;
  }

  /** The head's time came: fire every live entry that is due, in arming order, then re-arm. */
  private static run(q: StateQueue): void {
    const now = q.timers.scheduler.now();
    const firing = q.timer;
    while (q.head < q.owners.length && q.dues[q.head]! <= now) {
      const owner = q.owners[q.head];
      q.owners[q.head] = undefined;
      q.head++;
      if (owner === undefined) continue;
      owner.stateSlot = -1;
      owner.stateQueue = undefined;
      q.live--;
      owner.onStateTimerFired();
    }
    // Emptied by a callback (and perhaps armed again): that arm set the timer it needs.
    if (q.timer !== firing) return;
    q.timer = undefined;
    if (q.live === 0) return StateTimers.reset(q);
    // Skip cancelled entries, so the next wake-up is for a live one.
    while (q.owners[q.head] === undefined) q.head++;
    if (q.head > 1024 && q.head * 2 > q.owners.length) {
      q.owners = q.owners.slice(q.head);
      q.dues = q.dues.slice(q.head);
      q.base += q.head;
      q.head = 0;
    }
    q.timer = q.timers.scheduler.setTimeout(StateTimers.run, Math.max(0, q.dues[q.head]! - now), q);
  }
}
