import { describe, expect, it } from 'vitest';
import { goodputOf } from '../../../bench/e2e/goodput.mjs';

describe('overload bench goodput (successful calls per second while offering)', () => {
  it('is successful calls over the step when the UAC kept its rate', () => {
    expect(goodputOf({ successful: 60_000, calls: 80_000, achievedRate: 8_000 }, 10)).toBe(6_000);
  });

  it('counts the longer span when the UAC fell behind (SIPp offered 80,000 calls over 20 s)', () => {
    expect(goodputOf({ successful: 60_000, calls: 80_000, achievedRate: 4_000 }, 10)).toBe(3_000);
  });

  it('never divides by less than the step, when SIPp caught up in bursts', () => {
    expect(goodputOf({ successful: 60_000, calls: 80_000, achievedRate: 9_000 }, 10)).toBe(6_000);
  });

  it('falls back to the step when no rate could be measured', () => {
    expect(goodputOf({ successful: 500, calls: 1_000, achievedRate: Number.NaN }, 10)).toBe(50);
  });
});
