import { afterEach, describe, expect, it } from 'vitest';
import { BRIDGED_EVENTS, EventCollector, republish, type BridgedEvent } from '../../../src/threads/event-bridge.js';
import { publish, subscribe } from '../../../src/shared/events.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function collector(maxBatch = 4): { posted: BridgedEvent[][]; clock: ManualScheduler; events: EventCollector } {
  const posted: BridgedEvent[][] = [];
  const clock = new ManualScheduler();
  const events = new EventCollector((batch) => posted.push(batch), clock, { intervalMs: 100, maxBatch });
  events.start();
  cleanups.push(() => events.stop());
  return { posted, clock, events };
}

const received = (n: number): void => {
  for (let i = 0; i < n; i++) publish('request.received', { method: 'INVITE', transport: 'udp' });
};

describe('EventCollector (worker side)', () => {
  it('posts what was published once the interval has passed since the first event', () => {
    const { posted, clock } = collector();
    received(2);
    publish('dropped', { reason: 'malformed', transport: 'udp' });
    clock.advance(99);
    expect(posted).toEqual([]);
    clock.advance(1);
    expect(posted).toEqual([
      [
        ['request.received', { method: 'INVITE', transport: 'udp' }],
        ['request.received', { method: 'INVITE', transport: 'udp' }],
        ['dropped', { reason: 'malformed', transport: 'udp' }],
      ],
    ]);
    clock.advance(1000);
    expect(posted).toHaveLength(1);
  });

  it('posts at once when a batch is full, and arms no timer while idle', () => {
    const { posted, clock } = collector(4);
    received(9);
    expect(posted.map((b) => b.length)).toEqual([4, 4]);
    clock.advance(100);
    expect(posted.map((b) => b.length)).toEqual([4, 4, 1]);
    expect(clock.pending).toBe(0);
  });

  it('bridges the relay and transport events, never the dispatcher ones', () => {
    const { posted, events } = collector(100);
    publish('destination.state', { set: '1', uri: 'sip:a', duid: null, state: 'IP', previous: 'AP', up: false, changed: true, initial: false, code: 408, reason: 'x', at: 0 });
    publish('list.reload', { result: 'success', added: 0, removed: 0, kept: 0, errors: [], at: 0 });
    publish('probe.result', { set: '1', uri: 'sip:a', ok: true, code: 200, reason: 'OK', durationMs: 1, timeout: false });
    publish('failover', { set: '1', uri: 'sip:a', reason: 'timeout', callId: 'c', next: null });
    events.flush();
    expect(posted.flat().map(([name]) => name)).toEqual(['failover']);
    expect(BRIDGED_EVENTS).not.toContain('destination.state');
  });

  it('posts what is left on stop and then collects nothing', () => {
    const { posted, events } = collector(100);
    received(3);
    events.stop();
    received(2);
    events.flush();
    expect(posted.map((b) => b.length)).toEqual([3]);
  });
});

describe('republish (main thread side)', () => {
  it('publishes each event as if it had happened here', () => {
    const seen: string[] = [];
    cleanups.push(subscribe('request.relayed', (e) => seen.push(`${e.method} ${e.uri}`)), subscribe('response.sent', (e) => seen.push(String(e.status))));
    republish([
      ['request.relayed', { set: '1', uri: 'sip:b', method: 'INVITE', callId: 'c1' }],
      ['response.sent', { status: 180, local: false }],
    ]);
    expect(seen).toEqual(['INVITE sip:b', '180']);
  });
});
