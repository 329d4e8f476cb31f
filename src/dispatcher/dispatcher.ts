/**
 * The dispatcher facade the relay, the prober and the admin API use. It holds one reference to
 * the current snapshot: a (re)load parses and builds a new one and swaps the reference, or keeps
 * the old one and reports every `file:line: reason`. State changes go through the pure health
 * machine and are published on `destination.state` (every state change, usable↔unusable marked,
 * plus the initial state of every destination after each load).
 */
import type { ErrorCode } from '../shared/errors.js';
import { publish, type StateTrigger } from '../shared/events.js';
import { err, ok, type Result } from '../shared/result.js';
import { CallLoadTable, type CallLoadOptions } from './call-load.js';
import { lazySets, viewSets, type LazySetView, type SetView } from './dispatcher-view.js';
import { isUsable, parseSetState, stateLetters, type DestinationState } from './flags.js';
import { dispatcherHash, type HashResult } from './hash.js';
import { applyProbeResult, isProbeTarget, isReplyOk, type Health, type HealthConfig } from './health.js';
import { applyCongestionControl, ownLatency, recordLatency, recordTimeout } from './latency-stats.js';
import { parseDispatcherList, parseListSteps, type ListEntry, type ListMode, type ListParse } from './list-parser.js';
import { applyRuntime, captureRuntime, type ReplicaState } from './replica-state.js';
import { select, type SelectionKey, type SelectOptions } from './select.js';
import { buildSnapshot, buildSnapshotSteps, EMPTY_SNAPSHOT, recarry, type BuiltSnapshot, type Destination, type Snapshot, type SnapshotDiff } from './snapshot.js';
import { ConsecutiveFailures, ejectionVerdict, type EjectionVerdict, type FailureVerdict, type TrafficFailureCause, type TrafficMarkingConfig } from './traffic-marking.js';

export interface DispatcherOptions {
  readonly listMode: ListMode;
  /** reload_keeps_state: carry health, latency and call load over a reload (false: Kamailio). */
  readonly keepStateOnReload: boolean;
  readonly health: HealthConfig;
  /** Marking by relayed traffic: consecutive failures and the share of a set it may hold down. */
  readonly traffic: TrafficMarkingConfig;
  /** ds_ping_latency_stats, and ds_latency_estimator_alpha / 1000 (weight of the old estimate). */
  readonly latency: { readonly enabled: boolean; readonly alpha: number };
  readonly callLoad: CallLoadOptions;
  /** dispatcher.ping_active at start. */
  readonly pingActive: boolean;
  /** Clock for call-load expiry and event timestamps (ms). */
  readonly now: () => number;
  /** Shuffles the weight tables. */
  readonly random: () => number;
}

export interface DestinationRef {
  readonly setId: number;
  readonly uri: string;
}

export interface LoadReport {
  readonly added: readonly DestinationRef[];
  readonly removed: readonly DestinationRef[];
  readonly kept: readonly DestinationRef[];
  readonly warnings: readonly string[];
}

