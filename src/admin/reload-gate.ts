/**
 * Serializes reloads (Kamailio issue 1939: concurrent reloads crashed it) and applies Kamailio's
 * `reload_delta` to the RPC: `dispatcher.reload` within the delta of the previous reload start, or
 * while one runs, is refused with `500 Ongoing reload`. HTTP `/reload` queues instead, so two
 * concurrent calls both get their own answer and the last one leaves the file's list in force.
 */
import PQueue from 'p-queue';

export class ReloadGate {
  private readonly queue = new PQueue({ concurrency: 1 });
  private lastStart = -Infinity;

  constructor(
    private readonly now: () => number,
    private readonly deltaMs: number,
  ) {}

  /** Runs `reload` once every reload queued before it has finished. */
  run<T>(reload: () => Promise<T>): Promise<T> {
    return this.queue.add(() => {
      this.lastStart = this.now();
      return reload();
    });
  }

  /** True while a reload is queued or running, or the last one started less than reload_delta ago. */
  busy(): boolean {
    return this.queue.size + this.queue.pending > 0 || this.now() - this.lastStart < this.deltaMs;
  }
}
