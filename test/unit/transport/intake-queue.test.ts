import { describe, expect, it } from 'vitest';
import { IntakeQueue, type IntakeOptions } from '../../../src/transport/intake-queue.js';
import type { MessageSource } from '../../../src/transport/target.js';
import { ManualTurns } from '../../support/manual-turns.js';

const source: MessageSource = { transport: 'udp', address: '127.0.0.1', port: 5061, local: { address: '127.0.0.1', port: 5060 } };
const reply = (): void => undefined;
const OPTIONS: IntakeOptions = { maxDelayMs: 25, budgetMs: 1, capacity: 4 };

function setup(options: IntakeOptions = OPTIONS, cost = 0) {
  const clock = new ManualTurns();
  const got: Array<{ name: string; late: boolean }> = [];
  const queue = new IntakeQueue(options, clock, (bytes, _source, _reply, late) => {
    got.push({ name: bytes.toString(), late });
    clock.time += cost;
  });
  const hold = (name: string) => queue.hold(Buffer.from(name), source, reply);
  return { clock, got, queue, hold };
}

describe('the UDP intake queue', () => {
  it('holds new requests until the next turn, then hands them on in order', () => {
    const { clock, got, queue, hold } = setup();
    hold('a');
    hold('b');
    expect(got).toEqual([]);
    expect(queue.length).toBe(2);
    expect(clock.pending).toBe(1);
    clock.turn();
    expect(got).toEqual([
      { name: 'a', late: false },
      { name: 'b', late: false },
    ]);
    expect(queue.length).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('marks late a request that waited longer than maxDelayMs, not one that waited exactly as long', () => {
    const { clock, got, hold } = setup();
    hold('old');
    clock.time = 10;
    hold('newer');
    clock.time = 34;
    clock.turn();
    expect(got).toEqual([
      { name: 'old', late: true },
      { name: 'newer', late: false },
    ]);
    hold('exact');
    clock.time += 25;
    clock.turn();
    expect(got[2]).toEqual({ name: 'exact', late: false });
  });

  it('spends at most budgetMs a turn and leaves the rest for the next turn, after the sockets are read', () => {
    const { clock, got, queue, hold } = setup({ ...OPTIONS, budgetMs: 1 }, 0.4);
    for (const n of ['a', 'b', 'c', 'd']) hold(n);
    clock.turn();
    expect(got.map((g) => g.name)).toEqual(['a', 'b', 'c']);
    expect(queue.length).toBe(1);
    expect(clock.pending).toBe(1);
    clock.turn();
    expect(got.map((g) => g.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(clock.pending).toBe(0);
  });

  it('hands on one request a turn even when a single one takes longer than the budget', () => {
    const { clock, got, hold } = setup({ ...OPTIONS, budgetMs: 1 }, 5);
    hold('a');
    hold('b');
    clock.turn();
    expect(got.map((g) => g.name)).toEqual(['a']);
    clock.turn();
    expect(got.map((g) => g.name)).toEqual(['a', 'b']);
  });

  it('beyond its capacity hands on the oldest at once, late when it waited too long', () => {
    const { clock, got, queue, hold } = setup({ ...OPTIONS, capacity: 2 });
    hold('a');
    clock.time = 30;
    hold('b');
    hold('c');
    expect(got).toEqual([{ name: 'a', late: true }]);
    expect(queue.length).toBe(2);
    hold('d');
    expect(got[1]).toEqual({ name: 'b', late: false });
    clock.turn();
    expect(got.map((g) => g.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('wraps around its ring in order', () => {
    const { clock, got, hold } = setup({ ...OPTIONS, capacity: 3 });
    const names: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2; i++) {
        const name = `${round}.${i}`;
        names.push(name);
        hold(name);
      }
      clock.turn();
    }
    expect(got.map((g) => g.name)).toEqual(names);
  });

  it('flush hands on everything held, in order (a CANCEL must find its INVITE)', () => {
    const { clock, got, queue, hold } = setup({ ...OPTIONS, budgetMs: 1 }, 0.6);
    for (const n of ['a', 'b', 'c']) hold(n);
    queue.flush();
    expect(got.map((g) => g.name)).toEqual(['a', 'b', 'c']);
    expect(queue.length).toBe(0);
    clock.turn();
    expect(got).toHaveLength(3);
  });

  it('reports the longest wait since it was last asked, then starts again', () => {
    const { clock, queue, hold } = setup();
    expect(queue.takeLongestWait()).toBe(0);
    hold('a');
    clock.time = 7;
    hold('b');
    clock.time = 12;
    clock.turn();
    expect(queue.takeLongestWait()).toBe(12);
    expect(queue.takeLongestWait()).toBe(0);
  });

  it('goes on after a delivery throws: the rest waits for the next turn', () => {
    const clock = new ManualTurns();
    const got: string[] = [];
    const queue = new IntakeQueue(OPTIONS, clock, (bytes) => {
      if (bytes.toString() === 'bad') throw new Error('bug');
      got.push(bytes.toString());
    });
    for (const n of ['bad', 'b']) queue.hold(Buffer.from(n), source, reply);
    expect(() => clock.turn()).toThrow('bug');
    expect(clock.pending).toBe(1);
    clock.turn();
    expect(got).toEqual(['b']);
  });
});
