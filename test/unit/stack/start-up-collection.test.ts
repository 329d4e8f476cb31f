/** The start-up collection: a full collection through an in-process inspector session, and a start that goes on without one. */
import { describe, expect, it } from 'vitest';
import { collectAllGarbage, collectStartUpGarbage } from '../../../src/stack/start-up-collection.js';

describe('collectStartUpGarbage', () => {
  it('runs a full collection that frees unreachable objects', async () => {
    const ref = new WeakRef(Array.from({ length: 20_000 }, (_, i) => ({ i, text: `garbage ${i}` })));
    // a WeakRef holds its target until the job that made it ends
    await new Promise((resolve) => setImmediate(resolve));
    const report = await collectStartUpGarbage();
    expect(report).toBeDefined();
    expect(ref.deref()).toBeUndefined();
    expect(report!.heapAfter).toBeLessThan(report!.heapBefore);
    expect(report!.heapTotalAfter).toBeGreaterThanOrEqual(report!.heapAfter);
  });

  it('leaves no gc global behind', async () => {
    expect(await collectAllGarbage()).toBe(true);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });

  it('goes on without a collector', async () => {
    expect(await collectStartUpGarbage(() => Promise.resolve(false))).toBeUndefined();
  });
});
