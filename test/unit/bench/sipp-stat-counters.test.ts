import { describe, expect, it } from 'vitest';
import { statCounters } from '../../../bench/e2e/sipp-traces.mjs';

const HEADER = 'StartTime;CurrentTime;TotalCallCreated;SuccessfulCall(C);FailedCall(C);Retransmissions(C)';
const row = (at: number, ok: number): string => `2026-12-04\t20:00:00\t${at - 1};2026-12-04\t20:00:00\t${at};${ok + 2};${ok};2;1`;

describe("the bench's reading of SIPp's statistics CSV (-trace_stat, a row a second)", () => {
  it('takes the newest row', () => {
    expect(statCounters([HEADER, row(100, 10), row(101, 20), ''].join('\n'))).toEqual({ created: 22, successful: 20, failed: 2, retransmissions: 1, atS: 101 });
  });

  it('skips a last row that a stopped SIPp left half written', () => {
    expect(statCounters([HEADER, row(100, 10), row(101, 20), '2026-12-04\t20:00:00\t101;2026'].join('\n')).successful).toBe(20);
  });

  it('fails when no row is complete', () => {
    expect(() => statCounters(`${HEADER}\n2026-12-04\t20:00:00\t101;2026\n`)).toThrow('no complete row');
  });
});