export interface LoadFailure {
  /** LIST_SYNTAX (a malformed line) or LIST_ENTRY (a bad entry in strict mode). */
  readonly code: ErrorCode;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

export interface ReloadStepOptions {
  /** Take states from the file (Kamailio's reload), not from the list in force. */
  readonly reset?: boolean;
  /** Lines parsed, or destinations built, between two pauses (default: no pause). */
  readonly slice?: number;
  /** Runs, in steps, once the new snapshot is built and before it is swapped in. */
  readonly prepare?: (next: Snapshot) => Generator<void>;
}

/**
 * A load publishes per-destination `destination.state` events for at most this many new or
 * changed destinations; past that, only the list.reload summary (no burst of events, log lines
 * and webhook work proportional to a large list).
 */
export const ANNOUNCE_LIMIT = 100;

/** Runs steps to the end without pausing. */
function drain<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** set_state's address: a URI (first match, case-insensitive), a duid, or every destination. */
export type StateTarget = { readonly uri: string } | { readonly duid: string } | 'all';

export interface StateFailure {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface StateChange {
  /** Kamailio letters after the change. */
  readonly state: string;
  readonly up: boolean;
  /** Usability changed. */
  readonly changed: boolean;
}

const ref = (d: { setId: number; uri: string }): DestinationRef => ({ setId: d.setId, uri: d.uri });

const CAUSE_TEXT: Record<TrafficFailureCause, { code: number; text: string }> = {
  'timeout': { code: 408, text: 'timeouts' },
  'transport-error': { code: 503, text: 'transport errors' },
  'response-503': { code: 503, text: '503 replies without Retry-After' },
};
const INACTIVE_PROBING = Object.freeze({ availability: 'inactive', probing: true, noPing: false, noDns: false } as const);

/** A value that stays one column of a list line. */
const isColumn = (text: string): boolean => !/[\s#]/.test(text);

function failureOf(parsed: ListParse, fallback?: string): LoadFailure {
  const errors = parsed.errors.length > 0 || fallback === undefined ? parsed.errors : [fallback];
  return { code: parsed.malformed ? 'LIST_SYNTAX' : 'LIST_ENTRY', errors, warnings: parsed.warnings };
}

export class Dispatcher {
  private current: Snapshot = EMPTY_SNAPSHOT;
  private ping: boolean;
  private readonly calls: CallLoadTable;
  private readonly loadOf = (d: Destination): number => (d.loadKey === undefined ? 0 : this.calls.load(d.loadKey) + this.otherLoad(d.loadKey));
  /** Calls other instances of a cluster hold on a destination (algorithm 10); none alone. */
  private otherLoad: (key: string) => number = () => 0;
  /** Told of every state change this instance makes (the cluster publishes them). */
  private stateListener: ((d: Destination, trigger: StateTrigger) => void) | undefined;
  private readonly trafficFailures = new ConsecutiveFailures();
  /** iuids of destinations relayed traffic took down and that have not been usable since. */
  private readonly downByTraffic = new Set<string>();
  private readonly isDownByTraffic = (d: Destination): boolean => this.downByTraffic.has(d.iuid);

  constructor(private readonly options: DispatcherOptions) {
    this.ping = options.pingActive;
    this.calls = new CallLoadTable(options.callLoad);
  }

  /** The snapshot in force; selection and views read it, never change its structure. */
  get snapshot(): Snapshot {
    return this.current;
  }

  /** Loads the list at start (called again, it keeps state like reload without reset). */
  load(text: string, file: string): Result<LoadReport, LoadFailure> {
    return drain(this.loadSteps(text, file, { reset: false }));
  }

  /** Re-reads the list; `reset` (or keepStateOnReload false) takes states from the file, like Kamailio. */
  reload(text: string, file: string, opts: { reset?: boolean } = {}): Result<LoadReport, LoadFailure> {
    return drain(this.reloadSteps(text, file, opts));
  }

  /**
   * reload cut into steps for large lists: parsing and building pause (yield) every `slice` lines
   * or destinations so the caller can let the event loop run; `prepare` builds, in steps too,
   * whatever must be ready for the new snapshot before it is in force (the relay's address
   * index). The swap stays one step: a bad file keeps the old list, and the state of persisting
   * destinations is carried again at the swap, as it is then.
   */
  reloadSteps(text: string, file: string, opts: ReloadStepOptions = {}): Generator<void, Result<LoadReport, LoadFailure>> {
    return this.loadSteps(text, file, { ...opts, reset: opts.reset === true || !this.options.keepStateOnReload });
  }

  private *loadSteps(text: string, file: string, opts: ReloadStepOptions & { reset: boolean }): Generator<void, Result<LoadReport, LoadFailure>> {
    const slice = opts.slice ?? Number.POSITIVE_INFINITY;
    const parsed = yield* parseListSteps(text, file, this.options.listMode, slice);
    if (parsed.errors.length > 0) {
      const at = this.options.now();
      publish('list.reload', () => ({ result: 'failure', added: 0, removed: 0, kept: 0, errors: [...parsed.errors], at }));
      return err(failureOf(parsed));
    }
    for (;;) {
      const built = yield* buildSnapshotSteps(parsed.entries, this.current, { keepState: !opts.reset, random: this.options.random }, slice);
      if (opts.prepare) yield* opts.prepare(built.snapshot);
      // dispatcher.add or remove ran meanwhile: build again from the list now in force
      if (built.previous !== this.current) continue;
      const diff = this.commit(built, !opts.reset);
      // the swap is done; the report (objects for every destination) is built on the next turn
      if (opts.slice !== undefined) yield;
      return ok({ added: diff.added.map(ref), removed: diff.removed.map(ref), kept: diff.kept.map((k) => ref(k.current)), warnings: parsed.warnings });
    }
  }

  /**
   * The swap: one reference, the state carried again as it is now, and what the rest of the
   * process hears: per-destination events only for a handful of new or changed destinations
   * (ANNOUNCE_LIMIT), else one list.reload whose summary counts destinations per state.
   */
  private commit(built: BuiltSnapshot, keepState: boolean): SnapshotDiff {
    const at = this.options.now();
    const { diff } = built;
    if (keepState) recarry(diff);
    else this.calls.clear();
    this.current = built.snapshot;
    for (const iuid of this.downByTraffic) if (!this.current.byIuid.has(iuid)) this.downByTraffic.delete(iuid);
    const changed = diff.kept.filter((k) => stateLetters(k.current.runtime.health.state) !== stateLetters(k.previous.runtime.health.state));
    if (diff.added.length + changed.length <= ANNOUNCE_LIMIT) {
      for (const d of diff.added) this.announce(d, null, true, 0, 'load', 'load');
      for (const k of changed) this.announce(k.current, k.previous.runtime.health.state, true, 0, 'load', 'load');
    }
    publish('list.reload', () => ({ result: 'success', added: diff.added.length, removed: diff.removed.length, kept: diff.kept.length, errors: [], at, states: this.stateCounts() }));
    return diff;
  }

  /** Destinations per state letters, e.g. { AP: 9990, IP: 10 }. */
  private stateCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const set of this.current.sets.values()) {
      for (const d of set.destinations) {
        const letters = stateLetters(d.runtime.health.state);
        out[letters] = (out[letters] ?? 0) + 1;
      }
    }
    return out;
  }

