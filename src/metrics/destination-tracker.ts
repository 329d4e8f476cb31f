/**
 * Which sets and destinations the metrics currently know, which state letters each destination
 * has shown, and the counts the per-destination series are computed from at scrape time. It
 * bounds the series to the current list: events about a destination that is not in the list are
 * not counted, and a sync reports which sets appeared and vanished.
 *
 * Kept small for lists of tens of thousands of destinations. Per destination (lists up to
 * metrics_destination_series): one record, the letters seen as one short string, counts allocated
 * at the first event that needs them. Above it, per set only: nothing is kept per destination,
 * events count toward their set.
 */

export interface DestinationView {
  set: string;
  uri: string;
  up: boolean;
  /** Kamailio's two letters, e.g. AP, IP, DX. */
  state: string;
  callLoad: number;
}

export interface TrackerDiff {
  addedSets: string[];
  removedSets: string[];
}

/** One known destination: the letter pairs seen ("AP" or "AP,IP"), its counts once it has any. */
export class TrackedDestination {
  counts: Float64Array | undefined = undefined;
  constructor(public states: string) {}
}

/** One known set: its destinations when they are tracked one by one, its counts otherwise. */
class TrackedSet {
  counts: Float64Array | undefined = undefined;
  constructor(readonly uris: Map<string, TrackedDestination> | undefined) {}
}

export class DestinationTracker {
  private sets = new Map<string, TrackedSet>();
  private perDestination = true;

  constructor(
    /** Destinations up to which each one is tracked (metrics_destination_series). */
    private readonly maxDestinations: number,
    /** Length of a destination's counts. */
    private readonly countsSize: number,
  ) {}

  /** Whether series are per destination (else per set) since the last sync. */
  get detailed(): boolean {
    return this.perDestination;
  }

  /** A known destination (per set above the limit: a known set). */
  has(set: string, uri: string): boolean {
    const s = this.sets.get(set);
    return s !== undefined && (s.uris === undefined || s.uris.has(uri));
  }

  hasSet(set: string): boolean {
    return this.sets.has(set);
  }

  /** The record of a known destination (undefined per set). */
  get(set: string, uri: string): TrackedDestination | undefined {
    return this.sets.get(set)?.uris?.get(uri);
  }

  /** Where an event about a known destination counts: its own counts, or its set's. */
  counts(set: string, uri: string): Float64Array | undefined {
    const s = this.sets.get(set);
    if (s === undefined) return undefined;
    const owner = s.uris === undefined ? s : s.uris.get(uri);
    if (owner === undefined) return undefined;
    owner.counts ??= new Float64Array(this.countsSize);
    return owner.counts;
  }

  /** A set's own counts (per set only). */
  setCounts(set: string): Float64Array | undefined {
    return this.sets.get(set)?.counts;
  }

  /**
   * Takes a destination the list has not been read for yet (an event right after a reload);
   * the next sync keeps it if the list has it, and drops it if not. Always true.
   */
  adopt(set: string, uri: string): boolean {
    let s = this.sets.get(set);
    if (!s) {
      s = new TrackedSet(this.perDestination ? new Map() : undefined);
      this.sets.set(set, s);
    }
    if (s.uris && !s.uris.has(uri)) s.uris.set(uri, new TrackedDestination(''));
    return true;
  }

  /** Remembers a state letter pair of a known destination; unknown destinations are ignored. */
  noteState(set: string, uri: string, state: string): void {
    const d = this.get(set, uri);
    if (d && !d.states.split(',').includes(state)) d.states = d.states === '' ? state : `${d.states},${state}`;
  }

  /** The state letter pairs seen for a destination (empty when unknown or per set). */
  statesOf(set: string, uri: string): readonly string[] {
    const states = this.get(set, uri)?.states;
    return states ? states.split(',') : [];
  }

  /**
   * Replaces the known list with `list`; states and counts of persisting destinations are kept.
   * Crossing the limit upward folds each destination's counts into its set's; downward, the
   * destinations' counts start from 0 (Prometheus reads that as a counter reset).
   */
  sync(list: readonly DestinationView[]): TrackerDiff {
    const perDestination = list.length <= this.maxDestinations;
    const next = new Map<string, TrackedSet>();
    const diff: TrackerDiff = { addedSets: [], removedSets: [] };
    for (const d of list) {
      let s = next.get(d.set);
      if (!s) {
        const old = this.sets.get(d.set);
        if (!old) diff.addedSets.push(d.set);
        s = new TrackedSet(perDestination ? new Map() : undefined);
        if (!perDestination && old) s.counts = old.uris === undefined ? old.counts : sumCounts(old.uris.values(), this.countsSize);
        next.set(d.set, s);
      }
      if (!s.uris || s.uris.has(d.uri)) continue;
      const seen = this.sets.get(d.set)?.uris?.get(d.uri);
      if (seen && seen.states === '') seen.states = d.state;
      s.uris.set(d.uri, seen ?? new TrackedDestination(d.state));
    }
    for (const set of this.sets.keys()) if (!next.has(set)) diff.removedSets.push(set);
    this.sets = next;
    this.perDestination = perDestination;
    return diff;
  }
}

function sumCounts(records: Iterable<TrackedDestination>, size: number): Float64Array | undefined {
  let out: Float64Array | undefined;
  for (const r of records) {
    if (!r.counts) continue;
    out ??= new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = (out[i] ?? 0) + (r.counts[i] ?? 0);
  }
  return out;
}
