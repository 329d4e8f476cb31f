/**
 * The bound on answered transactions waiting out their timers (max_completed_transactions).
 *
 * A transaction that has its final answer stays to absorb retransmissions (Timers D, I, J, K:
 * wait_timer or T4), so without a bound their number is the request rate × that time: a flood
 * that the farm answers grows memory with the rate the proxy can take. Kamailio bounds the same
 * cells by its shared memory pool. Here they sit in one FIFO in the order they entered their
 * absorbing state; above the cap the oldest is ended early, without telling its user. The price:
 * a late retransmission of its request is forwarded again (or of its response, dropped as a stray)
 * instead of absorbed.
 *
 * Never in the FIFO: a transaction still waiting for its final answer (max_transactions bounds
 * those), an INVITE server transaction in Completed, which retransmits its non-2xx answer until
 * the ACK (ending it would stop those retransmissions and lose the answer if it was lost), and
 * INVITEs in RFC 6026's Accepted (a call the farm took; ended early, a late INVITE retransmission
 * would be forwarded as a new call).
 */

/** What the FIFO needs of a transaction: its slot (owned here; -1 when not queued) and a silent end. */
export interface CompletedEntry {
  completedSlot: number;
  abort(): void;
}

export class CompletedTransactions {
  private entries: Array<CompletedEntry | undefined> = [];
  /** The slot number of entries[0]: slots are absolute, so a compaction does not renumber them. */
  private base = 0;
  private head = 0;
  private live = 0;
  private ended = 0;

  /**
   * @param max the cap (0 = no cap)
   * @param onEvict called once per transaction ended early, after it ended
   */
  constructor(
    private readonly max: number,
    private readonly onEvict: () => void,
  ) {}

  /** Transactions waiting out an absorbing state now. */
  get size(): number {
    return this.live;
  }

  /** Transactions ended early since the start. */
  get evicted(): number {
    return this.ended;
  }

  /** `tx` entered an absorbing state: queue it, and end the oldest if that makes one too many. */
  add(tx: CompletedEntry): void {
    if (tx.completedSlot >= 0) return;
    tx.completedSlot = this.base + this.entries.length;
    this.entries.push(tx);
    this.live++;
    if (this.max > 0 && this.live > this.max) this.evictOldest();
  }

  /** `tx` ended (or left its absorbing state): forget it. */
  remove(tx: CompletedEntry): void {
    const slot = tx.completedSlot;
    if (slot < 0) return;
    tx.completedSlot = -1;
    this.entries[slot - this.base] = undefined;
    this.live--;
    this.trim();
  }

  private evictOldest(): void {
    const oldest = this.entries[this.head];
    if (oldest === undefined) return;
    this.remove(oldest);
    oldest.abort();
    this.ended++;
    this.onEvict();
  }

  /** Moves the head past ended entries; gives the array back its space once mostly ended. */
  private trim(): void {
    const entries = this.entries;
    if (this.live === 0) {
      this.base += entries.length;
      // Emptied in place: a FIFO that empties and fills again allocates nothing.
      entries.length = 0;
      this.head = 0;
      return;
    }
    while (entries[this.head] === undefined) this.head++;
    if (this.head > 1024 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}