  private install(entries: readonly ListEntry[], keepState: boolean): SnapshotDiff {
    const { snapshot, diff } = buildSnapshot(entries, this.current, { keepState, random: this.options.random });
    this.current = snapshot;
    return diff;
  }

  /** The state a replica mirrors: every destination's runtime, and the entries when asked. */
  replicaState(withEntries: boolean): ReplicaState {
    return { entries: withEntries ? this.current.entries : undefined, runtime: captureRuntime(this.current) };
  }

  /**
   * Mirrors an authoritative dispatcher (worker threads): rebuilds the snapshot from the entries
   * when they come, then takes every runtime over. Publishes nothing: the authority already did.
   * False when the runtime does not fit the snapshot (it is then left as it was).
   */
  applyReplicaState(state: ReplicaState): boolean {
    if (state.entries) this.install(state.entries, true);
    return applyRuntime(this.current, state.runtime);
  }

  /**
   * dispatcher.add: adds one destination in memory (validated like a strict file line), keeping
   * every state; the next reload forgets it, as in Kamailio.
   */
  add(setId: number, uri: string, flags = 0, priority = 0, attrs = ''): Result<DestinationRef, LoadFailure> {
    const parsed = parseDispatcherList(`${setId} ${uri} ${flags} ${priority} ${attrs}`, 'dispatcher.add', 'strict');
    const entry = parsed.entries[0];
    const columns = [setId, flags, priority].every((n) => Number.isSafeInteger(n) && n >= 0) && isColumn(uri) && isColumn(attrs);
    if (!entry || parsed.errors.length > 0 || !columns) {
      return err(failureOf(parsed, 'dispatcher.add:1: set id, flags and priority must be integers >= 0, URI and attrs without spaces or #'));
    }
    const added = { ...entry, line: 0 };
    const diff = this.install([...this.current.entries, added], true);
    for (const d of diff.added) this.announce(d, null, true, 0, 'load', 'load');
    return ok(ref(added));
  }

  /** dispatcher.remove: drops every destination of the set with this URI (sip: added to a bare host). */
  remove(setId: number, uri: string): number {
    const parsed = parseDispatcherList(`${setId} ${uri}`, 'dispatcher.remove', 'strict');
    const target = parsed.entries[0]?.uri;
    const entries = this.current.entries.filter((e) => e.setId !== setId || e.uri !== target);
    const removed = this.current.entries.length - entries.length;
    if (removed > 0) this.install(entries, true);
    return removed;
  }

  /**
   * Ordered candidates for a request (first = pick, rest = failover order). An INVITE selected
   * with algorithm 10 is counted in the call-load table when the pick has a duid.
   */
  select(setId: number, algorithm: number, key: SelectionKey, options: SelectOptions): Destination[] {
    const out = select(this.current, setId, algorithm, key, algorithm === 10 ? { ...options, callLoad: this.loadOf } : options);
    const first = out[0];
    if (algorithm === 10 && key.isInvite && first?.attrs.duid !== undefined) {
      this.calls.add(key.callId, setId, first.attrs.duid, this.options.now());
    }
    return out;
  }

  /** Whether a destination may be selected now (it may have changed since it was selected). */
  isUp(dst: Destination): boolean {
    const d = this.resolve(dst);
    return d !== undefined && isUsable(d.runtime.health.state);
  }

