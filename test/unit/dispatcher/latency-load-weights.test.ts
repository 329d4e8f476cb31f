import { describe, expect, it } from 'vitest';
import { CallLoadTable, loadKey } from '../../../src/dispatcher/call-load.js';
import {
  applyCongestionControl,
  congestionMs,
  createLatencyStats,
  latencyReport,
  recordLatency,
  recordTimeout,
  type CongestionMember,
} from '../../../src/dispatcher/latency-stats.js';
import { buildWeightTable, smoothWeightedPick } from '../../../src/dispatcher/weights.js';
import { seeded } from './helpers.js';

describe('latency statistics (latency_stats_update)', () => {
  it('keeps count, min, max, Welford mean and sample standard deviation', () => {
    const s = createLatencyStats();
    for (const v of [10, 20, 30, 40]) recordLatency(s, v, 0.9);
    expect(s).toMatchObject({ count: 4, min: 10, max: 40, average: 25 });
    expect(s.stdev).toBeCloseTo(Math.sqrt(500 / 3), 10);
  });

  it('the estimate is the mean for the first 9 samples, then an EWMA with alpha on the old estimate', () => {
    const s = createLatencyStats();
    for (let i = 0; i < 9; i++) recordLatency(s, i % 2 === 0 ? 10 : 20, 0.9);
    expect(s.estimate).toBeCloseTo(s.average, 10);
    const before = s.estimate;
    recordLatency(s, 100, 0.9);
    expect(s.count).toBe(10);
    expect(s.estimate).toBeCloseTo(before * 0.9 + 100 * 0.1, 10);
  });

  it('a stable mean trains the estimator (count jumps to 10000)', () => {
    const s = createLatencyStats();
    for (let i = 0; i < 11; i++) recordLatency(s, 42, 0.9);
    expect(s.count).toBe(10000);
    expect(s.estimate).toBe(42);
  });

  it('the latency attribute seeds trained statistics', () => {
    expect(createLatencyStats(35)).toMatchObject({ count: 10000, min: 35, max: 35, average: 35, estimate: 35 });
  });

  it('counts timeouts without a sample and reports the LATENCY figures', () => {
    const s = createLatencyStats();
    recordLatency(s, 12, 0.9);
    recordTimeout(s);
    recordTimeout(s);
    expect(latencyReport(s)).toEqual({ avg: 12, std: 0, est: 12, max: 12, min: 12, count: 1, timeout: 2 });
  });
});

describe('congestion control (cc=1)', () => {
  const member = (weight: number, est: number, avg: number, cc = true): CongestionMember => ({
    attrs: { weight, congestionControl: cc },
    runtime: { latency: { ...createLatencyStats(), estimate: est, average: avg }, rweight: weight },
  });

  it('the pinged destination loses weight by its congestion (estimate above the mean)', () => {
    const a = member(50, 70, 50);
    const b = member(50, 50, 50);
    expect(congestionMs(a.runtime.latency)).toBe(20);
    expect(applyCongestionControl([a, b], a)).toBe(true);
    expect([a.runtime.rweight, b.runtime.rweight]).toEqual([30, 50]);
  });

  it('when every destination is congested, weights follow the least congested', () => {
    const a = member(10, 30, 10);
    const b = member(10, 50, 10);
    applyCongestionControl([a, b], a);
    expect([a.runtime.rweight, b.runtime.rweight]).toEqual([((20 + 40) * 16) / 20, ((20 + 40) * 16) / 40]);
  });

  it('a member without cc disables the all-congested step', () => {
    const a = member(10, 30, 10);
    const b = member(10, 50, 10);
    const c = member(10, 0, 0, false);
    applyCongestionControl([a, b, c], a);
    expect([a.runtime.rweight, b.runtime.rweight]).toEqual([0, 10]);
  });
});

describe('call-load table (ds_ht)', () => {
  const table = (): CallLoadTable => new CallLoadTable({ expireMs: 1000, initExpireMs: 100 });
  const k = loadKey(1, 'gw1');

  it('adds, refuses a duplicate Call-ID, releases, never below zero', () => {
    const t = table();
    expect(t.add('c1', 1, 'GW1', 0)).toBe(true);
    expect(t.add('c1', 1, 'gw1', 0)).toBe(false);
    expect(t.add('c2', 1, 'gw1', 0)).toBe(true);
    expect(t.load(k)).toBe(2);
    expect(t.release('c1')?.duid).toBe('GW1');
    expect(t.release('c1')).toBeUndefined();
    expect(t.release('c2')).toBeDefined();
    expect(t.load(k)).toBe(0);
  });

  it('unconfirmed calls expire after initExpireMs; confirm refreshes to expireMs from now', () => {
    const t = table();
    t.add('early', 1, 'gw1', 0);
    t.add('talk', 1, 'gw1', 0);
    t.confirm('talk', 50);
    expect(t.expire(99).map((c) => c.callId)).toEqual([]);
    expect(t.expire(100).map((c) => c.callId)).toEqual(['early']);
    t.confirm('talk', 900);
    expect(t.expire(1899)).toEqual([]);
    expect(t.expire(1900).map((c) => c.callId)).toEqual(['talk']);
    expect(t.load(k)).toBe(0);
  });

  it('replace moves the call to another destination of the same set', () => {
    const t = table();
    t.add('c1', 1, 'gw1', 0);
    expect(t.replace('c1', 'gw2', 5)).toBe(true);
    expect([t.load(k), t.load(loadKey(1, 'gw2'))]).toEqual([0, 1]);
    expect(t.replace('nope', 'gw2', 5)).toBe(false);
  });
});

describe('weight tables', () => {
  it('algorithm 9 table: slots per weight in array order, the last entry fills up to 100', () => {
    const count = (t: Uint32Array): number[] => [0, 1, 2].map((i) => t.filter((x) => x === i).length);
    expect(count(buildWeightTable([20, 30, 10], seeded(1)))).toEqual([20, 30, 50]);
    expect(count(buildWeightTable([60, 60, 10], seeded(1)))).toEqual([60, 40, 0]);
    expect(count(buildWeightTable([0, 60, 10], seeded(1)))).toEqual([100, 0, 0]);
  });

  it('the table is shuffled (not 70 then 30)', () => {
    const t = buildWeightTable([70, 30], seeded(3));
    expect([...t.slice(0, 70)].every((x) => x === 0)).toBe(false);
  });

  it('smooth weighted round robin: exact over a cycle, -1 without weights, ineligible credit reset', () => {
    const cur = new Float64Array(3);
    const seq = Array.from({ length: 6 }, () => smoothWeightedPick([3, 2, 1], cur));
    expect(seq).toEqual([0, 1, 0, 2, 1, 0]);
    expect(smoothWeightedPick([0, 0, 0], cur)).toBe(-1);
    expect([...cur]).toEqual([0, 0, 0]);
  });
});
