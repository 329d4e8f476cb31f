/**
 * The in-memory cluster engine: a hub in this process that several backends may join. Alone it is
 * the default single instance (it only ever sees itself); tests join several nodes to one hub and
 * drive time by hand. `down` plays an unreachable Redis: every call fails and listeners hear it.
 */
import type { ClusterBackend, ClusterListeners, ClusterMessage, LoadRecord, MemberInfo, StateRecord, VersionedState } from './cluster-port.js';

class UnreachableError extends Error {
  constructor() {
    super('cluster hub unreachable');
  }
}

export class MemoryHub {
  private version = 0;
  private readonly states = new Map<string, VersionedState>();
  private readonly members = new Map<string, { info: MemberInfo; expires: number }>();
  private readonly loads = new Map<string, { record: LoadRecord; expires: number }>();
  private leaseHolder: { id: string; expires: number } | undefined;
  private readonly backends = new Set<MemoryBackend>();
  private isDown = false;

  /** `now` is the hub's own clock (Redis's TIME): member and lease expiry use it alone. */
  constructor(readonly now: () => number) {}

  get down(): boolean {
    return this.isDown;
  }

  /** Takes the hub away (true) or brings it back (false); every joined backend is told. */
  set down(value: boolean) {
    if (value === this.isDown) return;
    this.isDown = value;
    for (const b of this.backends) b.statusChanged(!value);
  }

  /** Loses everything stored, like a Redis restarted without persistence. */
  flush(): void {
    this.version = 0;
    this.states.clear();
    this.members.clear();
    this.loads.clear();
    this.leaseHolder = undefined;
  }

  join(b: MemoryBackend): void {
    this.backends.add(b);
  }

  part(b: MemoryBackend): void {
    this.backends.delete(b);
  }

  check(): void {
    if (this.isDown) throw new UnreachableError();
  }

  /** Members whose last heartbeat is younger than `ttlMs` (each keeps its own expiry, set with the TTL it sent). */
  liveMembers(_ttlMs: number): string[] {
    this.check();
    const now = this.now();
    return [...this.members].filter(([, m]) => m.expires > now).map(([id]) => id);
  }

  heartbeat(self: MemberInfo, ttlMs: number): { members: MemberInfo[]; version: number } {
    this.check();
    const now = this.now();
    this.members.set(self.id, { info: self, expires: now + ttlMs });
    for (const [id, m] of this.members) if (m.expires <= now) this.members.delete(id);
    return { members: [...this.members.values()].map((m) => m.info), version: this.version };
  }

  lease(id: string, ttlMs: number): string {
    this.check();
    const now = this.now();
    const held = this.leaseHolder;
    if (held && held.expires > now && held.id !== id) return held.id;
    this.leaseHolder = { id, expires: now + ttlMs };
    return id;
  }

  publishState(record: StateRecord): number {
    this.check();
    const versioned: VersionedState = { ...record, version: ++this.version };
    this.states.set(record.key, versioned);
    this.deliver({ kind: 'state', record: versioned });
    return versioned.version;
  }

  readStates(): VersionedState[] {
    this.check();
    return [...this.states.values()];
  }

  publishLoad(record: LoadRecord, ttlMs: number): void {
    this.check();
    this.loads.set(record.origin, { record, expires: this.now() + ttlMs });
    this.deliver({ kind: 'load', record });
  }

  leave(id: string): void {
    this.check();
    this.members.delete(id);
    this.loads.delete(id);
    if (this.leaseHolder?.id === id) this.leaseHolder = undefined;
  }

  /** Like PUBLISH: asynchronous, in order, to every backend joined now. */
  private deliver(m: ClusterMessage): void {
    for (const b of this.backends) queueMicrotask(() => b.receive(m));
  }
}

export class MemoryBackend implements ClusterBackend {
  private listeners: ClusterListeners | undefined;

  constructor(private readonly hub: MemoryHub) {}

  get connected(): boolean {
    return this.listeners !== undefined && !this.hub.down;
  }

  start(listeners: ClusterListeners): void {
    this.listeners = listeners;
    this.hub.join(this);
    if (!this.hub.down) queueMicrotask(() => listeners.status(true));
  }

  statusChanged(up: boolean): void {
    this.listeners?.status(up);
  }

  receive(m: ClusterMessage): void {
    if (!this.hub.down) this.listeners?.message(m);
  }

  heartbeat(self: MemberInfo, ttlMs: number): Promise<{ members: MemberInfo[]; version: number }> {
    return this.call(() => this.hub.heartbeat(self, ttlMs));
  }

  lease(id: string, ttlMs: number): Promise<string> {
    return this.call(() => this.hub.lease(id, ttlMs));
  }

  publishState(record: StateRecord): Promise<number> {
    return this.call(() => this.hub.publishState(record));
  }

  readStates(): Promise<VersionedState[]> {
    return this.call(() => this.hub.readStates());
  }

  publishLoad(record: LoadRecord, ttlMs: number): Promise<void> {
    return this.call(() => this.hub.publishLoad(record, ttlMs));
  }

  liveMembers(ttlMs: number): Promise<string[]> {
    return this.call(() => this.hub.liveMembers(ttlMs));
  }

  leave(id: string): Promise<void> {
    return this.call(() => this.hub.leave(id));
  }

  async close(): Promise<void> {
    this.hub.part(this);
    this.listeners = undefined;
  }

  private async call<T>(fn: () => T): Promise<T> {
    return fn();
  }
}
