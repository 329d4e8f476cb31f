/**
 * Which sets and destinations the metrics currently know, which state letters each destination
 * has shown, and its per-destination counts. It bounds the per-destination series to the current
 * list: events about a destination that is not in the list are not counted, and a sync reports
 * what appeared and what vanished.
 *
 * Kept small for lists of tens of thousands of destinations: one record per destination, the
 * letters seen as one short string, and the counts allocated only at the first event that needs
 * them (series are computed from them at scrape time, see destination-series.ts).
 */

export interface DestinationView {
  set: string;
  uri: string;
  up: boolean;
  /** Kamailio's two letters, e.g. AP, IP, DX. */
  state: string;
  callLoad: number;
}

export interface DestinationKey {
  set: string;
  uri: string;
}

export interface TrackerDiff {
  addedSets: string[];
  removedSets: string[];
  added: DestinationKey[];
  removed: DestinationKey[];
}

/** One known destination: the letter pairs seen ("AP" or "AP,IP"), its counts once it has any. */
export class TrackedDestination {
  counts: Float64Array | undefined = undefined;
  constructor(public states: string) {}
}

/** set → uri → record. */
type SetTable = Map<string, Map<string, TrackedDestination>>;

export class DestinationTracker {
  private sets: SetTable = new Map();
  private count = 0;

  has(set: string, uri: string): boolean {
    return this.sets.get(set)?.has(uri) ?? false;
  }

  hasSet(set: string): boolean {
    return this.sets.has(set);
  }

  /** Destinations known. */
  get size(): number {
    return this.count;
  }

  /** The record of a known destination. */
  get(set: string, uri: string): TrackedDestination | undefined {
    return this.sets.get(set)?.get(uri);
  }

  /** Every set with its destinations, sets and destinations in the order they appeared. */
  entries(): IterableIterator<[string, Map<string, TrackedDestination>]> {
    return this.sets.entries();
  }

  /**
   * Takes a destination the list has not been read for yet (an event right after a reload);
   * the next sync keeps it if the list has it, and reports it removed if not. Always true.
   */
  adopt(set: string, uri: string): boolean {
    let uris = this.sets.get(set);
    if (!uris) {
      uris = new Map();
      this.sets.set(set, uris);
    }
    if (!uris.has(uri)) {
      uris.set(uri, new TrackedDestination(''));
      this.count++;
    }
    return true;
  }

  /** Remembers a state letter pair of a known destination; unknown destinations are ignored. */
  noteState(set: string, uri: string, state: string): void {
    const d = this.sets.get(set)?.get(uri);
    if (d && !d.states.split(',').includes(state)) d.states = d.states === '' ? state : `${d.states},${state}`;
  }

  /** The state letter pairs seen for a destination (empty when unknown). */
  statesOf(set: string, uri: string): readonly string[] {
    const states = this.sets.get(set)?.get(uri)?.states;
    return states ? states.split(',') : [];
  }

  /** Replaces the known list with `list`; states and counts of persisting destinations are kept. */
  sync(list: readonly DestinationView[]): TrackerDiff {
    const next: SetTable = new Map();
    const diff: TrackerDiff = { addedSets: [], removedSets: [], added: [], removed: [] };
    let count = 0;
    for (const d of list) {
      let uris = next.get(d.set);
      if (!uris) {
        uris = new Map();
        next.set(d.set, uris);
        if (!this.sets.has(d.set)) diff.addedSets.push(d.set);
      }
      if (uris.has(d.uri)) continue;
      const seen = this.sets.get(d.set)?.get(d.uri);
      if (!seen) diff.added.push({ set: d.set, uri: d.uri });
      if (seen && seen.states === '') seen.states = d.state;
      uris.set(d.uri, seen ?? new TrackedDestination(d.state));
      count++;
    }
    for (const [set, uris] of this.sets) {
      const kept = next.get(set);
      if (!kept) diff.removedSets.push(set);
      for (const uri of uris.keys()) {
        if (!kept?.has(uri)) diff.removed.push({ set, uri });
      }
    }
    this.sets = next;
    this.count = count;
    return diff;
  }
}
