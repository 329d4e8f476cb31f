import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualScheduler, systemScheduler } from '../../../src/shared/scheduler.js';

describe('ManualScheduler', () => {
  it('fires due timers in time order, ties in creation order, each at its own time', () => {
    const s = new ManualScheduler();
    const fired: Array<[string, number]> = [];
    const record = (name: string): void => void fired.push([name, s.now()]);
    s.setTimeout(record, 30, 'c');
    s.setTimeout(record, 10, 'a1');
    s.setTimeout(record, 20, 'b');
    s.setTimeout(record, 10, 'a2');
    s.setTimeout(() => record('zero-arg'), 10);
    s.setTimeout(record, 31, 'late');
    s.advance(30);
    expect(fired).toEqual([['a1', 10], ['a2', 10], ['zero-arg', 10], ['b', 20], ['c', 30]]);
    expect(s.now()).toBe(30);
    expect(s.pending).toBe(1);
  });

  it('matches a stable sort by due time for many timers armed in shuffled order', () => {
    const s = new ManualScheduler();
    let seed = 7;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 1000;
    const armed = Array.from({ length: 2000 }, (_, id) => ({ id, at: next() }));
    const fired: number[] = [];
    for (const t of armed) s.setTimeout((id: number) => fired.push(id), t.at, t.id);
    s.advance(1000);
    expect(fired).toEqual([...armed].sort((x, y) => x.at - y.at).map((t) => t.id));
  });

  it('fires a timer armed while advancing when it falls due within the same advance', () => {
    const s = new ManualScheduler();
    const fired: number[] = [];
    s.setTimeout(() => s.setTimeout(() => fired.push(s.now()), 5), 10);
    s.setTimeout(() => fired.push(s.now()), 12);
    s.advance(14);
    expect(fired).toEqual([12]);
    s.advance(1);
    expect(fired).toEqual([12, 15]);
  });

  it('never fires a cancelled timer, drops its callback and argument, and counts only live timers', () => {
    const s = new ManualScheduler();
    const fn = vi.fn();
    const kept = s.setTimeout(fn, 10, 'kept');
    const cancelled = s.setTimeout(fn, 5, 'cancelled');
    expect(s.pending).toBe(2);
    cancelled.cancel();
    cancelled.cancel();
    expect(s.pending).toBe(1);
    expect(cancelled).toMatchObject({ fn: undefined, arg: undefined });
    s.advance(10);
    expect(fn.mock.calls).toEqual([['kept']]);
    kept.cancel();
    expect(s.pending).toBe(0);
  });
});

describe('systemScheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes the argument through to a Node timer, none when not given, and cancels it', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const noArg = vi.fn();
    systemScheduler.setTimeout(fn, 10, 'tx');
    systemScheduler.setTimeout(noArg, 10);
    systemScheduler.setTimeout(fn, 10, 'cancelled').cancel();
    vi.advanceTimersByTime(9);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn.mock.calls).toEqual([['tx']]);
    expect(noArg.mock.calls).toEqual([[]]);
  });
});
