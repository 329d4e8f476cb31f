/**
 * One full garbage collection at the end of start-up, before the sockets open: loading a large
 * list (and the warm-up) leaves tens of MB of garbage in V8's old space, which V8 would otherwise
 * carry, with the heap headroom sized after it, until its own next full collection. Collected
 * here, the process starts at its live size. Never called on the hot path or during a reload: a
 * full collection holds the event loop (about 1 ms per MB of live heap).
 *
 * `gc()` is reached without `--expose-gc` on the command line (jest's leak detector does the
 * same): the flag is on only while one fresh context is made, so no script sees a `gc` global.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface CollectionReport {
  /** V8's used heap before and after (bytes). */
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly ms: number;
}

type Gc = () => void;

/** V8's gc(): the global one when node runs with --expose-gc, else one from a fresh context. */
export function fullCollector(): Gc | undefined {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as Gc;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Gc) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Runs one full collection; undefined when this V8 offers none (start-up goes on regardless). */
export function collectStartUpGarbage(collector: () => Gc | undefined = fullCollector): CollectionReport | undefined {
  const gc = collector();
  if (!gc) return undefined;
  const heapBefore = getHeapStatistics().used_heap_size;
  const started = performance.now();
  gc();
  return { heapBefore, heapAfter: getHeapStatistics().used_heap_size, ms: performance.now() - started };
}
