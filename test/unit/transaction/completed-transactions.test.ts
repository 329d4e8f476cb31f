import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CompletedTransactions, type CompletedEntry } from '../../../src/transaction/completed-transactions.js';

/** An entry that records its silent end. */
class Entry implements CompletedEntry {
  completedSlot = -1;
  aborted = false;

  constructor(readonly name: number) {}

  abort(): void {
    this.aborted = true;
  }
}

function fifo(max: number): { q: CompletedTransactions; evictions: number[] } {
  const evictions: number[] = [];
  const q = new CompletedTransactions(max, () => evictions.push(q.size));
  return { q, evictions };
}

describe('CompletedTransactions (max_completed_transactions)', () => {
  it('ends the oldest entry when one more than the cap is added, after it left the count', () => {
    const { q, evictions } = fifo(2);
    const [a, b, c] = [new Entry(1), new Entry(2), new Entry(3)];
    q.add(a);
    q.add(b);
    expect(q.size).toBe(2);
    expect(evictions).toEqual([]);
    q.add(c);
    expect(a.aborted).toBe(true);
    expect(a.completedSlot).toBe(-1);
    expect([b.aborted, c.aborted]).toEqual([false, false]);
    expect(q.size).toBe(2);
    expect(q.evicted).toBe(1);
    expect(evictions).toEqual([2]);
  });

  it('skips entries that ended by themselves: the oldest still waiting goes', () => {
    const { q } = fifo(2);
    const [a, b, c] = [new Entry(1), new Entry(2), new Entry(3)];
    q.add(a);
    q.add(b);
    q.remove(a);
    q.add(c);
    expect(q.evicted).toBe(0);
    q.add(new Entry(4));
    expect(b.aborted).toBe(true);
    expect(c.aborted).toBe(false);
  });

  it('never ends anything with no cap (0)', () => {
    const { q } = fifo(0);
    const entries = Array.from({ length: 5000 }, (_, i) => new Entry(i));
    for (const e of entries) q.add(e);
    expect(q.size).toBe(5000);
    expect(entries.some((e) => e.aborted)).toBe(false);
  });

  it('adds an entry once and forgets a removed one', () => {
    const { q } = fifo(1);
    const a = new Entry(1);
    q.add(a);
    q.add(a);
    expect(q.size).toBe(1);
    q.remove(a);
    q.remove(a);
    expect(q.size).toBe(0);
    expect(a.completedSlot).toBe(-1);
  });

  it('property: whatever the order of adds and removes, it ends exactly the oldest live entries beyond the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.oneof(fc.constant(-1), fc.nat(3000)), { maxLength: 4000 }), (max, ops) => {
        const { q } = fifo(max);
        const live: Entry[] = [];
        let n = 0;
        for (const op of ops) {
          if (op === -1 || live.length === 0) {
            const e = new Entry(n++);
            q.add(e);
            live.push(e);
            // the model: the oldest live entries beyond the cap end
            while (live.length > max) {
              const oldest = live.shift()!;
              if (!oldest.aborted) return false;
            }
          } else {
            const [e] = live.splice(op % live.length, 1);
            q.remove(e!);
          }
          if (q.size !== live.length || live.some((e) => e.aborted || e.completedSlot < 0)) return false;
        }
        return true;
      }),
      { numRuns: 60 },
    );
  });
});
