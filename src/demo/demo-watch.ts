/**
 * What the demo learns from the observability events: when a destination goes down or comes back
 * (to time the detection), and how many calls the relay moved on to another destination.
 */
import { subscribe, type DestinationStateEvent } from '../shared/events.js';
import type { Scheduler } from '../shared/scheduler.js';

type Waiter = { uri: string; up: boolean; resolve: (at: number | undefined) => void };

export class DemoWatch {
  /** Requests the relay moved from a failed destination to the next one. */
  failovers = 0;
  private waiters: Waiter[] = [];
  private readonly unsubscribe: Array<() => void>;

  constructor(private readonly scheduler: Scheduler) {
    this.unsubscribe = [
      subscribe('destination.state', (e) => this.stateChanged(e)),
      subscribe('failover', (e) => {
        if (e.next !== null) this.failovers++;
      }),
    ];
  }

  /**
   * Resolves with the scheduler time at which `uri` next becomes usable (`up`) or unusable, or
   * with undefined when that has not happened within `maxMs`.
   */
  next(uri: string, up: boolean, maxMs: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const timer = this.scheduler.setTimeout(() => settle(undefined), maxMs);
      const waiter: Waiter = { uri, up, resolve: (at) => settle(at) };
      const settle = (at: number | undefined) => {
        timer.cancel();
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(at);
      };
      this.waiters.push(waiter);
    });
  }

  close(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    for (const w of this.waiters.slice()) w.resolve(undefined);
  }

  private stateChanged(e: DestinationStateEvent): void {
    if (e.initial || !e.changed) return;
    const at = this.scheduler.now();
    for (const w of this.waiters.slice()) if (w.uri === e.uri && w.up === e.up) w.resolve(at);
  }
}
