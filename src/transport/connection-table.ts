/**
 * The open TCP connections, by id (responses go back on the connection their request came in on,
 * RFC 3261 §18.2.2) and by peer "host:port" (requests to a backend reuse its connection, whichever
 * side opened it). Bounded: the transport refuses new connections once it is full.
 */

export interface TableEntry {
  readonly id: string;
  /** addressKey() of the peer. */
  readonly key: string;
}

export class ConnectionTable<C extends TableEntry> {
  private readonly byId = new Map<string, C>();
  /** Usually one connection per peer; when there are more, the newest is used. */
  private readonly byKey = new Map<string, C[]>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.byId.size;
  }

  get full(): boolean {
    return this.byId.size >= this.capacity;
  }

  add(entry: C): void {
    this.byId.set(entry.id, entry);
    const same = this.byKey.get(entry.key);
    if (same) same.push(entry);
    else this.byKey.set(entry.key, [entry]);
  }

  get(id: string): C | undefined {
    return this.byId.get(id);
  }

  /** The newest open connection to a peer. */
  find(key: string): C | undefined {
    const same = this.byKey.get(key);
    return same?.[same.length - 1];
  }

  delete(entry: C): void {
    if (this.byId.get(entry.id) !== entry) return;
    this.byId.delete(entry.id);
    const same = this.byKey.get(entry.key);
    if (!same) return;
    const at = same.indexOf(entry);
    if (at >= 0) same.splice(at, 1);
    if (same.length === 0) this.byKey.delete(entry.key);
  }

  values(): IterableIterator<C> {
    return this.byId.values();
  }
}
