/**
 * One full garbage collection at the end of start-up, before the sockets open: loading a large
 * list (and the warm-up) leaves tens of MB of garbage in V8's old space, which V8 would otherwise
 * carry, with its pages still committed, until its memory reducer runs some seconds later. Done
 * here, the process starts at its live size. Never called on the hot path or during a reload: a
 * full collection holds the event loop (about 1 ms per MB of live heap).
 *
 * The collection is V8's "collect all available garbage" (what a low-memory notification runs): it
 * also compacts and gives the freed pages back to the system, which a plain `gc()` leaves
 * committed on Node 20. It is reached through an in-process inspector session
 * (HeapProfiler.collectGarbage), so no `--expose-gc` flag and no `gc` global are needed.
 */
import type { Session } from 'node:inspector';
import { getHeapStatistics } from 'node:v8';

export interface CollectionReport {
  /** V8's used heap before and after (bytes). */
  readonly heapBefore: number;
  readonly heapAfter: number;
  /** V8's committed heap after (bytes). */
  readonly heapTotalAfter: number;
  readonly ms: number;
}

/** How long start-up waits for the collection before going on without it. */
const COLLECTION_WAIT_MS = 10_000;

/** Collects all available garbage; resolves false when this node has no inspector (start-up goes on). */
export async function collectAllGarbage(): Promise<boolean> {
  let session: Session;
  try {
    // loaded here: node:inspector throws at import in a node built without it
    const inspector = await import('node:inspector');
    session = new inspector.Session();
    session.connect();
  } catch {
    return false;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const error = await new Promise<Error | null | 'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), COLLECTION_WAIT_MS);
      // resolve only: disconnecting from inside the callback deadlocks the thread
      session.post('HeapProfiler.collectGarbage', resolve);
    });
    return error === null;
  } finally {
    clearTimeout(timer);
    session.disconnect();
  }
}

/** Runs the start-up collection; undefined when none could run. */
export async function collectStartUpGarbage(collect: () => Promise<boolean> = collectAllGarbage): Promise<CollectionReport | undefined> {
  const heapBefore = getHeapStatistics().used_heap_size;
  const started = performance.now();
  if (!(await collect())) return undefined;
  const after = getHeapStatistics();
  return { heapBefore, heapAfter: after.used_heap_size, heapTotalAfter: after.total_heap_size, ms: performance.now() - started };
}
