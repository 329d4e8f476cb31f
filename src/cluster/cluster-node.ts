/**
 * One instance's side of the cluster: membership by heartbeat, who probes which destination,
 * replication of state changes (versioned by the engine's counter) and of call loads. The SIP hot
 * path never waits for it: selection reads the dispatcher's local replica, and every write here is
 * fire-and-forget, coalesced on a zero-delay timer. While the engine is unreachable the instance
 * runs alone ("local mode"): it probes everything and keeps what it would publish until it is back.
 */
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import type { DestinationState } from '../dispatcher/flags.js';
import type { Destination } from '../dispatcher/snapshot.js';
import { publish, type StateTrigger } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';
import {
  destinationKey, parseDestinationKey, PING_KEY,
  type ClusterBackend, type ClusterMessage, type LoadRecord, type MemberInfo, type ProbingShare, type StateRecord, type VersionedState,
} from './cluster-port.js';
import { listDigest } from './list-digest.js';
import { RemoteLoads } from './remote-loads.js';
import { rendezvousOwner } from './rendezvous.js';

export interface ClusterNodeOptions {
  /** This instance's id, unique in the cluster. */
  readonly id: string;
  readonly probing: ProbingShare;
  readonly heartbeatMs: number;
  /** A member (and its loads) is gone this long after its last heartbeat. */
  readonly memberTtlMs: number;
  /** Anti-entropy: every stored state is read back this often (and on reconnect). */
  readonly resyncMs: number;
  /** Own call loads are published at most this often when they change (and every heartbeat). */
  readonly loadIntervalMs: number;
}

/** What the node uses of the dispatcher facade. */
export type ClusterDispatcher = Pick<Dispatcher, 'snapshot' | 'pingActive' | 'setStateListener' | 'applyClusterState' | 'ownCallLoads' | 'setOtherLoad'>;

export interface ClusterNodeDeps {
  readonly dispatcher: ClusterDispatcher;
  readonly backend: ClusterBackend;
  readonly scheduler: Scheduler;
  /** Wall clock (ms since the epoch): only for the propagation delay, across machines. */
  readonly wallClock: () => number;
  readonly logger: Logger;
  /** SIP listeners and admin address this instance shows the others. */
  readonly address: () => { sip: readonly string[]; http: string };
}

export interface ClusterStatus {
  readonly id: string;
  readonly probing: ProbingShare;
  /** The probing in force: `all` while the engine is unreachable. */
  readonly effective: ProbingShare;
  readonly connected: boolean;
  readonly leader: string | undefined;
  readonly digest: string;
  /** Another live member loaded a different list. */
  readonly listMismatch: boolean;
  readonly members: ReadonlyArray<MemberInfo & { readonly self: boolean }>;
}

export interface ClusterCounts {
  readonly eventsIn: number;
  readonly eventsOut: number;
}

const sameState = (a: DestinationState, b: DestinationState): boolean =>
  a.availability === b.availability && a.probing === b.probing && a.noPing === b.noPing && a.noDns === b.noDns;

/** The state triggers another instance must hear of; probes only when this instance is the prober. */
const ALWAYS_SHARED: ReadonlySet<StateTrigger> = new Set(['admin', 'traffic']);

export class ClusterNode {
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  /** The last heartbeat succeeded and listed us: the cluster view is current. */
  private live = false;
  private members: MemberInfo[] = [];
  private memberIds: string[] = [];
  private leaderId: string | undefined;
  /** Owner per destination key, for the member list and snapshot it was computed from. */
  private owners = new Map<string, string | undefined>();
  private ownersFor: { snapshot: unknown; members: string[] } | undefined;
  private digestFor: { snapshot: unknown; digest: string } | undefined;
  /** Highest version applied per key. */
  private readonly applied = new Map<string, number>();
  /** Our latest change per key (its seq), so an older echo of ours does not undo a newer one. */
  private readonly localSeq = new Map<string, number>();
  private seq = 0;
  /** Changes waiting to be published (coalesced per key). */
  private readonly pending = new Map<string, StateRecord>();
  private flushTimer: TimerHandle | undefined;
  private readonly timers: TimerHandle[] = [];
  private heartbeatBusy = false;
  private readBusy = false;
  private joinedBefore = false;
  private maxApplied = 0;
  /** A live member's list digest differs from ours (as of the last heartbeat). */
  private mismatch = false;
  private resyncBusy = false;
  /** Other members' loads, and their sum per loadKey. */
  private readonly remoteLoads = new RemoteLoads();
  private lastLoadText = '';
  private lastLoadAt = -Infinity;
  private counts = { eventsIn: 0, eventsOut: 0 };
  private readonly startedAt: number;

  constructor(
    private readonly options: ClusterNodeOptions,
    private readonly deps: ClusterNodeDeps,
  ) {
    this.startedAt = deps.wallClock();
  }

