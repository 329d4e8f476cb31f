/**
 * An immutable snapshot of the loaded list: sets in id order, destinations in Kamailio's array
 * order, plus the small mutable runtime each destination and set carries (health, latency,
 * cursors). A reload builds a new snapshot and, unless asked to reset, carries the runtime of
 * destinations that persist (same set and URI, case-insensitive) into it.
 */
import type { DestinationAttrs } from './attrs.js';
import { loadKey } from './call-load.js';
import { flagsToState } from './flags.js';
import { kamailioHash } from './hash.js';
import { restingHealth, type Health } from './health.js';
import { initialLatency, type LatencyStats } from './latency-stats.js';
import type { DestinationUri, ListEntry } from './list-parser.js';
import { buildWeightTable } from './weights.js';

/** What changes at run time for one destination. */
export interface DestinationRuntime {
  health: Health;
  /** rweight in force: the attribute, rewritten by congestion control (cc=1). */
  rweight: number;
  /** NO_LATENCY (shared) until a keepalive is measured or `latency=` seeds it. */
  latency: LatencyStats;
  /** When the prober last asked for this destination (caller's clock), if ever. */
  lastProbeAt: number | undefined;
}

export interface Destination {
  readonly setId: number;
  /** Position in the set's array (Kamailio's IDX): priority descending, ties in reverse file order. */
  readonly index: number;
  /** Internal unique id (Kamailio's IUID); kept across reloads while the destination persists. */
  readonly iuid: string;
  readonly uri: string;
  readonly target: DestinationUri;
  /** The flags column of the file. */
  readonly flags: number;
  readonly priority: number;
  readonly attrs: DestinationAttrs;
  /** loadKey(setId, duid) for the call-load table; undefined without a duid. */
  readonly loadKey: string | undefined;
  /** Stable per-destination seed for rendezvous hashing (hash_failover: spread). */
  readonly seed: number;
  readonly line: number;
  readonly runtime: DestinationRuntime;
}

/** Per-set selection state (Kamailio keeps the same fields in ds_set_t). */
export interface SetCursor {
  /** Round robin position (`last`), shared by algorithms 4, 5, 13 and 14. */
  last: number;
  /** Position in the weight table (`wlast`). */
  wlast: number;
}

export interface DestinationSet {
  readonly id: number;
  readonly destinations: readonly Destination[];
  /** Algorithm 9's shuffled 100-slot table. */
  readonly weightTable: Uint32Array;
  /** Algorithm 14: every entry shares one priority > 0, so it runs round robin, else priority. */
  readonly roundRobinPriority: boolean;
  readonly cursor: SetCursor;
  /** Algorithm 11's smooth weighted round robin credits, and scratch space for its weights. */
  readonly swrrCredit: Float64Array;
  readonly scratch: Float64Array;
}

export interface Snapshot {
  /** Increases with every load; part of new destinations' iuid. */
  readonly generation: number;
  /** Sets by id, iterated in ascending id order. */
  readonly sets: ReadonlyMap<number, DestinationSet>;
  readonly byIuid: ReadonlyMap<string, Destination>;
  /** The entries as loaded, in file order. */
  readonly entries: readonly ListEntry[];
}

export interface SnapshotDiff {
  readonly added: readonly Destination[];
  readonly removed: readonly Destination[];
  /** Destinations present before and after, with the previous one. */
  readonly kept: readonly { readonly previous: Destination; readonly current: Destination }[];
}

