import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import type { Destination } from '../../../src/dispatcher/snapshot.js';
import { ConsecutiveFailures, ejectionVerdict } from '../../../src/dispatcher/traffic-marking.js';
import { subscribe, type EventPayloads } from '../../../src/shared/events.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { destinationsOf, dispatcherOptions, set1, setFlags } from './helpers.js';

const unsubscribers: (() => void)[] = [];
afterEach(() => {
  while (unsubscribers.length > 0) unsubscribers.pop()?.();
});

function listen<N extends 'destination.state' | 'traffic.mark' | 'timeout.excused'>(name: N): EventPayloads[N][] {
  const got: EventPayloads[N][] = [];
  unsubscribers.push(subscribe(name, (p) => got.push(p)));
  return got;
}

/** A dispatcher over set 1 with `n` destinations gw1..gwN, probe thresholds 1, time on a ManualScheduler. */
function farm(n: number, traffic = { threshold: 5, maxEjectionPercent: 50 }) {
  const clock = new ManualScheduler();
  const d = new Dispatcher(dispatcherOptions({ traffic, now: () => clock.now() }));
  const list = Array.from({ length: n }, (_, i) => `1 sip:gw${i + 1}.test 0 0`).join('\n');
  expect(d.load(list, 'dispatcher.list').ok).toBe(true);
  const gw = (i: number): Destination => d.snapshot.sets.get(1)!.destinations.find((x) => x.uri === `sip:gw${i}.test`)!;
  const states = () => d.list()[0]!.destinations.map((x) => `${x.uri.slice(4, 7)}:${x.state}`).sort();
  /** `times` failures; returns what the last one led to (markByTraffic's verdict, or the count verdict). */
  const fail = (i: number, times: number, cause: 'timeout' | 'transport-error' | 'response-503' = 'timeout', ownPressure = false) => {
    let last: string | undefined;
    for (let k = 0; k < times; k++) {
      const v = d.trafficFailure(gw(i), cause, ownPressure);
      last = v === 'threshold' ? d.markByTraffic(gw(i), cause) : v;
    }
    return last;
  };
  return { d, clock, gw, states, fail };
}

describe('consecutive failures', () => {
  it('N-1 consecutive timeouts do not mark, N do', () => {
    const { fail, states } = farm(2);
    expect(fail(1, 4)).toBe('counted');
    expect(states()).toEqual(['gw1:AX', 'gw2:AX']);
    expect(fail(1, 1)).toBe('marked');
    expect(states()).toEqual(['gw1:IP', 'gw2:AX']);
  });

  it('a success in between resets the count', () => {
    const { d, gw, fail, states } = farm(2);
    expect(fail(1, 4)).toBe('counted');
    d.trafficSuccess(gw(1));
    expect(fail(1, 4)).toBe('counted');
    expect(states()).toEqual(['gw1:AX', 'gw2:AX']);
    expect(fail(1, 1)).toBe('marked');
  });

  it('counts every cause, each destination apart, and starts again after the threshold', () => {
    const c = new ConsecutiveFailures();
    const [a, b] = destinationsOf(set1('a 0 0', 'b 0 0'));
    expect([c.failure(a!, 'timeout', false, 3), c.failure(a!, 'response-503', false, 3), c.failure(b!, 'transport-error', false, 3)]).toEqual(['counted', 'counted', 'counted']);
    expect(c.failure(a!, 'transport-error', false, 3)).toBe('threshold');
    expect([c.count(a!), c.count(b!)]).toEqual([0, 1]);
    expect(c.failure(a!, 'timeout', false, 1)).toBe('threshold');
  });

  it('timeouts during own overload do not count, nor break the run; other causes still count', () => {
    const { fail, states } = farm(2);
    const excused = listen('timeout.excused');
    expect(fail(1, 4)).toBe('counted');
    expect(fail(1, 50, 'timeout', true)).toBe('excused');
    expect(excused).toHaveLength(50);
    expect(states()).toEqual(['gw1:AX', 'gw2:AX']);
    expect(fail(1, 1, 'transport-error', true)).toBe('marked');
  });

  it('a threshold of 1 marks on the first failure (Kamailio ds_mark_dst), still within the share', () => {
    const { fail, states } = farm(2, { threshold: 1, maxEjectionPercent: 50 });
    expect(fail(1, 1)).toBe('marked');
    expect(fail(2, 1)).toBe('spared-last-usable');
    expect(states()).toEqual(['gw1:IP', 'gw2:AX']);
  });
});

