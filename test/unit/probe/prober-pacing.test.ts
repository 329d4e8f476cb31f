/**
 * Probing at scale: 10,000 probed destinations and a 10 s interval give an even pace (Kamailio
 * sends each round as one burst), and replies are matched by branch whatever the list's size.
 */
import { describe, expect, it } from 'vitest';
import { responseTo } from '../transaction/harness.js';
import { flush, harnessPerTest, tagId } from './probe-harness.js';

const setup = harnessPerTest();

function largeList(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`${1 + (i % 50)} sip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:5060 0`);
  return lines.join('\n');
}

describe('probe pacing at scale', () => {
  it('spreads a round of 10,000 probes evenly: every 100 ms window carries the average, never 2x', async () => {
    const t = setup(largeList(10_000), { mode: 1, intervalMs: 10_000, frTimerMs: 1000, concurrency: 10_000 });
    t.prober.start();
    for (let at = 0; at < 10_000; at += 100) await t.advance(100);
    const pings = t.pings().filter((p) => p.at < 10_000);
    // one ping per destination in the round
    expect(pings).toHaveLength(10_000);
    expect(new Set(pings.map(tagId)).size).toBe(10_000);
    const windows = new Array<number>(100).fill(0);
    for (const p of pings) windows[Math.floor(p.at / 100)]! += 1;
    const average = pings.length / windows.length;
    expect(Math.max(...windows)).toBeLessThanOrEqual(2 * average);
    expect(Math.min(...windows)).toBeGreaterThanOrEqual(average / 2);
  });

  it('matches each reply to its own destination in a round of 2,000', async () => {
    const t = setup(largeList(2000), { mode: 1, intervalMs: 2000, frTimerMs: 5000, concurrency: 2000 });
    t.prober.start();
    for (let at = 0; at < 2000; at += 100) await t.advance(100);
    // every second destination answers 503: exactly those go down, the others stay up
    const pings = t.pings().filter((p) => p.at < 2000);
    expect(pings).toHaveLength(2000);
    for (const [i, p] of pings.entries()) t.layer.receiveResponse(responseTo(p.request, i % 2 === 0 ? 200 : 503, 'x', 'uas'));
    await flush();
    const failed = new Set(pings.filter((_, i) => i % 2 === 1).map((p) => p.request.uri));
    for (const set of t.dispatcher.list()) {
      for (const d of set.destinations) expect(d.state).toBe(failed.has(d.uri) ? 'IP' : 'AP');
    }
  });
});