  /**
   * dispatcher.set_state / set_duid_state: applied directly, without thresholds (the counter is
   * reset). Returns how many destinations were set; a URI or duid reaches the first match only.
   */
  setState(setId: number, target: StateTarget, state: string): Result<number, StateFailure> {
    const parsed = parseSetState(state);
    if (!parsed.ok) return err({ code: 'RPC_UNKNOWN_STATE', message: parsed.error });
    const set = this.current.sets.get(setId);
    const matches = set ? this.matching(set.destinations, target) : [];
    if (matches.length === 0) return err({ code: 'RPC_STATE_UPDATE_FAILED', message: `no destination matches in set ${setId}` });
    for (const d of matches) this.update(d, { state: parsed.value, count: 0 }, 0, 'admin', 'admin');
    return ok(matches.length);
  }

  private matching(dests: readonly Destination[], target: StateTarget): Destination[] {
    if (target === 'all') return [...dests];
    const found =
      'uri' in target
        ? dests.find((d) => d.uri.toLowerCase() === target.uri.toLowerCase())
        : dests.find((d) => d.attrs.duid?.toLowerCase() === target.duid.toLowerCase());
    return found ? [found] : [];
  }

  /** A relayed transaction to `dst` got an answer that shows it alive: its failure count clears. */
  trafficSuccess(dst: Destination): void {
    this.trafficFailures.success(dst);
  }

  /**
   * A relayed transaction to `dst` failed (Kamailio marks at once with ds_mark_dst; we count).
   * A timeout while sipdispatch itself was under pressure is excused. On `threshold`, the caller
   * asks markByTraffic (a worker thread asks the main thread, which owns health).
   */
  trafficFailure(dst: Destination, cause: TrafficFailureCause, ownPressure: boolean): FailureVerdict {
    const verdict = this.trafficFailures.failure(dst, cause, ownPressure, this.options.traffic.threshold);
    if (verdict === 'excused') publish('timeout.excused', () => ({ set: String(dst.setId) }));
    return verdict;
  }

  /**
   * `dst` reached the consecutive-failure threshold: marks it inactive and probing (IP), so the
   * prober brings it back, unless it is the last usable destination of its set or the set's
   * max ejection share is used up. Returns the verdict (undefined when the destination is gone).
   */
  markByTraffic(dst: Destination, cause: TrafficFailureCause): EjectionVerdict | undefined {
    const d = this.resolve(dst);
    const set = d && this.current.sets.get(d.setId);
    if (!d || !set) return undefined;
    const { threshold, maxEjectionPercent } = this.options.traffic;
    const result = ejectionVerdict(set.destinations, d, this.isDownByTraffic, maxEjectionPercent);
    publish('traffic.mark', () => ({ set: String(d.setId), uri: d.uri, cause, result, threshold }));
    if (result !== 'marked') return result;
    const { code, text } = CAUSE_TEXT[cause];
    this.downByTraffic.add(d.iuid);
    this.update(d, { state: INACTIVE_PROBING, count: 0 }, code, `traffic: ${threshold} consecutive ${text}`, 'traffic');
    return result;
  }

  get pingActive(): boolean {
    return this.ping;
  }

  /** dispatcher.ping_active: the global keepalive switch. */
  set pingActive(on: boolean) {
    this.ping = on;
  }

  /** The destinations to ping now (none while ping_active is off); the time is noted on each. */
  probeTargets(): Destination[] {
    if (!this.ping) return [];
    // The dispatcher's one clock, as for call load and event timestamps.
    const now = this.options.now();
    const out: Destination[] = [];
    for (const set of this.current.sets.values()) {
      for (const d of set.destinations) {
        if (!isProbeTarget(d.runtime.health.state, this.options.health.probingMode)) continue;
        d.runtime.lastProbeAt = now;
        out.push(d);
      }
    }
    return out;
  }

  /**
   * A keepalive finished: `code` is the reply status (408 for a timeout, 500 when sending failed),
   * `rttMs` the round trip when a reply came. Updates latency statistics, congestion rweights and
   * health; undefined when the destination is gone or the reply is ignored (disabled meanwhile).
   */
  recordProbeResult(dst: Destination, code: number, reason: string, rttMs: number | undefined): StateChange | undefined {
    const d = this.resolve(dst);
    if (!d) return undefined;
    if (this.options.latency.enabled && d.runtime.health.state.probing) this.recordLatency(d, code, rttMs);
    const next = applyProbeResult(d.runtime.health, isReplyOk(code, this.options.health.replyCodes), this.options.health);
    return next && this.update(d, next, code, reason, 'probe');
  }

  private recordLatency(d: Destination, code: number, rttMs: number | undefined): void {
    if (code === 408) recordTimeout(ownLatency(d.runtime));
    else if (rttMs !== undefined) recordLatency(ownLatency(d.runtime), rttMs, this.options.latency.alpha);
    const set = this.current.sets.get(d.setId);
    if (set) applyCongestionControl(set.destinations, d);
  }