export interface BuildOptions {
  /** Carry health, latency and rweight of persisting destinations (false: Kamailio's reset). */
  readonly keepState: boolean;
  /** Shuffles the weight tables. */
  readonly random: () => number;
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({ generation: 0, sets: new Map(), byIuid: new Map(), entries: [] });

const identityKey = (setId: number, uri: string): string => `${setId} ${uri.toLowerCase()}`;

/** Kamailio's array order: priority descending, equal priority in reverse file order. */
function arrayOrder(entries: readonly ListEntry[]): ListEntry[] {
  return [...entries].reverse().sort((a, b) => b.priority - a.priority);
}

function freshRuntime(e: ListEntry): DestinationRuntime {
  return {
    health: restingHealth(flagsToState(e.flags)),
    rweight: e.attrs.rweight,
    latency: initialLatency(e.attrs.latency),
    lastProbeAt: undefined,
  };
}

/**
 * The runtime a persisting destination keeps. If its flags column changed, the operator's new
 * flags win over the carried health; a changed weight or rweight resets the rweight in force.
 */
function carriedRuntime(e: ListEntry, previous: Destination): DestinationRuntime {
  const prev = previous.runtime;
  const sameFlags = previous.flags === e.flags;
  const sameWeights = previous.attrs.rweight === e.attrs.rweight && previous.attrs.weight === e.attrs.weight;
  return {
    health: sameFlags ? prev.health : restingHealth(flagsToState(e.flags)),
    rweight: sameWeights ? prev.rweight : e.attrs.rweight,
    latency: prev.latency,
    lastProbeAt: prev.lastProbeAt,
  };
}

/** Previous destinations by identity; duplicates are matched in array order. */
function previousByIdentity(previous: Snapshot): Map<string, Destination[]> {
  const map = new Map<string, Destination[]>();
  for (const set of previous.sets.values()) {
    for (const d of set.destinations) {
      const key = identityKey(d.setId, d.uri);
      const list = map.get(key);
      if (list) list.push(d);
      else map.set(key, [d]);
    }
  }
  return map;
}

function buildSet(id: number, ordered: Destination[], random: () => number): DestinationSet {
  const first = ordered[0]?.priority ?? 0;
  return {
    id,
    destinations: Object.freeze(ordered),
    weightTable: buildWeightTable(
      ordered.map((d) => d.attrs.weight),
      random,
    ),
    roundRobinPriority: first > 0 && ordered.every((d) => d.priority === first),
    cursor: { last: 0, wlast: 0 },
    swrrCredit: new Float64Array(ordered.length),
    scratch: new Float64Array(ordered.length),
  };
}

/** Builds the snapshot for `entries`, carrying state from `previous` as `options` ask. */
export function buildSnapshot(entries: readonly ListEntry[], previous: Snapshot, options: BuildOptions): { snapshot: Snapshot; diff: SnapshotDiff } {
  const generation = previous.generation + 1;
  const olds = previousByIdentity(previous);
  const bySet = new Map<number, ListEntry[]>();
  for (const e of entries) {
    const list = bySet.get(e.setId);
    if (list) list.push(e);
    else bySet.set(e.setId, [e]);
  }
  const sets = new Map<number, DestinationSet>();
  const byIuid = new Map<string, Destination>();
  const added: Destination[] = [];
  const kept: { previous: Destination; current: Destination }[] = [];
  for (const id of [...bySet.keys()].sort((a, b) => a - b)) {
    const ordered = arrayOrder(bySet.get(id) ?? []).map((e, index): Destination => {
      const old = olds.get(identityKey(id, e.uri))?.shift();
      const runtime = old && options.keepState ? carriedRuntime(e, old) : freshRuntime(e);
      const d: Destination = Object.freeze({
        setId: id,
        index,
        iuid: old?.iuid ?? `${generation}.${id}.${index}`,
        uri: e.uri,
        target: e.target,
        flags: e.flags,
        priority: e.priority,
        attrs: e.attrs,
        loadKey: e.attrs.duid === undefined ? undefined : loadKey(id, e.attrs.duid),
        seed: kamailioHash(`${id} ${e.uri}`),
        line: e.line,
        runtime,
      });
      if (old) kept.push({ previous: old, current: d });
      else added.push(d);
      byIuid.set(d.iuid, d);
      return d;
    });
    sets.set(id, buildSet(id, ordered, options.random));
  }
  const removed = [...olds.values()].flat();
  const snapshot: Snapshot = Object.freeze({ generation, sets, byIuid, entries: Object.freeze([...entries]) });
  return { snapshot, diff: { added, removed, kept } };
}
