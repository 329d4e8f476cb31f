/**
 * Which sets and destinations the metrics currently know, and which state letters each
 * destination has shown. It bounds the per-destination series to the current list: events about
 * a destination that is not in the list are not counted, and a sync reports what appeared and
 * what vanished so the series can be initialised or removed.
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

/** set → uri → state letters seen since the destination appeared. */
type SetTable = Map<string, Map<string, Set<string>>>;

export class DestinationTracker {
  private sets: SetTable = new Map();

  has(set: string, uri: string): boolean {
    return this.sets.get(set)?.has(uri) ?? false;
  }

  hasSet(set: string): boolean {
    return this.sets.has(set);
  }

  /** Remembers a state letter pair of a known destination; unknown destinations are ignored. */
  noteState(set: string, uri: string, state: string): void {
    this.sets.get(set)?.get(uri)?.add(state);
  }

  /** The state letter pairs seen for a destination (empty when unknown). */
  statesOf(set: string, uri: string): ReadonlySet<string> {
    return this.sets.get(set)?.get(uri) ?? EMPTY;
  }

  /** Replaces the known list with `list`; states seen by persisting destinations are kept. */
  sync(list: readonly DestinationView[]): TrackerDiff {
    const next: SetTable = new Map();
    const diff: TrackerDiff = { addedSets: [], removedSets: [], added: [], removed: [] };
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
      uris.set(d.uri, seen ?? new Set([d.state]));
    }
    for (const [set, uris] of this.sets) {
      const kept = next.get(set);
      if (!kept) diff.removedSets.push(set);
      for (const uri of uris.keys()) {
        if (!kept?.has(uri)) diff.removed.push({ set, uri });
      }
    }
    this.sets = next;
    return diff;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