  get id(): string {
    return this.options.id;
  }

  /**
   * The probing in force now: `all` while the engine is unreachable, and while a live member
   * loaded another list (the owner of a destination might not have it, and nobody would probe it).
   */
  get effective(): ProbingShare {
    return this.live && !this.mismatch ? this.options.probing : 'all';
  }

  get connected(): boolean {
    return this.live;
  }

  get eventCounts(): ClusterCounts {
    return { ...this.counts };
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    const { dispatcher, backend } = this.deps;
    dispatcher.setStateListener((d, trigger) => this.localChange(d, trigger));
    dispatcher.setOtherLoad(this.remoteLoads.total);
    backend.start({ message: (m) => this.receive(m), status: (up) => this.statusChanged(up) });
    this.every(this.options.heartbeatMs, () => void this.heartbeat());
    this.every(this.options.resyncMs, () => void this.resync());
    this.every(this.options.loadIntervalMs, () => this.publishLoads());
    // between heartbeats: a member gone is seen soon after its TTL, and a hung engine sooner when idle
    this.every(Math.max(50, Math.floor(this.options.heartbeatMs / 4)), () => void this.readMembers());
    void this.heartbeat();
  }

  /** Leaves the cluster at once (the others need not wait for the TTL) and stops every timer. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    for (const t of this.timers) t.cancel();
    this.flushTimer?.cancel();
    this.deps.dispatcher.setStateListener(undefined);
    this.deps.dispatcher.setOtherLoad(() => 0);
    if (this.live) await this.deps.backend.leave(this.options.id).catch(() => undefined);
    await this.deps.backend.close();
  }

  /** Whether this instance probes `d` now (the prober asks for each target of a round). */
  readonly shouldProbe = (d: Destination): boolean => {
    switch (this.effective) {
      case 'all':
        return true;
      case 'leader':
        return this.leaderId === this.options.id;
      case 'distributed':
        return this.ownerOf(destinationKey(d.setId, d.uri)) === this.options.id;
    }
  };

  /** The instance probing a destination now, in this instance's view. */
  ownerOf(key: string): string | undefined {
    switch (this.effective) {
      case 'all':
        return this.options.id;
      case 'leader':
        return this.leaderId;
      case 'distributed': {
        const snapshot = this.deps.dispatcher.snapshot;
        if (this.ownersFor?.snapshot !== snapshot || this.ownersFor.members !== this.memberIds) {
          this.owners = new Map();
          this.ownersFor = { snapshot, members: this.memberIds };
        }
        if (!this.owners.has(key)) this.owners.set(key, rendezvousOwner(key, this.memberIds));
        return this.owners.get(key);
      }
    }
  }

  /** The operator switched ping_active here: every instance follows. */
  pingActiveChanged(on: boolean): void {
    this.queue({ key: PING_KEY, pingActive: on, trigger: 'admin', origin: this.options.id, seq: ++this.seq, at: this.deps.wallClock() });
  }

  status(): ClusterStatus {
    const digest = this.digest();
    return {
      id: this.options.id,
      probing: this.options.probing,
      effective: this.effective,
      connected: this.live,
      leader: this.options.probing === 'leader' ? this.leaderId : undefined,
      digest,
      listMismatch: this.live && this.mismatch,
      members: this.members.map((m) => ({ ...m, self: m.id === this.options.id })),
    };
  }

  /** Every destination of the list with the instance probing it (metrics). */
  probeOwners(): Array<{ set: string; uri: string; owner: string }> {
    const out: Array<{ set: string; uri: string; owner: string }> = [];
    for (const set of this.deps.dispatcher.snapshot.sets.values()) {
      for (const d of set.destinations) out.push({ set: String(d.setId), uri: d.uri, owner: this.ownerOf(destinationKey(d.setId, d.uri)) ?? '' });
    }
    return out;
  }

  private every(ms: number, fn: () => void): void {
    const tick = (): void => {
      if (this.state !== 'running') return;
      this.timers[index] = this.deps.scheduler.setTimeout(tick, ms);
      fn();
    };
    const index = this.timers.length;
    this.timers.push(this.deps.scheduler.setTimeout(tick, ms));
  }

  /** Computes the loaded list's digest now (at start, before the start-up collection), not at the first heartbeat. */
  prepareDigest(): void {
    this.digest();
  }

  private digest(): string {
    const snapshot = this.deps.dispatcher.snapshot;
    if (this.digestFor?.snapshot !== snapshot) this.digestFor = { snapshot, digest: listDigest(snapshot.entries) };
    return this.digestFor.digest;
  }

  private info(): MemberInfo {
    const { sip, http } = this.deps.address();
    return { id: this.options.id, sip, http, digest: this.digest(), startedAt: this.startedAt };
  }

