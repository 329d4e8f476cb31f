/**
 * The metrics' view of the list, read straight from the snapshot: five fields per destination and
 * nothing else (dispatcher.list() builds the admin API's full views, latency blocks included,
 * which a scrape of 50,000 destinations does not need).
 */
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import { isUsable, stateLetters } from '../dispatcher/flags.js';
import type { DestinationView } from '../metrics/create-metrics.js';
import { runSliced } from './run-sliced.js';

export function destinationViews(dispatcher: Pick<Dispatcher, 'snapshot' | 'callLoad'>): DestinationView[] {
  const steps = viewSteps(dispatcher, Number.POSITIVE_INFINITY);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** The same, in slices of `slice` destinations with turns of the event loop between them (a scrape). */
export function destinationViewsInSlices(dispatcher: Pick<Dispatcher, 'snapshot' | 'callLoad'>, slice = 2000): Promise<DestinationView[]> {
  return runSliced(viewSteps(dispatcher, slice));
}

function* viewSteps(dispatcher: Pick<Dispatcher, 'snapshot' | 'callLoad'>, slice: number): Generator<void, DestinationView[]> {
  const out: DestinationView[] = [];
  // one snapshot for the whole read, whatever a reload swaps in meanwhile
  for (const set of dispatcher.snapshot.sets.values()) {
    const id = String(set.id);
    for (const d of set.destinations) {
      const state = d.runtime.health.state;
      out.push({ set: id, uri: d.uri, up: isUsable(state), state: stateLetters(state), callLoad: d.loadKey === undefined ? 0 : dispatcher.callLoad(d) });
      if (out.length % slice === 0) yield;
    }
  }
  return out;
}
