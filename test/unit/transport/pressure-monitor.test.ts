import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribe, type EventPayloads } from '../../../src/shared/events.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import {
  createPressureSampler,
  ERROR_MAX,
  judgePressure,
  nextShedShare,
  pressureError,
  PressureMonitor,
  SHED_GAIN_DOWN,
  SHED_GAIN_TREND,
  SHED_GAIN_UP,
  type PressureReadings,
  type PressureThresholds,
} from '../../../src/transport/pressure-monitor.js';
import { parseProcNetUdp, type UdpBacklog } from '../../../src/transport/udp-backlog.js';

const unsubscribers: (() => void)[] = [];
afterEach(() => {
  while (unsubscribers.length > 0) unsubscribers.pop()?.();
});

function listen(): EventPayloads['pressure.changed'][] {
  const got: EventPayloads['pressure.changed'][] = [];
  unsubscribers.push(subscribe('pressure.changed', (p) => got.push(p)));
  return got;
}

const T: PressureThresholds = { maxEventLoopDelayMs: 200, maxUdpBacklogPercent: 10, shedding: true, maxQueueDelayMs: 25 };
const r = (eventLoopDelayMs: number, udpBacklogBytes?: number, udpDrops?: number, intakeDelayMs = 0): PressureReadings => ({
  eventLoopDelayMs,
  udpBacklogBytes,
  udpCapacityBytes: 1_000_000,
  udpDrops,
  intakeDelayMs,
});

describe('judgePressure', () => {
  it.each([
    ['calm', r(5, 1000, 0), r(5, 0, 0), false, false],
    ['event-loop delay above', r(250), undefined, false, true],
    ['event-loop delay at the threshold', r(200), undefined, false, false],
    ['a request waited in the intake longer than allowed', r(5, 0, 0, 26), r(5, 0, 0), false, true],
    ['a request waited in the intake as long as allowed', r(5, 0, 0, 25), r(5, 0, 0), false, false],
    ['pressured, the intake wait above half of its threshold', r(5, 0, 0, 13), r(5, 0, 0, 30), true, true],
    ['pressured, the intake wait at half of its threshold', r(5, 0, 0, 12.5), r(5, 0, 0, 30), true, false],
    ['backlog above 10 % in this sample only (a burst drained in time)', r(5, 100_001), r(5, 0), false, false],
    ['backlog above 10 % in two samples running', r(5, 100_001), r(5, 150_000), false, true],
    ['backlog above 10 % and no sample before', r(5, 100_001), undefined, false, false],
    ['backlog at 10 %', r(5, 100_000), r(5, 100_000), false, false],
    ['new drops', r(5, 0, 3), r(5, 0, 2), false, true],
    ['old drops only', r(5, 0, 3), r(5, 0, 3), false, false],
    ['first drops reading (nothing to compare)', r(5, 0, 3), undefined, false, false],
    ['pressured, still above half the delay', r(150), undefined, true, true],
    ['pressured, under half of both', r(90, 40_000), r(300, 900_000), true, false],
    ['pressured, backlog above half', r(90, 60_000), undefined, true, true],
  ])('%s', (_name, readings, previous, was, want) => {
    expect(judgePressure(readings, previous, T, was)).toBe(want);
  });

  it('a threshold of 0 ignores its measure; no capacity ignores the backlog', () => {
    expect(judgePressure(r(10_000), undefined, { ...T, maxEventLoopDelayMs: 0 }, false)).toBe(false);
    expect(judgePressure(r(5, 900_000), r(5, 900_000), { ...T, maxUdpBacklogPercent: 0 }, false)).toBe(false);
    expect(judgePressure({ ...r(5, 900_000), udpCapacityBytes: 0 }, { ...r(5, 900_000), udpCapacityBytes: 0 }, T, false)).toBe(false);
  });
});

