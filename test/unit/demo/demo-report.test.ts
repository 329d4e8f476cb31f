import { describe, expect, it } from 'vitest';
import { formatFrame, formatSummary, type DemoSummary } from '../../../src/demo/demo-report.js';

describe('demo report', () => {
  it('prints a frame with one fixed-width row per destination', () => {
    const text = formatFrame({
      elapsedMs: 12_345,
      phase: 'fs2 down',
      placed: 120,
      succeeded: 110,
      failed: 3,
      inFlight: 7,
      failovers: 4,
      rows: [
        { duid: 'fs1', uri: 'sip:127.0.0.1:40001', state: 'AP', recent: 10, total: 70, pingMs: 0.213 },
        { duid: 'fs2', uri: 'sip:127.0.0.1:4002', state: 'IP', recent: 0, total: 40, pingMs: undefined },
      ],
    });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('[ 12.3s] fs2 down     placed  120  ok  110  failed   3  in flight   7  failovers   4');
    expect(lines[1]).toBe('  DEST  URI                  STATE  LAST 1s  TOTAL  PING ms');
    expect(lines[2]).toBe('  fs1   sip:127.0.0.1:40001  AP          10     70     0.21');
    expect(lines[3]).toBe('  fs2   sip:127.0.0.1:4002   IP           0     40        -');
  });

  it('prints the summary with a line per phase and the detection times', () => {
    const summary: DemoSummary = {
      durationMs: 33_000,
      stopped: 'fs2',
      placed: 30,
      succeeded: 28,
      failed: 2,
      answeredBy: { fs1: 20, fs2: 8 },
      phases: [
        { name: 'steady', placed: 10, succeeded: 8, failed: 2, answeredBy: { fs1: 5, fs2: 5 } },
        { name: 'fs2 down', placed: 20, succeeded: 20, failed: 0, answeredBy: { fs1: 20 } },
      ],
      inFlightAtStop: 4,
      failovers: 3,
      detectDownMs: 1000,
      detectUpMs: undefined,
    };
    const text = formatSummary(summary, ['fs1', 'fs2']);
    expect(text).toContain('calls placed 30, succeeded 28, failed 2 (4 were in progress when fs2 stopped)');
    expect(text).toContain('fs2 seen down after 1.00 s, back up not seen');
    expect(text).toContain('  fs2 down          20      20       0     20      0\n');
  });
});
