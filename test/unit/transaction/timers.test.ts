import { describe, expect, it } from 'vitest';
import { timerValues } from '../../../src/transaction/timers.js';

describe('timerValues', () => {
  it('derives RFC 3261 Table 4 and RFC 6026 from T1/T2/T4, B/F from fr_timer and C from fr_inv_timer', () => {
    const t = timerValues({ t1: 500, t2: 4000, t4: 5000, frTimer: 5000, frInvTimer: 120_000 });
    expect(t).toMatchObject({ A: 500, B: 5000, C: 120_000, D: 32_000, E: 500, F: 5000, G: 500, H: 32_000, I: 5000, J: 32_000, K: 5000, L: 32_000, M: 32_000 });
    expect(Object.isFrozen(t)).toBe(true);
  });

  it('keeps Timer D at 32 s at least, and scales it with a large T1', () => {
    expect(timerValues({ t1: 100, t2: 4000, t4: 5000, frTimer: 1000, frInvTimer: 2000 }).D).toBe(32_000);
    expect(timerValues({ t1: 1000, t2: 4000, t4: 5000, frTimer: 1000, frInvTimer: 2000 }).D).toBe(64_000);
  });

  it('scales the 64·T1 timers and the first retransmission with T1', () => {
    const t = timerValues({ t1: 250, t2: 2000, t4: 3000, frTimer: 30_000, frInvTimer: 60_000 });
    expect([t.A, t.E, t.G]).toEqual([250, 250, 250]);
    expect([t.H, t.J, t.L, t.M]).toEqual([16_000, 16_000, 16_000, 16_000]);
    expect([t.I, t.K, t.B, t.F, t.C]).toEqual([3000, 3000, 30_000, 30_000, 60_000]);
  });

  it("uses Kamailio's wait_timer for the absorbing timers D, J, L and M when given", () => {
    const t = timerValues({ t1: 500, t2: 4000, t4: 5000, frTimer: 5000, frInvTimer: 120_000, waitTimer: 5000 });
    expect([t.D, t.J, t.L, t.M]).toEqual([5000, 5000, 5000, 5000]);
    // H (waiting for the ACK of a non-2xx) and the retransmission timers keep the RFC values.
    expect([t.H, t.I, t.K, t.A]).toEqual([32_000, 5000, 5000, 500]);
  });
});