describe('pressureError', () => {
  it.each([
    ['nothing queued, no delay', r(0, 0, 0), undefined, -1],
    ['backlog at its threshold (10 % of 1 MB)', r(0, 100_000), undefined, 0],
    ['backlog at three times its threshold', r(0, 300_000), undefined, 2],
    ['delay at half its threshold, backlog empty: the fuller one counts', r(100, 0), undefined, -0.5],
    ['delay above, backlog under', r(300, 50_000), undefined, 0.5],
    ['a full socket counts no more than ERROR_MAX', r(0, 1_000_000), undefined, ERROR_MAX],
    ['new drops', r(0, 0, 3), r(0, 0, 2), ERROR_MAX],
    ['old drops only', r(0, 0, 3), r(0, 0, 3), -1],
    ['no backlog reading (not Linux): the delay alone', r(50), undefined, -0.75],
  ])('%s', (_name, readings, previous, want) => {
    expect(pressureError(readings, previous, T)).toBeCloseTo(want, 10);
  });

  it('a threshold of 0 ignores its measure; no capacity ignores the backlog', () => {
    expect(pressureError(r(10_000, 0), undefined, { ...T, maxEventLoopDelayMs: 0 })).toBe(-1);
    expect(pressureError(r(0, 900_000), undefined, { ...T, maxUdpBacklogPercent: 0 })).toBe(-1);
    expect(pressureError({ ...r(0, 900_000), udpCapacityBytes: 0 }, undefined, T)).toBe(-1);
  });
});

describe('nextShedShare', () => {
  it('climbs by the error and its rise while pressured and over the threshold', () => {
    expect(nextShedShare(0, 2, 0, true)).toBeCloseTo(2 * SHED_GAIN_UP + 2 * SHED_GAIN_TREND, 10);
    // the same error, steady: only the integral part
    expect(nextShedShare(0.3, 2, 2, true)).toBeCloseTo(0.3 + 2 * SHED_GAIN_UP, 10);
  });

  it('stops climbing, and comes down, while a backlog over the threshold drains', () => {
    // 6 times the threshold, then 2 times: still over it, but draining (the old steps climbed here)
    expect(nextShedShare(0.5, 1, 5, true)).toBeLessThan(0.5);
  });

  it('falls three times faster under the threshold than it climbs over it', () => {
    expect(SHED_GAIN_DOWN).toBe(3 * SHED_GAIN_UP);
    expect(nextShedShare(0.5, -1, -1, true)).toBeCloseTo(0.5 - SHED_GAIN_DOWN, 10);
  });

  it('does not climb before the pressure is judged (a burst the buffer absorbs), but may fall', () => {
    expect(nextShedShare(0, 3, -1, false)).toBe(0);
    expect(nextShedShare(0.4, 3, -1, false)).toBe(0.4);
    expect(nextShedShare(0.4, -1, 0, false)).toBeLessThan(0.4);
  });

  it('stays within 0..1, never climbs unpressured, and never climbs with the error at or under 0 and not rising', () => {
    const error = fc.double({ min: -1, max: ERROR_MAX, noNaN: true });
    fc.assert(
      fc.property(fc.array(fc.tuple(error, fc.boolean()), { maxLength: 200 }), (steps) => {
        let share = 0;
        let previous = -1;
        for (const [e, pressured] of steps) {
          const next = nextShedShare(share, e, previous, pressured);
          expect(next).toBeGreaterThanOrEqual(0);
          expect(next).toBeLessThanOrEqual(1);
          if (!pressured || (e <= 0 && e <= previous)) expect(next).toBeLessThanOrEqual(share);
          share = next;
          previous = e;
        }
      }),
    );
  });

  it('a sustained overload reaches 1; a calm loop brings it back to 0', () => {
    let share = 0;
    for (let i = 0; i < 20; i++) share = nextShedShare(share, ERROR_MAX, ERROR_MAX, true);
    expect(share).toBe(1);
    for (let i = 0; i < 20; i++) share = nextShedShare(share, -1, -1, false);
    expect(share).toBe(0);
  });
});