  private statusChanged(up: boolean): void {
    if (this.state !== 'running') return;
    // Down: local mode at once. Up: the next heartbeat (sent now) lists us and ends local mode.
    if (!up) this.goLocal('connection lost');
    else void this.heartbeat();
  }

  private goLocal(reason: string): void {
    if (!this.live) return;
    this.live = false;
    this.deps.logger.warn({ code: 'CLUSTER_UNAVAILABLE', reason }, 'cluster engine unreachable: local mode (probing every destination, changes kept until it is back)');
  }

  private async readMembers(): Promise<void> {
    if (!this.live || this.readBusy) return;
    this.readBusy = true;
    try {
      const live = new Set(await this.deps.backend.liveMembers(this.options.memberTtlMs));
      // joins wait for the next heartbeat (it brings their info); a member whose TTL ran out leaves now
      if (this.live && this.members.some((m) => !live.has(m.id))) this.updateMembers(this.members.filter((m) => live.has(m.id)));
    } catch (e) {
      this.goLocal(`ping failed: ${(e as Error).message}`);
    } finally {
      this.readBusy = false;
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeatBusy || this.state !== 'running') return;
    this.heartbeatBusy = true;
    const { backend } = this.deps;
    try {
      const { members, version } = await backend.heartbeat(this.info(), this.options.memberTtlMs);
      const leader = this.options.probing === 'leader' ? await backend.lease(this.options.id, this.options.memberTtlMs) : undefined;
      if (this.state !== 'running') return;
      // The counter went back: the engine restarted empty, every version starts again.
      if (version < this.maxApplied) this.resetVersions();
      this.leaderId = leader;
      this.updateMembers(members);
      const digest = this.digest();
      this.mismatch = members.some((m) => m.digest !== digest);
      const listed = members.some((m) => m.id === this.options.id);
      if (listed && !this.live) await this.rejoin();
      else if (!listed) this.goLocal('not listed');
    } catch (e) {
      this.goLocal((e as Error).message);
    } finally {
      this.heartbeatBusy = false;
    }
  }

  private resetVersions(): void {
    this.applied.clear();
    this.maxApplied = 0;
  }

  /**
   * In the cluster again. The first time, the stored states are simply taken. After an outage,
   * the destinations we probe keep what our own probes found meanwhile (the stored probe results
   * are older) and are republished where they differ; the operator's and traffic's changes are
   * taken; then what changed here meanwhile is published.
   */
  private async rejoin(): Promise<void> {
    this.live = true;
    const first = !this.joinedBefore;
    this.joinedBefore = true;
    this.deps.logger.info({ members: this.memberIds, probing: this.options.probing, first }, first ? 'cluster joined' : 'cluster rejoined after an outage');
    const keepOwn = !first && this.options.probing !== 'all';
    const stored = await this.resync(keepOwn);
    if (keepOwn && stored && this.live) {
      for (const set of this.deps.dispatcher.snapshot.sets.values()) {
        for (const d of set.destinations) {
          const key = destinationKey(d.setId, d.uri);
          const held = stored.get(key)?.state;
          if (this.shouldProbe(d) && !this.pending.has(key) && (!held || !sameState(held, d.runtime.health.state))) this.recordChange(d, 'probe');
        }
      }
    }
    this.scheduleFlush();
    this.lastLoadAt = -Infinity;
    this.publishLoads();
  }

  private updateMembers(members: MemberInfo[]): void {
    const ids = members.map((m) => m.id).sort();
    const before = new Set(this.memberIds);
    const joined = ids.filter((id) => !before.has(id));
    const left = this.memberIds.filter((id) => !ids.includes(id));
    this.members = members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (joined.length === 0 && left.length === 0) return;
    this.memberIds = ids;
    for (const id of left) this.remoteLoads.drop(id);
    if (this.live) this.deps.logger.info({ joined, left, members: ids }, 'cluster membership changed');
    publish('cluster.members', () => ({ members: ids.length, joined, left }));
  }

  /**
   * Anti-entropy: reads every stored change and applies those newer than ours; with `keepOwn`,
   * probe results for destinations we probe are skipped. Returns the stored changes by key.
   */
  private async resync(keepOwn = false): Promise<Map<string, VersionedState> | undefined> {
    if (!this.live || this.resyncBusy) return undefined;
    this.resyncBusy = true;
    try {
      const records = await this.deps.backend.readStates();
      const byKey = new Map<string, VersionedState>();
      for (const r of records) {
        byKey.set(r.key, r);
        if (keepOwn && r.trigger === 'probe' && this.ownerOf(r.key) === this.options.id) continue;
        this.applyRecord(r, false);
      }
      return byKey;
    } catch (e) {
      this.deps.logger.debug({ err: e }, 'cluster resync failed');
      return undefined;
    } finally {
      this.resyncBusy = false;
    }
  }

