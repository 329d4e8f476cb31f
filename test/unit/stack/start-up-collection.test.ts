/**
 * The start-up collection: V8's gc() reached without --expose-gc, leaving no `gc` global behind,
 * and a start that goes on when no collector is available.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { collectStartUpGarbage, fullCollector } from '../../../src/stack/start-up-collection.js';

describe('collectStartUpGarbage', () => {
  it('runs a full collection that frees unreachable objects', async () => {
    const ref = new WeakRef(Array.from({ length: 20_000 }, (_, i) => ({ i, text: `garbage ${i}` })));
    // a WeakRef holds its target until the job that made it ends
    await new Promise((resolve) => setImmediate(resolve));
    const report = collectStartUpGarbage();
    expect(report).toBeDefined();
    expect(ref.deref()).toBeUndefined();
    expect(report!.heapAfter).toBeLessThan(report!.heapBefore);
  });

  it('exposes no gc to the program or to contexts made later', () => {
    const hadGlobal = typeof (globalThis as { gc?: unknown }).gc === 'function';
    expect(typeof fullCollector()).toBe('function');
    expect(typeof (globalThis as { gc?: unknown }).gc === 'function').toBe(hadGlobal);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });

  it('goes on without a collector', () => {
    expect(collectStartUpGarbage(() => undefined)).toBeUndefined();
  });

  it('calls the collector it is given once', () => {
    let calls = 0;
    const report = collectStartUpGarbage(() => () => calls++);
    expect(calls).toBe(1);
    expect(report?.ms).toBeGreaterThanOrEqual(0);
  });
});
