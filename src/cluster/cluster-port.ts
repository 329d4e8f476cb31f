/**
 * The cluster port: what one sipdispatch instance needs from the engine that connects it to the
 * others (Redis in production, an in-memory hub alone or in tests). Every call may fail or be slow;
 * the cluster node never lets the SIP hot path wait for one.
 */
import type { DestinationState } from '../dispatcher/flags.js';
import type { StateTrigger } from '../shared/events.js';

/** How destinations are probed across the cluster (OpenSIPS's cluster_probing_mode names). */
export type ProbingShare = 'distributed' | 'leader' | 'all';

/** What an instance tells the others about itself with every heartbeat. */
export interface MemberInfo {
  readonly id: string;
  /** SIP listeners, as `udp:127.0.0.1:5060`. */
  readonly sip: readonly string[];
  /** Admin API address. */
  readonly http: string;
  /** Digest of the loaded list (a mismatch is shown by /health and a metric). */
  readonly digest: string;
  /** Wall-clock ms when the instance started. */
  readonly startedAt: number;
}

/**
 * One replicated change: a destination's state (`key` = `set uri`) or the ping_active switch
 * (`key` = PING_KEY). `seq` is the origin's own counter, `at` its wall clock (for the delay metric).
 */
export interface StateRecord {
  readonly key: string;
  readonly state?: DestinationState;
  readonly pingActive?: boolean;
  readonly trigger: StateTrigger;
  readonly origin: string;
  readonly seq: number;
  readonly at: number;
}

/** A change as the engine ordered it: `version` comes from one counter (Redis INCR), never a clock. */
export interface VersionedState extends StateRecord {
  readonly version: number;
}

/** One instance's own active calls per destination (loadKey), published with a TTL. */
export interface LoadRecord {
  readonly origin: string;
  readonly loads: Readonly<Record<string, number>>;
  readonly at: number;
}

export type ClusterMessage = { readonly kind: 'state'; readonly record: VersionedState } | { readonly kind: 'load'; readonly record: LoadRecord };

export interface ClusterListeners {
  message(m: ClusterMessage): void;
  /** The connection to the engine came up (true) or went away (false). */
  status(connected: boolean): void;
}

export interface ClusterBackend {
  /** Connects in the background and starts delivering messages; never throws. */
  start(listeners: ClusterListeners): void;
  readonly connected: boolean;
  /**
   * Refreshes this member (TTL `ttlMs`); returns every live member, this one included, and the
   * version counter (lower than a version seen before: the engine lost its data).
   */
  heartbeat(self: MemberInfo, ttlMs: number): Promise<{ members: MemberInfo[]; version: number }>;
  /** Takes the probing lease if free (or renews our own); returns the holder's id. */
  lease(id: string, ttlMs: number): Promise<string>;
  /** Orders, stores and publishes a change; resolves with its version. */
  publishState(record: StateRecord): Promise<number>;
  /** Every stored change, latest per key (anti-entropy). */
  readStates(): Promise<VersionedState[]>;
  /** Stores (TTL `ttlMs`) and publishes this instance's call loads. */
  publishLoad(record: LoadRecord, ttlMs: number): Promise<void>;
  /**
   * The ids of the members heard from within `ttlMs` (a read: it refreshes nothing). A cheap round
   * trip between two heartbeats: it notices a member gone soon after its TTL, and fails when the
   * engine hangs.
   */
  liveMembers(ttlMs: number): Promise<string[]>;
  /** Removes this member at once (graceful stop). */
  leave(id: string): Promise<void>;
  close(): Promise<void>;
}

/** The key of the replicated ping_active switch (destination keys always contain a space). */
export const PING_KEY = 'ping_active';

/** A destination's key in the cluster: its set and URI, as every instance's list names it. */
export function destinationKey(setId: number, uri: string): string {
  return `${setId} ${uri}`;
}

/** The set and URI of a destination key; undefined for PING_KEY or garbage. */
export function parseDestinationKey(key: string): { setId: number; uri: string } | undefined {
  const space = key.indexOf(' ');
  if (space <= 0) return undefined;
  const setId = Number(key.slice(0, space));
  return Number.isSafeInteger(setId) ? { setId, uri: key.slice(space + 1) } : undefined;
}
