/**
 * Pike's density rule against a brute-force reference, on a fake clock: with this thread's own
 * table, and with the shared table of `workers` > 1 read by two guards (two threads) in turn.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateEdgeTables, EdgeGuard, type EdgeGuardOptions, type SharedEdgeTables } from '../../../src/edge/edge-guard.js';

const DENSITY = 4;
const WINDOW = 1000;
const REQ = Buffer.from('INVITE sip:1@x SIP/2.0\r\n\r\n');

const OPTIONS: EdgeGuardOptions = {
  pike: { enabled: true, density: DENSITY, windowMs: WINDOW, maxSources: 10 },
  banMs: 10_000_000,
  maxBans: 10,
  scanner: { enabled: false, agents: [] },
  scannerSilence: false,
  authban: { enabled: false, maxRetry: 5, windowMs: 60_000, banMs: 600_000 },
};

/** `threads`: which guard each request reaches (all 0: one guard); `shared`: the tables of workers > 1. */
function run(gaps: number[], threads: readonly number[], shared: boolean) {
  const clock = { now: 0 };
  const tables: SharedEdgeTables | undefined = shared ? { ...allocateEdgeTables(OPTIONS, 0), originMs: 0 } : undefined;
  const guards: EdgeGuard[] = [];
  // a ban one thread makes reaches the others (worker-pool.ts does it by message)
  const shareBan = (from: number) => (ban: { key: string; until: number }) => {
    for (const [i, other] of guards.entries()) if (i !== from) other.bans.ban(ban.key, 'pike', clock.now, ban.until - clock.now);
  };
  for (let i = 0; i < 2; i++) {
    guards.push(new EdgeGuard(OPTIONS, { now: () => clock.now, isExempt: () => false, onBan: shareBan(i), onAuthBan: () => undefined }, tables));
  }
  const times: number[] = [];
  const verdicts: string[] = [];
  gaps.forEach((gap, n) => {
    clock.now += gap;
    times.push(clock.now);
    verdicts.push(guards[threads[n % threads.length]!]!.checkBytes(REQ, '127.0.0.66', 1));
  });
  return { times, verdicts };
}

/** Index of the first request that is the (DENSITY+1)-th within some window of WINDOW ms, or -1. */
function firstOver(times: number[]): number {
  for (let i = DENSITY; i < times.length; i++) if (times[i]! - times[i - DENSITY]! < WINDOW) return i;
  return -1;
}

const GAPS = fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 60 });
const CASES = [
  { name: 'one thread, its own table', threads: fc.constant([0]), shared: false },
  { name: 'one thread, the shared table', threads: fc.constant([0]), shared: true },
  { name: 'two threads reading one socket, the shared table', threads: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 60 }), shared: true },
];

describe.each(CASES)('pike density (property): $name', ({ threads, shared }) => {
  it('bans at exactly the first request that exceeds the density in a window, never before', () => {
    fc.assert(
      fc.property(GAPS, threads, (gaps, which) => {
        const { times, verdicts } = run(gaps, which, shared);
        const over = firstOver(times);
        if (over === -1) {
          expect(verdicts.every((v) => v === 'pass')).toBe(true);
        } else {
          expect(verdicts.slice(0, over).every((v) => v === 'pass')).toBe(true);
          expect(verdicts[over]).toBe('pike');
          expect(verdicts.slice(over + 1).every((v) => v === 'banned')).toBe(true);
        }
      }),
    );
  });
});

describe('pike density (property): two threads whose clocks read a few ms apart, the ban message not yet arrived', () => {
  it('a flooder sending within the hold gets at most the density through, and one ban', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 20 }), thread: fc.integer({ min: 0, max: 1 }), lag: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 40 }),
        (requests) => {
          const tables: SharedEdgeTables = { ...allocateEdgeTables(OPTIONS, 0), originMs: 0 };
          const clock = { now: 100 };
          let lag = 0;
          const guards = [0, 1].map(() => new EdgeGuard(OPTIONS, { now: () => clock.now - lag, isExempt: () => false, onBan: () => undefined, onAuthBan: () => undefined }, tables));
          const verdicts = requests.map((r) => {
            clock.now += r.gap;
            lag = r.lag;
            return guards[r.thread]!.checkBytes(REQ, '127.0.0.66', 1);
          });
          expect(verdicts.filter((v) => v === 'pass').length).toBeLessThanOrEqual(DENSITY);
          expect(verdicts.filter((v) => v === 'pike').length).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