  /** The dispatcher changed a state here. */
  private localChange(d: Destination, trigger: StateTrigger): void {
    if (this.state !== 'running') return;
    // In `all` (set, or while alone) every instance probes for itself: probe results stay local.
    if (!ALWAYS_SHARED.has(trigger) && !(trigger === 'probe' && this.effective !== 'all')) return;
    this.recordChange(d, trigger);
    this.scheduleFlush();
  }

  private recordChange(d: Destination, trigger: StateTrigger): void {
    const key = destinationKey(d.setId, d.uri);
    this.queue({ key, state: d.runtime.health.state, trigger, origin: this.options.id, seq: ++this.seq, at: this.deps.wallClock() });
  }

  private queue(record: StateRecord): void {
    this.localSeq.set(record.key, record.seq);
    this.pending.set(record.key, record);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || !this.live || this.pending.size === 0 || this.state !== 'running') return;
    this.flushTimer = this.deps.scheduler.setTimeout(() => this.flush(), 0);
  }

  /** Publishes every pending change; one that fails stays pending unless a newer one replaced it. */
  private flush(): void {
    this.flushTimer = undefined;
    if (!this.live) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    for (const record of batch) {
      this.counts.eventsOut++;
      publish('cluster.message', { direction: 'out', kind: 'state' });
      this.deps.backend.publishState(record).catch((e: unknown) => {
        if (!this.pending.has(record.key)) this.pending.set(record.key, record);
        this.deps.logger.debug({ err: e, key: record.key }, 'cluster publish failed; kept for later');
        this.goLocal(`publish failed: ${(e as Error).message}`);
      });
    }
  }

  private receive(m: ClusterMessage): void {
    if (this.state !== 'running') return;
    if (m.kind === 'load') return this.receiveLoad(m.record);
    this.applyRecord(m.record, true);
  }

  /** Applies a change if it is newer than what we applied for its key. */
  private applyRecord(r: VersionedState, live: boolean): void {
    if (r.version <= (this.applied.get(r.key) ?? 0)) return;
    this.applied.set(r.key, r.version);
    if (r.version > this.maxApplied) this.maxApplied = r.version;
    const own = r.origin === this.options.id;
    if (live) {
      this.counts.eventsIn++;
      const delayMs = own ? undefined : Math.max(0, this.deps.wallClock() - r.at);
      publish('cluster.message', { direction: 'in', kind: 'state', delayMs });
    }
    // An echo of ours that a newer local change has overtaken must not undo it.
    if (own && this.localSeq.get(r.key) !== r.seq) return;
    if (r.key === PING_KEY) {
      if (r.pingActive !== undefined) this.deps.dispatcher.pingActive = r.pingActive;
      return;
    }
    const where = parseDestinationKey(r.key);
    if (!where || !r.state) return;
    // As on one instance: a probe result never brings a disabled destination back.
    if (r.trigger === 'probe' && r.state.availability !== 'disabled') {
      const d = this.deps.dispatcher.snapshot.sets.get(where.setId)?.destinations.find((x) => x.uri === where.uri);
      if (d?.runtime.health.state.availability === 'disabled') return;
    }
    this.deps.dispatcher.applyClusterState(where.setId, where.uri, r.state);
  }

  /** Publishes own loads when they changed (at most every loadIntervalMs) and every heartbeat. */
  private publishLoads(): void {
    const now = this.deps.scheduler.now();
    this.remoteLoads.expire(now, this.options.memberTtlMs);
    if (!this.live) return;
    const loads: Record<string, number> = {};
    for (const [key, n] of this.deps.dispatcher.ownCallLoads()) loads[key] = n;
    const text = JSON.stringify(loads);
    if (text === this.lastLoadText && now - this.lastLoadAt < this.options.heartbeatMs) return;
    this.lastLoadText = text;
    this.lastLoadAt = now;
    const record: LoadRecord = { origin: this.options.id, loads, at: this.deps.wallClock() };
    this.counts.eventsOut++;
    publish('cluster.message', { direction: 'out', kind: 'load' });
    this.deps.backend.publishLoad(record, this.options.memberTtlMs).catch((e: unknown) => {
      this.lastLoadText = '';
      this.deps.logger.debug({ err: e }, 'cluster load publish failed');
      // under load this notices a hung Redis before the next heartbeat does
      this.goLocal(`load publish failed: ${(e as Error).message}`);
    });
  }

  private receiveLoad(r: LoadRecord): void {
    if (r.origin === this.options.id) return;
    this.counts.eventsIn++;
    publish('cluster.message', { direction: 'in', kind: 'load', delayMs: Math.max(0, this.deps.wallClock() - r.at) });
    this.remoteLoads.receive(r, this.deps.scheduler.now());
  }
}