  /** A 2xx to a counted INVITE: the call is confirmed and its expiry refreshed. */
  confirmCall(callId: string): boolean {
    return this.calls.confirm(callId, this.options.now());
  }

  /** BYE, CANCEL or a failed INVITE: the call stops counting. */
  releaseCall(callId: string): boolean {
    return this.calls.release(callId) !== undefined;
  }

  /** Failover moved a counted call to `dst` (Kamailio's ds_load_replace). */
  moveCall(callId: string, dst: Destination): boolean {
    return dst.attrs.duid !== undefined && this.calls.replace(callId, dst.attrs.duid, this.options.now());
  }

  /** Drops calls past their expiry; returns how many. */
  expireCalls(now: number): number {
    return this.calls.expire(now).length;
  }

  /** This instance's own call counts by loadKey (the cluster publishes them). */
  ownCallLoads(): ReadonlyMap<string, number> {
    return this.calls.byKey();
  }

  /** Where algorithm 10 and the list read the calls other cluster instances hold. */
  setOtherLoad(fn: (key: string) => number): void {
    this.otherLoad = fn;
  }

  /** Registers the one listener told of each state change made here (not of applyClusterState). */
  setStateListener(fn: ((d: Destination, trigger: StateTrigger) => void) | undefined): void {
    this.stateListener = fn;
  }

  /**
   * A state another cluster instance decided (its probe, traffic mark or operator): applied as is,
   * without thresholds, and published with trigger `cluster`. Undefined when the destination is
   * not in this list or already in that state.
   */
  applyClusterState(setId: number, uri: string, state: DestinationState): StateChange | undefined {
    const d = this.current.sets.get(setId)?.destinations.find((x) => x.uri === uri);
    if (!d || stateLetters(d.runtime.health.state) === stateLetters(state)) return undefined;
    return this.update(d, { state, count: 0 }, 0, 'cluster', 'cluster');
  }

  /** Active calls counted for a destination. */
  callLoad(dst: Destination): number {
    return this.loadOf(dst);
  }

  /** dispatcher.hash nslots val1 [val2]. */
  hash(nslots: number, v1: string, v2?: string): HashResult {
    return dispatcherHash(nslots, v1, v2);
  }

  /** Sets and destinations as plain data (admin, JSON-RPC, metrics). */
  list(): SetView[] {
    return viewSets(this.current, this.loadOf);
  }

  /** The sets in force as lazy views, for replies that stream a large list in pieces. */
  lazyList(): LazySetView[] {
    return lazySets(this.current, this.loadOf);
  }

  /** How many sets and destinations are loaded, and how many destinations can be selected. */
  counts(): { sets: number; destinations: number; up: number } {
    let destinations = 0;
    let up = 0;
    for (const set of this.current.sets.values()) {
      destinations += set.destinations.length;
      for (const d of set.destinations) if (isUsable(d.runtime.health.state)) up++;
    }
    return { sets: this.current.sets.size, destinations, up };
  }

  /** The destination as it is in the current snapshot (a reload may have replaced the object). */
  private resolve(dst: Destination): Destination | undefined {
    return this.current.byIuid.get(dst.iuid);
  }

  private update(d: Destination, next: Health, code: number, reason: string, trigger: StateTrigger): StateChange {
    const before = d.runtime.health.state;
    d.runtime.health = next;
    const changed = isUsable(before) !== isUsable(next.state);
    // Usable again, or set by the operator: no longer held down by traffic.
    if (trigger !== 'traffic' && (isUsable(next.state) || trigger === 'admin')) this.downByTraffic.delete(d.iuid);
    if (stateLetters(before) !== stateLetters(next.state)) {
      this.announce(d, before, false, code, reason, trigger);
      if (trigger !== 'cluster') this.stateListener?.(d, trigger);
    }
    return { state: stateLetters(next.state), up: isUsable(next.state), changed };
  }

  private announce(d: Destination, previous: DestinationState | null, initial: boolean, code: number, reason: string, trigger: StateTrigger): void {
    publish('destination.state', () => {
      const state = d.runtime.health.state;
      const up = isUsable(state);
      return {
        set: String(d.setId),
        uri: d.uri,
        duid: d.attrs.duid ?? null,
        state: stateLetters(state),
        previous: previous && stateLetters(previous),
        up,
        changed: initial || previous === null || isUsable(previous) !== up,
        initial,
        code,
        reason,
        at: this.options.now(),
        trigger,
      };
    });
  }
}
