import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/shared/logger.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { CHURN_SOURCES, CHURN_WINDOW_S, HeapGrowth, setV8HeapGrowth, type HeapGrowthMode } from '../../../src/stack/heap-growth.js';

function harness(mode: HeapGrowthMode) {
  const scheduler = new ManualScheduler();
  const applied: boolean[] = [];
  const logged: string[] = [];
  let seen = 0;
  const logger = { ...silentLogger, info: (_o: unknown, msg?: string) => void logged.push(msg ?? '') };
  const growth = new HeapGrowth(mode, { sourcesSeen: () => seen, apply: (c) => applied.push(c), scheduler, logger });
  /** `n` new sources during the next second, then the sample. */
  const second = (n: number) => {
    seen += n;
    scheduler.advance(1000);
  };
  return { scheduler, growth, applied, logged, second };
}

describe('HeapGrowth', () => {
  it('auto: compact once CHURN_SOURCES new sources come within the window, default once they leave it', () => {
    const h = harness('auto');
    h.growth.start();
    expect(h.applied).toEqual([]);
    h.second(CHURN_SOURCES - 1);
    expect(h.growth.compact).toBe(false);
    h.second(1);
    expect(h.applied).toEqual([true]);
    expect(h.logged).toEqual(['heap: compact growth while sources churn']);
    // calm: compact lasts until the churn's first second has left the window
    for (let s = 0; s < CHURN_WINDOW_S - 2; s++) h.second(0);
    expect(h.growth.compact).toBe(true);
    h.second(0);
    expect(h.applied).toEqual([true, false]);
    expect(h.logged[1]).toBe('heap: default growth, sources calm');
  });

  it('auto: a slow trickle of new sources (a few phones) never compacts', () => {
    const h = harness('auto');
    h.growth.start();
    const perSecond = Math.floor((CHURN_SOURCES - 1) / CHURN_WINDOW_S);
    for (let s = 0; s < 5 * CHURN_WINDOW_S; s++) h.second(perSecond);
    expect(h.applied).toEqual([]);
  });

  it('auto: the sources seen before start do not count', () => {
    const h = harness('auto');
    h.second(0);
    h.second(5 * CHURN_SOURCES);
    h.growth.start();
    h.second(0);
    expect(h.applied).toEqual([]);
  });

  it('compact applies 25 % at start and never samples; default never applies anything', () => {
    const compact = harness('compact');
    compact.growth.start();
    compact.second(10 * CHURN_SOURCES);
    expect(compact.applied).toEqual([true]);
    expect(compact.scheduler.pending).toBe(0);
    const plain = harness('default');
    plain.growth.start();
    plain.second(10 * CHURN_SOURCES);
    expect(plain.applied).toEqual([]);
    expect(plain.scheduler.pending).toBe(0);
  });

  it('stop ends the sampling', () => {
    const h = harness('auto');
    h.growth.start();
    h.growth.stop();
    expect(h.scheduler.pending).toBe(0);
  });

  it('the V8 flag can be set and set back while running (Node 20, 22 and 24 read it at every new limit)', () => {
    expect(() => {
      setV8HeapGrowth(true);
      setV8HeapGrowth(false);
    }).not.toThrow();
  });
});
