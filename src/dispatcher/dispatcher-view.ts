/**
 * A plain-data view of the loaded sets for the admin API, JSON-RPC and metrics: everything
 * `dispatcher.list` shows (FLAGS, PRIORITY, ATTRS, LATENCY, DLGLOAD, IDX, IUID), copied so readers
 * cannot change the live state.
 */
import type { DestinationAttrs } from './attrs.js';
import { isUsable, stateLetters, stateToFlags } from './flags.js';
import { latencyReport, type LatencyReport } from './latency-stats.js';
import type { Destination, Snapshot } from './snapshot.js';

export interface DestinationView {
  readonly setId: number;
  /** Kamailio's IDX. */
  readonly index: number;
  readonly iuid: string;
  readonly uri: string;
  /** The state bits now (not the file's flags column). */
  readonly flags: number;
  /** Kamailio's two letters, e.g. AP, IP, DX. */
  readonly state: string;
  /** Selectable: not inactive, not disabled. */
  readonly up: boolean;
  readonly priority: number;
  readonly attrs: DestinationAttrs;
  /** rweight in force (congestion control may lower it below attrs.rweight). */
  readonly rweight: number;
  /** Consecutive probe results counted towards a threshold (Kamailio's PROBING_COUNT). */
  readonly probingCount: number;
  readonly latency: LatencyReport;
  /** Active calls (algorithm 10, Kamailio's DLGLOAD). */
  readonly callLoad: number;
  readonly lastProbeAt: number | undefined;
}

export interface SetView {
  readonly id: number;
  readonly destinations: readonly DestinationView[];
}

export function destinationView(d: Destination, callLoad: number): DestinationView {
  const state = d.runtime.health.state;
  return {
    setId: d.setId,
    index: d.index,
    iuid: d.iuid,
    uri: d.uri,
    flags: stateToFlags(state),
    state: stateLetters(state),
    up: isUsable(state),
    priority: d.priority,
    attrs: d.attrs,
    rweight: d.runtime.rweight,
    probingCount: d.runtime.health.count,
    latency: latencyReport(d.runtime.latency),
    callLoad,
    lastProbeAt: d.runtime.lastProbeAt,
  };
}

/** Sets in ascending id order (Kamailio prints AVL post-order; we sort), destinations in array order. */
export function viewSets(snapshot: Snapshot, callLoadOf: (d: Destination) => number): SetView[] {
  const out: SetView[] = [];
  for (const set of snapshot.sets.values()) {
    out.push({ id: set.id, destinations: set.destinations.map((d) => destinationView(d, callLoadOf(d))) });
  }
  return out;
}

/** One set of a snapshot, viewed destination by destination when asked (large replies stream). */
export interface LazySetView {
  readonly id: number;
  readonly size: number;
  /** The view of the destination at array position `i` (0 <= i < size). */
  view(i: number): DestinationView;
  /** The destination itself (full mode of dispatcher.list prints its parsed URI). */
  destination(i: number): Destination | undefined;
}

/** The sets of `snapshot` as lazy views: nothing is copied until a reader asks for a destination. */
export function lazySets(snapshot: Snapshot, callLoadOf: (d: Destination) => number): LazySetView[] {
  return [...snapshot.sets.values()].map((set) => ({
    id: set.id,
    size: set.destinations.length,
    view: (i: number) => {
      const d = set.destinations[i];
      if (d === undefined) throw new RangeError(`no destination ${i} in set ${set.id}`);
      return destinationView(d, callLoadOf(d));
    },
    destination: (i: number) => set.destinations[i],
  }));
}