describe('max ejection share and the last usable destination', () => {
  it('two healthy destinations timing out together: one may go, never both', () => {
    const { fail, states } = farm(2);
    const marks = listen('traffic.mark');
    expect(fail(1, 5)).toBe('marked');
    expect(fail(2, 5)).toBe('spared-last-usable');
    expect(fail(2, 50)).toBe('spared-last-usable');
    expect(states()).toEqual(['gw1:IP', 'gw2:AX']);
    expect(marks.slice(0, 2)).toEqual([
      { set: '1', uri: 'sip:gw1.test', cause: 'timeout', result: 'marked', threshold: 5 },
      { set: '1', uri: 'sip:gw2.test', cause: 'timeout', result: 'spared-last-usable', threshold: 5 },
    ]);
  });

  it('holds at most the share down: 4 destinations at 50 % lose 2, the others are spared', () => {
    const { fail, states } = farm(4);
    expect([fail(1, 5), fail(2, 5), fail(3, 5), fail(4, 5)]).toEqual(['marked', 'marked', 'spared-max-share', 'spared-max-share']);
    expect(states()).toEqual(['gw1:IP', 'gw2:IP', 'gw3:AX', 'gw4:AX']);
  });

  it('a destination back up frees its place in the budget', () => {
    const { d, gw, fail, states } = farm(4);
    fail(1, 5);
    fail(2, 5);
    expect(d.recordProbeResult(gw(1), 200, 'OK', 1)?.up).toBe(true);
    expect(fail(3, 5)).toBe('marked');
    expect(states()).toEqual(['gw1:AP', 'gw2:IP', 'gw3:IP', 'gw4:AX']);
  });

  it('destinations down by probes are outside the budget, and probes may still mark the last one', () => {
    const { d, gw, fail, states } = farm(3);
    expect(d.recordProbeResult(gw(1), 408, 'Request Timeout', undefined)?.up).toBe(false);
    // usable 2, none down by traffic: 1 of 2 is within 50 %, but then one would be left
    expect(fail(2, 5)).toBe('marked');
    expect(fail(3, 5)).toBe('spared-last-usable');
    expect(d.recordProbeResult(gw(3), 408, 'Request Timeout', undefined)?.up).toBe(false);
    expect(states()).toEqual(['gw1:IP', 'gw2:IP', 'gw3:IP']);
  });

  it('a share of 0 keeps traffic from marking anything; a single destination is never marked by traffic', () => {
    expect(farm(3, { threshold: 5, maxEjectionPercent: 0 }).fail(1, 5)).toBe('spared-max-share');
    expect(farm(1).fail(1, 5)).toBe('spared-last-usable');
  });

  it('ejectionVerdict reads usable and traffic-held destinations only', () => {
    const s = set1('a 0 0', 'b 0 0', 'c 0 0', 'd 0 0');
    const [a, b, c, d] = destinationsOf(s);
    setFlags(a!, 1);
    setFlags(b!, 4);
    expect(ejectionVerdict(destinationsOf(s), a!, () => false, 50)).toBe('not-usable');
    // a held by traffic: (1 + 1) of (2 usable + 1 held) > 50 %
    expect(ejectionVerdict(destinationsOf(s), c!, (x) => x === a, 50)).toBe('spared-max-share');
    expect(ejectionVerdict(destinationsOf(s), c!, (x) => x === a, 70)).toBe('marked');
    expect(ejectionVerdict(destinationsOf(s), c!, () => false, 50)).toBe('marked');
    setFlags(d!, 1);
    expect(ejectionVerdict(destinationsOf(s), c!, () => false, 100)).toBe('spared-last-usable');
  });
});

describe('probe-based marking is unchanged', () => {
  it('probes still mark and raise with ds thresholds, with the probe trigger', () => {
    const { d, gw, states } = farm(2);
    const events = listen('destination.state');
    d.recordProbeResult(gw(1), 408, 'Request Timeout', undefined);
    d.recordProbeResult(gw(2), 408, 'Request Timeout', undefined);
    expect(states()).toEqual(['gw1:IP', 'gw2:IP']);
    expect(events.map((e) => e.trigger)).toEqual(['probe', 'probe']);
  });
});
