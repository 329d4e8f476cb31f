import { describe, expect, it } from 'vitest';
import { allocateSharedDensity, SharedDensity } from '../../../src/edge/shared-density.js';

/** Two views of one buffer stand for two threads. */
function twoThreads(options: { density: number; windowMs: number; maxSources: number }, base = 0) {
  const buffer = allocateSharedDensity(options, base);
  return [new SharedDensity(options, buffer, 0), new SharedDensity(options, buffer, 0)] as const;
}

describe('SharedDensity (pike across threads)', () => {
  it('counts a source\'s requests from every thread together: request density + 1 in the window is over', () => {
    const [a, b] = twoThreads({ density: 4, windowMs: 1000, maxSources: 16 });
    expect([a.hit('s', 0), b.hit('s', 1), a.hit('s', 2), b.hit('s', 3)]).toEqual([false, false, false, false]);
    expect(b.hit('s', 4)).toBe(true);
    expect(a.hit('other', 5)).toBe(false);
    expect(a.tracked).toBe(2);
    // every thread reads the sources that took a slot, whichever thread they came to
    expect([a.seen, b.seen]).toEqual([2, 2]);
  });

  it('counts a source back after an eviction as seen again', () => {
    const [a] = twoThreads({ density: 2, windowMs: 1000, maxSources: 8 });
    // 9 sources for 8 slots: which hash to the same window decides the victims, so count them all
    for (let i = 0; i < 9; i++) a.hit(`s${i}`, i);
    expect(a.seen).toBe(9);
    expect(a.seen - a.evicted).toBe(a.tracked);
  });

  it('the request that goes over holds the source in every thread for one window, so that one thread bans', () => {
    const [a, b] = twoThreads({ density: 2, windowMs: 1000, maxSources: 16 });
    a.hit('s', 0);
    b.hit('s', 1);
    expect(a.hit('s', 2)).toBe(true);
    expect(b.hit('s', 3)).toBe('held');
    expect(a.hit('s', 1001)).toBe('held');
    expect(b.hit('s', 1002)).toBe(false);
  });

  it('starts over after a window of silence, and slides exactly', () => {
    const [a, b] = twoThreads({ density: 2, windowMs: 1000, maxSources: 16 });
    a.hit('s', 0);
    b.hit('s', 500);
    expect(a.hit('s', 999)).toBe(true);
    expect(b.hit('s', 2100)).toBe(false);
    expect(a.hit('s', 2200)).toBe(false);
    expect(b.hit('s', 3150)).toBe(false);
    expect(a.hit('s', 3199)).toBe(true);
  });

  it('turns each thread\'s clock into the shared one with its origin', () => {
    const options = { density: 1, windowMs: 1000, maxSources: 16 };
    const buffer = allocateSharedDensity(options, 50_000);
    const main = new SharedDensity(options, buffer, 50_000);
    const worker = new SharedDensity(options, buffer, 50_200);
    main.hit('s', 300);
    // the worker's 0 is the main thread's 200: 100 ms later on the shared clock
    expect(worker.hit('s', 300)).toBe(true);
    expect(worker.hit('t', 0)).toBe(false);
    expect(main.hit('t', 1300)).toBe(false);
  });

  it('after a ban, holds the source for one window in every thread (silence until the ban arrives by message), then starts clean', () => {
    const [a, b] = twoThreads({ density: 1, windowMs: 1000, maxSources: 16 });
    a.hit('s', 0);
    expect(a.hit('s', 1)).toBe(true);
    a.forget('s', 1);
    expect(b.hit('s', 2)).toBe('held');
    expect(a.hit('s', 1000)).toBe('held');
    expect(b.hit('s', 1001)).toBe(false);
    expect(a.hit('s', 1002)).toBe(true);
    expect(a.evicted).toBe(0);
    expect(a.tracked).toBe(1);
  });

  it('holds for a second at most when the window is longer, and a ban lifted by hand ends the hold at once', () => {
    const [a, b] = twoThreads({ density: 1, windowMs: 60_000, maxSources: 16 });
    a.hit('s', 0);
    expect(a.hit('s', 1)).toBe(true);
    expect(b.hit('s', 999)).toBe('held');
    expect(b.hit('s', 1001)).toBe(false);
    a.hit('t', 2000);
    expect(a.hit('t', 2001)).toBe(true);
    a.hit('u', 2000);
    expect(a.hit('u', 2001)).toBe(true);
    b.release('t');
    expect(a.hit('t', 2002)).toBe(false);
    expect(a.hit('u', 2002)).toBe('held');
    b.release(undefined);
    expect(a.hit('u', 2003)).toBe(false);
  });

  it('stays bounded: a full window gives up the source seen longest ago, counted, and the newcomer starts clean', () => {
    const [a, b] = twoThreads({ density: 1, windowMs: 1000, maxSources: 8 });
    for (let i = 0; i < 8; i++) a.hit(`s${i}`, i);
    expect(a.tracked).toBe(8);
    expect(b.hit('new', 100)).toBe(false);
    expect(b.evicted).toBe(1);
    expect(b.tracked).toBe(8);
    // s0 was seen longest ago: it lost its slot and starts over; s1 kept its count
    expect(a.hit('s0', 101)).toBe(false);
    expect(a.hit('s7', 102)).toBe(true);
    for (let i = 0; i < 10_000; i++) b.hit(`flood${i}`, 200);
    expect(a.tracked).toBe(8);
  });

  it('a thread whose time reads a little earlier than the last writer\'s (it read the clock before the lock) counts in the same window and sees the hold', () => {
    const [a, b] = twoThreads({ density: 2, windowMs: 1000, maxSources: 16 });
    a.hit('s', 100);
    a.hit('s', 105);
    expect(b.hit('s', 104)).toBe(true);
    expect(a.hit('s', 106)).toBe('held');
    expect(b.hit('s', 103)).toBe('held');
    a.hit('t', 500);
    expect(b.hit('t', 499)).toBe(false);
    expect(a.hit('t', 501)).toBe(true);
  });

  it('compares its 32-bit millisecond offsets modulo 2^32 (49.7 days)', () => {
    const wrap = 2 ** 32;
    const [a] = twoThreads({ density: 1, windowMs: 1000, maxSources: 16 });
    a.hit('s', wrap - 10);
    expect(a.hit('s', wrap + 10)).toBe(true);
    expect(a.hit('s', wrap + 2000)).toBe(false);
  });
});
