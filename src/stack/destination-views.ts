/**
 * The metrics' view of the list, read straight from the snapshot: five fields per destination and
 * nothing else (dispatcher.list() builds the admin API's full views, latency blocks included,
 * which a scrape of 50,000 destinations does not need).
 */
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import { isUsable, stateLetters } from '../dispatcher/flags.js';
import type { DestinationView } from '../metrics/create-metrics.js';

export function destinationViews(dispatcher: Pick<Dispatcher, 'snapshot' | 'callLoad'>): DestinationView[] {
  const out: DestinationView[] = [];
  for (const set of dispatcher.snapshot.sets.values()) {
    const id = String(set.id);
    for (const d of set.destinations) {
      const state = d.runtime.health.state;
      out.push({ set: id, uri: d.uri, up: isUsable(state), state: stateLetters(state), callLoad: d.loadKey === undefined ? 0 : dispatcher.callLoad(d) });
    }
  }
  return out;
}