describe('PressureMonitor', () => {
  it('switches shedding on and off with simulated pressure, moving the epoch while pressured', () => {
    const events = listen();
    const m = new PressureMonitor(T, new ManualScheduler(), 100, () => Promise.resolve(r(0)));
    const state = () => [m.pressured, m.shedding, m.epoch];
    m.assess(r(5, 0, 0));
    expect(state()).toEqual([false, false, 0]);
    expect(m.shedShare).toBe(0);
    // 400 ms of delay: error 1, risen from -0.975
    m.assess(r(400, 0, 0));
    expect(state()).toEqual([true, true, 1]);
    expect(m.shedShare).toBeCloseTo(SHED_GAIN_UP + SHED_GAIN_TREND * 1.975, 10);
    const climbed = m.shedShare;
    m.assess(r(400, 0, 0));
    expect(m.shedShare).toBeCloseTo(climbed + SHED_GAIN_UP, 10);
    // calm again: the error fell by 1.9, so the share drops to 0 in one sample and pressure ends
    m.assess(r(20, 0, 0));
    expect(state()).toEqual([false, false, 2]);
    expect(m.shedShare).toBe(0);
    m.assess(r(20, 0, 5));
    expect(state()).toEqual([true, true, 3]);
    expect(m.shedShare).toBeCloseTo(SHED_GAIN_UP * ERROR_MAX + SHED_GAIN_TREND * (ERROR_MAX + 0.9), 10);
    expect(events.map((e) => [e.pressured, e.shedding, e.eventLoopDelayMs])).toEqual([
      [true, true, 400],
      [false, false, 20],
      [true, true, 20],
    ]);
  });

  it('with shedding off it is pressured (timeouts excused) but sheds nothing', () => {
    const m = new PressureMonitor({ ...T, shedding: false }, new ManualScheduler(), 100, () => Promise.resolve(r(0)));
    m.assess(r(300));
    expect([m.pressured, m.shedding]).toEqual([true, false]);
  });

  it('samples on its scheduler until stopped', async () => {
    const clock = new ManualScheduler();
    const readings = [r(5), r(500), r(5)];
    let calls = 0;
    const m = new PressureMonitor(T, clock, 100, () => Promise.resolve(readings[Math.min(calls++, 2)]!));
    m.start();
    clock.advance(99);
    expect(calls).toBe(0);
    clock.advance(1);
    await Promise.resolve();
    clock.advance(100);
    await Promise.resolve();
    expect([calls, m.pressured]).toEqual([2, true]);
    m.stop();
    clock.advance(1000);
    await Promise.resolve();
    expect(calls).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('the real sampler reads the event-loop delay and, on Linux, the backlog of its ports', async () => {
    const sampler = createPressureSampler(() => new Set([1]), () => 4096, () => 7);
    try {
      const got = await sampler.sample();
      expect(got.eventLoopDelayMs).toBeGreaterThanOrEqual(0);
      expect(got.udpCapacityBytes).toBe(4096);
      expect(got.intakeDelayMs).toBe(7);
      if (process.platform === 'linux') expect(got.udpBacklogBytes).toBe(0);
    } finally {
      sampler.close();
    }
  });
});

describe('parseProcNetUdp', () => {
  const TEXT = [
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
    '  301: 0100007F:13C4 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0        0 1001 2 0000000000000000 7',
    '  302: 0100007F:13C4 00000000:0000 07 00000000:00001000 00:00000000 00000000     0        0 1002 2 0000000000000000 1',
    '  303: 0100007F:13C5 00000000:0000 07 00000000:00FF0000 00:00000000 00000000     0        0 1003 2 0000000000000000 99',
    '',
  ].join('\n');
  const SIX = '  10: 00000000000000000000000001000000:13C4 00000000000000000000000000000000:0000 07 00000000:00000800 00:00000000 00000000     0        0 2001 2 0000000000000000 2';

  it('takes the fullest socket and sums drops over the sockets of our ports', () => {
    const out: UdpBacklog = { queuedBytes: 0, drops: 0 };
    parseProcNetUdp(TEXT, new Set([5060]), out);
    parseProcNetUdp(SIX, new Set([5060]), out);
    expect(out).toEqual({ queuedBytes: 0x1000, drops: 10 });
  });

  it('ignores other ports and lines that are not socket rows', () => {
    const out: UdpBacklog = { queuedBytes: 0, drops: 0 };
    parseProcNetUdp(`${TEXT}garbage line\n`, new Set([9999]), out);
    expect(out).toEqual({ queuedBytes: 0, drops: 0 });
  });
});
