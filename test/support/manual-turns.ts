/** An IntakeClock moved by hand: time set by the test, deferred drains run only on `turn()`. */
import type { IntakeClock } from '../../src/transport/intake-queue.js';

export class ManualTurns implements IntakeClock {
  time = 0;
  private deferred: Array<() => void> = [];

  now(): number {
    return this.time;
  }

  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  /** Drains waiting for the next turn. */
  get pending(): number {
    return this.deferred.length;
  }

  /** One turn of the event loop: what was deferred before it runs. */
  turn(): void {
    const due = this.deferred;
    this.deferred = [];
    for (const fn of due) fn();
  }
}
