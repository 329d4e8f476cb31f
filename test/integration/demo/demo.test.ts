import { describe, expect, it } from 'vitest';
import { demo, demoProblems } from '../../../src/demo/demo.js';

describe('sipdispatch demo (shortened schedule)', () => {
  it('shares calls, sends them all to fs1 while fs2 is IP, and shares again once fs2 is back', async () => {
    let text = '';
    const summary = await demo({
      out: { write: (t: string) => (text += t) },
      phaseMs: 1500,
      rate: 20,
      holdMs: 100,
      tickMs: 250,
      logLevel: 'silent',
    });

    expect(demoProblems(summary)).toEqual([]);
    expect(summary.detectDownMs).toBeDefined();
    expect(summary.detectUpMs).toBeDefined();
    expect(summary.placed).toBe(summary.succeeded + summary.failed);
    expect(summary.phases.map((p) => p.name)).toEqual(['steady', 'fs2 down', 'fs2 back']);
    const [steady, down, back] = summary.phases;
    expect(steady!.answeredBy.fs1).toBeGreaterThan(0);
    expect(steady!.answeredBy.fs2).toBeGreaterThan(0);
    // Only calls already in progress when fs2 stopped may fail (their BYE has nowhere to go).
    expect(steady!.failed).toBeLessThanOrEqual(summary.inFlightAtStop);
    expect(down!.failed).toBe(0);
    expect(down!.answeredBy.fs1).toBe(down!.placed);
    expect(back!.failed).toBe(0);
    expect(back!.answeredBy.fs2).toBeGreaterThan(0);

    // The live table showed fs2 inactive, and the script said what it did.
    expect(text).toMatch(/^ {2}fs2 +sip:127\.0\.0\.1:\d+ +IP /m);
    expect(text).toContain('stopping fs2');
    expect(text).toContain('restarting fs2');
    expect(text).toContain('Summary');
    expect(text).not.toContain('\x1b[2J');
  }, 60_000);
});
