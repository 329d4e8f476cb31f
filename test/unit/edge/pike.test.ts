import { describe, expect, it } from 'vitest';
import { Pike } from '../../../src/edge/pike.js';

describe('Pike (slots in one typed array)', () => {
  it('the request after `density` inside the window is over; one window of silence starts over', () => {
    const pike = new Pike({ density: 3, windowMs: 1000, maxSources: 4 });
    expect([0, 10, 20].map((t) => pike.hit('a', t))).toEqual([false, false, false]);
    expect(pike.hit('a', 999)).toBe(true);
    // the oldest of the last three (20, 999 and this) decides
    expect(pike.hit('b', 0)).toBe(false);
    expect(pike.hit('a', 2999)).toBe(false);
    expect(pike.hit('a', 3000)).toBe(false);
    expect(pike.hit('a', 3001)).toBe(false);
    expect(pike.hit('a', 3002)).toBe(true);
  });

  it('evicts the least recently seen source when full, counts it, and gives its slot a clean start', () => {
    const pike = new Pike({ density: 2, windowMs: 1000, maxSources: 2 });
    pike.hit('a', 0);
    pike.hit('a', 1);
    pike.hit('b', 2);
    pike.hit('c', 3);
    expect(pike.tracked).toBe(2);
    expect(pike.evicted).toBe(1);
    // 'c' took a's slot: a's two requests are not counted against it
    expect(pike.hit('c', 4)).toBe(false);
    expect(pike.hit('c', 5)).toBe(true);
    // 'a' comes back as a new source
    expect(pike.hit('a', 6)).toBe(false);
    expect(pike.evicted).toBe(2);
    // seen counts every source that took a slot (the churn heap_growth watches), a, b, c and a again
    expect(pike.seen).toBe(4);
  });

  it('forget frees the slot without counting an eviction', () => {
    const pike = new Pike({ density: 1, windowMs: 1000, maxSources: 1 });
    pike.hit('a', 0);
    expect(pike.hit('a', 1)).toBe(true);
    pike.forget('a');
    expect(pike.tracked).toBe(0);
    expect(pike.hit('a', 2)).toBe(false);
    expect(pike.evicted).toBe(0);
  });

  it('stays exact across the 32-bit wrap of its millisecond offsets (49.7 days)', () => {
    const pike = new Pike({ density: 2, windowMs: 1000, maxSources: 2 });
    const wrap = 2 ** 32;
    pike.hit('a', 0);
    pike.hit('a', 10);
    // idle for exactly the wrap: the kept offsets would look 0 and 10 ms old
    expect(pike.hit('a', wrap + 20)).toBe(false);
    expect(pike.hit('a', wrap + 30)).toBe(false);
    expect(pike.hit('a', wrap + 40)).toBe(true);
    // a source busy across the wrap point keeps its window
    pike.hit('b', wrap - 5);
    pike.hit('b', wrap + 5);
    expect(pike.hit('b', wrap + 6)).toBe(true);
  });
});
