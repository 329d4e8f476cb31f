/** Pike's density rule against a brute-force reference, on a fake clock. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdgeGuard } from '../../../src/edge/edge-guard.js';

const DENSITY = 4;
const WINDOW = 1000;
const REQ = Buffer.from('INVITE sip:1@x SIP/2.0\r\n\r\n');

function run(gaps: number[]) {
  const clock = { now: 0 };
  const g = new EdgeGuard(
    { pike: { enabled: true, density: DENSITY, windowMs: WINDOW, maxSources: 10 }, banMs: 10_000_000, maxBans: 10, scanner: { enabled: false, agents: [] }, scannerSilence: false, authban: { enabled: false, maxRetry: 5, windowMs: 60_000, banMs: 600_000 } },
    { now: () => clock.now, isExempt: () => false, onBan: () => undefined, onAuthBan: () => undefined },
  );
  const times: number[] = [];
  const verdicts: string[] = [];
  for (const gap of gaps) {
    clock.now += gap;
    times.push(clock.now);
    verdicts.push(g.checkBytes(REQ, '127.0.0.66', 1));
  }
  return { times, verdicts };
}

/** Index of the first request that is the (DENSITY+1)-th within some window of WINDOW ms, or -1. */
function firstOver(times: number[]): number {
  for (let i = DENSITY; i < times.length; i++) if (times[i]! - times[i - DENSITY]! < WINDOW) return i;
  return -1;
}

describe('pike density (property)', () => {
  it('bans at exactly the first request that exceeds the density in a window, never before', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 60 }), (gaps) => {
        const { times, verdicts } = run(gaps);
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
