/**
 * The dispatcher a worker thread's relay uses: a replica of the main thread's list and states.
 * Selection, ds_is_from_list and the call load run on the replica; the call load (algorithm 10)
 * is therefore counted per thread, which is fair in aggregate because Call-IDs, which pick the
 * thread, spread evenly. Consecutive traffic failures are counted per thread too; a destination
 * that reaches the threshold is reported to the main thread, which owns the health state, applies
 * the max ejection share and sends every change back to all replicas.
 */
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import type { Destination } from '../dispatcher/snapshot.js';
import type { TrafficFailureCause } from '../shared/events.js';
import { DispatcherAdapter, type DispatcherAdapterOptions } from '../stack/dispatcher-adapter.js';

/** A destination that reached the failure threshold on a worker, named so the main thread finds its own copy. */
export interface FailureReport {
  readonly setId: number;
  /** Position in its set's array, checked against the URI (the lists may differ during a reload). */
  readonly index: number;
  readonly uri: string;
  readonly cause: TrafficFailureCause;
}

export class ReplicaDispatcher extends DispatcherAdapter {
  constructor(
    dispatcher: Dispatcher,
    options: DispatcherAdapterOptions,
    private readonly report: (failure: FailureReport) => void,
  ) {
    super(dispatcher, options);
  }

  protected override thresholdReached(d: Destination, cause: TrafficFailureCause): void {
    this.report({ setId: d.setId, index: d.index, uri: d.uri, cause });
  }
}

/** Main thread: applies a worker's failure report to the authoritative dispatcher. */
export function applyFailureReport(dispatcher: Dispatcher, f: FailureReport): void {
  const set = dispatcher.snapshot.sets.get(f.setId);
  if (!set) return;
  const at = set.destinations[f.index];
  const d: Destination | undefined = at?.uri === f.uri ? at : set.destinations.find((x) => x.uri === f.uri);
  if (d) dispatcher.markByTraffic(d, f.cause);
}
