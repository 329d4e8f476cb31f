/**
 * The rules that let relayed traffic mark a destination down without ever cascading (Envoy's
 * outlier detection: consecutive failures, max ejection percent, and its panic threshold as "never
 * the last usable one"). Pure: no I/O, no clock; the dispatcher applies the verdicts.
 */
import type { TrafficFailureCause, TrafficMarkResult } from '../shared/events.js';
import { isUsable } from './flags.js';
import type { Destination } from './snapshot.js';

export type { TrafficFailureCause } from '../shared/events.js';

export interface TrafficMarkingConfig {
  /** Consecutive failed transactions towards a destination before traffic may mark it down (>= 1). */
  readonly threshold: number;
  /** Share of a set's destinations (usable or down by traffic) that traffic may hold down, 0..100. */
  readonly maxEjectionPercent: number;
}

/**
 * What one failure did: `excused` (a timeout while sipdispatch itself was under pressure: the
 * fault is ours), `counted` (below the threshold), `threshold` (the threshold is reached; the
 * count starts again from zero).
 */
export type FailureVerdict = 'excused' | 'counted' | 'threshold';

/** Whether a destination that reached the threshold may go down, or why it is spared. */
export type EjectionVerdict = TrafficMarkResult;

/** Consecutive failures per destination; a success clears the count. */
export class ConsecutiveFailures {
  private readonly counts = new WeakMap<Destination, number>();

  /** A transaction towards `d` got an answer that shows the destination alive. */
  success(d: Destination): void {
    // Most successes find no count: a lookup, no write.
    if (this.counts.has(d)) this.counts.delete(d);
  }

  failure(d: Destination, cause: TrafficFailureCause, ownPressure: boolean, threshold: number): FailureVerdict {
    if (cause === 'timeout' && ownPressure) return 'excused';
    const n = (this.counts.get(d) ?? 0) + 1;
    if (n >= threshold) {
      this.counts.delete(d);
      return 'threshold';
    }
    this.counts.set(d, n);
    return 'counted';
  }

  count(d: Destination): number {
    return this.counts.get(d) ?? 0;
  }
}

/**
 * May traffic take `d` down? Never the last usable destination of its set, and never more than
 * `maxEjectionPercent` of the destinations that are usable or already down by traffic (those down
 * by probes, the operator or disabled are not part of the budget). `downByTraffic` says which
 * destinations traffic holds down now.
 */
export function ejectionVerdict(
  destinations: readonly Destination[],
  d: Destination,
  downByTraffic: (x: Destination) => boolean,
  maxEjectionPercent: number,
): EjectionVerdict {
  if (!isUsable(d.runtime.health.state)) return 'not-usable';
  let usable = 0;
  let ejected = 0;
  for (const x of destinations) {
    if (isUsable(x.runtime.health.state)) usable++;
    else if (downByTraffic(x)) ejected++;
  }
  if (usable <= 1) return 'spared-last-usable';
  // Integer arithmetic: (ejected + 1) / (usable + ejected) <= percent / 100.
  if ((ejected + 1) * 100 > maxEjectionPercent * (usable + ejected)) return 'spared-max-share';
  return 'marked';
}
