/**
 * Drives work cut into steps (a generator that yields between slices) with a turn of the event
 * loop between steps, so a large list reload never holds the relay for more than one slice.
 */

/** A turn of the event loop: I/O callbacks (datagrams, timers) run before the next slice. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `steps` to the end, awaiting `pause` at every yield; resolves with the result. */
export async function runSliced<T>(steps: Generator<void, T>, pause: () => Promise<void> = nextTurn): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await pause();
  }
}
