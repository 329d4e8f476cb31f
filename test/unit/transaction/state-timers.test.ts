import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { StateTimers, type StateQueue, type StateTimerOwner } from '../../../src/transaction/state-timers.js';

class Owner implements StateTimerOwner {
  stateSlot = -1;
  stateQueue: StateQueue | undefined = undefined;
  onFire: ((o: Owner) => void) | undefined;

  constructor(
    readonly name: string,
    private readonly fired: string[],
  ) {}

  onStateTimerFired(): void {
    this.fired.push(this.name);
    this.onFire?.(this);
  }
}

function setup(): { clock: ManualScheduler; timers: StateTimers; fired: string[]; owner: (name: string) => Owner } {
  const clock = new ManualScheduler();
  const fired: string[] = [];
  return { clock, timers: new StateTimers(clock), fired, owner: (name) => new Owner(name, fired) };
}

describe('StateTimers', () => {
  it('fires each owner once at its time, in arming order within a duration', () => {
    const { clock, timers, fired, owner } = setup();
    const [a, b, c] = [owner('a'), owner('b'), owner('c')];
    timers.arm(a, 1000);
    clock.advance(10);
    timers.arm(b, 1000);
    timers.arm(c, 500);
    clock.advance(499);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['c']);
    clock.advance(489);
    expect(fired).toEqual(['c']);
    clock.advance(1);
    expect(fired).toEqual(['c', 'a']);
    clock.advance(10);
    expect(fired).toEqual(['c', 'a', 'b']);
    expect(clock.pending).toBe(0);
    expect([a.stateQueue, b.stateQueue, c.stateQueue]).toEqual([undefined, undefined, undefined]);
  });

  it('lets go of a cancelled owner at once, and never fires it', () => {
    const { clock, timers, fired, owner } = setup();
    const [a, b, c] = [owner('a'), owner('b'), owner('c')];
    for (const o of [a, b, c]) timers.arm(o, 1000);
    const q = b.stateQueue!;
    timers.cancel(b);
    expect(q.owners.includes(b)).toBe(false);
    expect(b.stateQueue).toBeUndefined();
    clock.advance(1000);
    expect(fired).toEqual(['a', 'c']);
  });

  it('re-arming replaces the earlier arm, also from inside a callback', () => {
    const { clock, timers, fired, owner } = setup();
    const [a, b] = [owner('a'), owner('b')];
    timers.arm(a, 1000);
    timers.arm(b, 1000);
    timers.arm(a, 2000);
    b.onFire = (o) => {
      if (fired.length === 1) timers.arm(o, 1000);
    };
    clock.advance(1000);
    expect(fired).toEqual(['b']);
    clock.advance(1000);
    expect(fired).toEqual(['b', 'a', 'b']);
    expect(clock.pending).toBe(0);
  });

  it('cancels its scheduler timer once nothing is left armed', () => {
    const { clock, timers, owner } = setup();
    const a = owner('a');
    timers.arm(a, 1000);
    expect(clock.pending).toBe(1);
    timers.cancel(a);
    expect(clock.pending).toBe(0);
  });

  it('property: fires exactly the owners armed and not cancelled, each at its due time', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('arm' as const), who: fc.nat(40), ms: fc.constantFrom(100, 500, 5000) }),
      fc.record({ kind: fc.constant('cancel' as const), who: fc.nat(40) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(3000) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const { clock, timers, owner } = setup();
        const owners = Array.from({ length: 41 }, (_, i) => owner(String(i)));
        const due = new Map<Owner, number>();
        const firedAt: Array<[string, number]> = [];
        for (const o of owners) o.onFire = (x) => firedAt.push([x.name, clock.now()]);
        const expected: Array<[string, number]> = [];
        const advance = (ms: number): void => {
          const end = clock.now() + ms;
          for (const [o, at] of [...due].filter(([, at]) => at <= end).sort((x, y) => x[1] - y[1])) {
            expected.push([o.name, at]);
            due.delete(o);
          }
          clock.advance(ms);
        };
        for (const o of ops) {
          if (o.kind === 'arm') {
            timers.arm(owners[o.who]!, o.ms);
            due.set(owners[o.who]!, clock.now() + o.ms);
          } else if (o.kind === 'cancel') {
            timers.cancel(owners[o.who]!);
            due.delete(owners[o.who]!);
          } else {
            advance(o.ms);
          }
        }
        advance(10_000);
        const key = (x: [string, number]): string => `${x[1]}:${x[0]}`;
        return firedAt.length === expected.length && [...firedAt].map(key).sort().join() === [...expected].map(key).sort().join() && clock.pending === 0;
      }),
      { numRuns: 40 },
    );
  });
});
