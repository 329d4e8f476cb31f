import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSippStatCsv, sippCounters } from '../../support/sipp.js';

// A real -trace_stat file: uac.xml against uas.xml, both with `-lost 10`, 60 calls at 30 cps,
// `-max_retrans 2 -fd 1`: a header, one row per second and one at exit.
const lossy = readFileSync(new URL('../../fixtures/sipp/uac-lossy.stat.csv', import.meta.url), 'utf8');

describe('parseSippStatCsv', () => {
  it('reads one record per row, keyed by the header', () => {
    const rows = parseSippStatCsv(lossy);
    expect(rows).toHaveLength(8);
    const last = rows.at(-1);
    expect(last?.['TotalCallCreated']).toBe('60');
    expect(last?.['SuccessfulCall(C)']).toBe('58');
    expect(last?.['FailedMaxUDPRetrans(C)']).toBe('2');
    expect(last?.['Retransmissions(C)']).toBe('20');
    expect(last?.['StartTime']).toMatch(/^\d{4}-\d\d-\d\d\t[\d:.]+\t\d+\.\d{6}$/);
  });

  it('keeps the empty cell the trailing delimiter makes', () => {
    const [first] = parseSippStatCsv(lossy);
    expect(first?.['']).toBe('');
  });

  it('honours another delimiter (-stat_delimiter)', () => {
    const rows = parseSippStatCsv(lossy.replaceAll(';', ','), ',');
    expect(rows.at(-1)?.['FailedCall(C)']).toBe('2');
  });

  it('rejects a file that is not SIPp statistics', () => {
    expect(() => parseSippStatCsv('a;b;c\n1;2;3\n')).toThrow(/SuccessfulCall\(C\)/);
    expect(() => parseSippStatCsv('')).toThrow(/not a SIPp statistics CSV/);
  });

  it('rejects a truncated row, naming it', () => {
    const truncated = `${lossy.trimEnd()}\n2026-11-26;0;0\n`;
    expect(() => parseSippStatCsv(truncated)).toThrow(/row 9 has 3 cells, header has 112/);
  });
});

describe('sippCounters', () => {
  const rows = parseSippStatCsv(lossy);

  it('reads successful, failed and retransmitted counts from the final row', () => {
    const last = rows.at(-1);
    expect(last && sippCounters(last)).toEqual({ successful: 58, failed: 2, retransmissions: 20 });
  });

  it('counts calls still open in a row as failed (SIPp stopped before they ended)', () => {
    // the row at 2 s: 60 created, 48 successful, none failed yet, 12 in progress
    const row = rows[2];
    expect(row?.['CurrentCall']).toBe('12');
    expect(row && sippCounters(row)).toEqual({ successful: 48, failed: 12, retransmissions: 9 });
  });

  it('refuses a row whose counter is missing or not a number', () => {
    expect(() => sippCounters({ 'SuccessfulCall(C)': '1', TotalCallCreated: 'x' })).toThrow(/TotalCallCreated/);
  });
});
