import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher, type DispatcherOptions } from '../../../src/dispatcher/dispatcher.js';
import type { Destination } from '../../../src/dispatcher/snapshot.js';
import { subscribe, type DestinationStateEvent, type EventPayloads } from '../../../src/shared/events.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { dispatcherOptions, key, opts } from './helpers.js';

const LIST = [
  '# set 1: two gateways, set 2: a probed one, a disabled one and a no-ping one',
  '1 sip:gw1.test 0 10 duid=gw1;weight=50',
  '1 sip:gw2.test 0 5 duid=gw2;weight=50;maxload=1',
  '2 sip:pbx.test 8 0 duid=pbx',
  '2 sip:off.test 4 0',
  '2 sip:quiet.test 32 0',
].join('\n');

const unsubscribers: (() => void)[] = [];
afterEach(() => {
  while (unsubscribers.length > 0) unsubscribers.pop()?.();
});

function listen<N extends 'destination.state' | 'list.reload'>(name: N): EventPayloads[N][] {
  const got: EventPayloads[N][] = [];
  unsubscribers.push(subscribe(name, (p) => got.push(p)));
  return got;
}

function setup(over: Partial<DispatcherOptions> = {}): { d: Dispatcher; clock: ManualScheduler } {
  const clock = new ManualScheduler();
  const d = new Dispatcher(dispatcherOptions({ health: { probingMode: 1, probingThreshold: 2, inactiveThreshold: 1, replyCodes: { codes: [], classes: [] } }, now: () => clock.now(), ...over }));
  const r = d.load(LIST, 'dispatcher.list');
  expect(r.ok).toBe(true);
  return { d, clock };
}

const dest = (d: Dispatcher, uri: string): Destination => {
  for (const set of d.snapshot.sets.values()) {
    const found = set.destinations.find((x) => x.uri === uri);
    if (found) return found;
  }
  throw new Error(`no ${uri}`);
};
const letters = (d: Dispatcher, uri: string): string => d.list().flatMap((s) => s.destinations).find((x) => x.uri === uri)?.state ?? '?';
const brief = (e: DestinationStateEvent): string => `${e.uri} ${e.previous ?? '-'}>${e.state} up=${e.up} changed=${e.changed} ${e.code} ${e.reason}`;

describe('load and reload', () => {
  it('publishes the initial state of every destination and the reload result', () => {
    const states = listen('destination.state');
    const reloads = listen('list.reload');
    const { d } = setup();
    expect(states.map((e) => `${e.set} ${e.uri} ${e.state} up=${e.up} initial=${e.initial} ${e.reason}`)).toEqual([
      '1 sip:gw1.test AX up=true initial=true load',
      '1 sip:gw2.test AX up=true initial=true load',
      '2 sip:quiet.test AN up=true initial=true load',
      '2 sip:off.test DX up=false initial=true load',
      '2 sip:pbx.test AP up=true initial=true load',
    ]);
    expect(reloads.map((r) => [r.result, r.added, r.removed, r.kept])).toEqual([['success', 5, 0, 0]]);
    expect(d.list().map((s) => s.id)).toEqual([1, 2]);
  });

  it('a bad file is refused as a whole, with every file:line: reason, and the old list stays', () => {
    const { d } = setup();
    const before = d.snapshot;
    const reloads = listen('list.reload');
    const r = d.reload('1 sip:a.test\n2\n3 sip: 0 0\n', 'new.list');
    expect(r).toEqual({
      ok: false,
      error: { code: 'LIST_SYNTAX', errors: ['new.list:2: bad line: a set id without a destination', "new.list:3: bad destination URI 'sip:'"], warnings: [] },
    });
    expect(d.reload('1 sip:a.test 0 0 weight=0\n', 'new.list')).toMatchObject({ ok: false, error: { code: 'LIST_ENTRY' } });
    expect(d.snapshot).toBe(before);
    expect(reloads.map((x) => x.result)).toEqual(['failure', 'failure']);
  });

  it('keeps health, latency and call load of destinations that persist, and reports the diff', () => {
    const { d } = setup();
    d.setState(1, { uri: 'sip:gw2.test' }, 'ip');
    d.recordProbeResult(dest(d, 'sip:gw2.test'), 200, 'OK', 12);
    d.select(1, 10, key({ callId: 'call-1' }), opts());
    const r = d.reload(LIST.replace('2 sip:off.test 4 0', '3 sip:new.test'), 'dispatcher.list');
    expect(r.ok && [r.value.added, r.value.removed, r.value.kept.length]).toEqual([[{ setId: 3, uri: 'sip:new.test' }], [{ setId: 2, uri: 'sip:off.test' }], 4]);
    const gw2 = d.list()[0]!.destinations.find((x) => x.uri === 'sip:gw2.test')!;
    expect(gw2).toMatchObject({ state: 'AP', latency: { count: 1, avg: 12 } });
    expect(d.list()[0]!.destinations.find((x) => x.uri === 'sip:gw1.test')!.callLoad).toBe(1);
  });

  it('reset takes the states from the file and forgets latency and call load (Kamailio)', () => {
    const { d } = setup();
    d.setState(1, { uri: 'sip:gw1.test' }, 'i');
    d.select(1, 10, key({ callId: 'call-1' }), opts());
    d.reload(LIST, 'dispatcher.list', { reset: true });
    expect(letters(d, 'sip:gw1.test')).toBe('AX');
    expect(d.list()[0]!.destinations.every((x) => x.callLoad === 0)).toBe(true);
  });

  it('a changed flags column wins over the carried state', () => {
    const { d } = setup();
    d.setState(1, { uri: 'sip:gw1.test' }, 'i');
    d.reload(LIST.replace('sip:gw1.test 0 10', 'sip:gw1.test 4 10'), 'dispatcher.list');
    expect(letters(d, 'sip:gw1.test')).toBe('DX');
  });
});

describe('dispatcher.add and dispatcher.remove', () => {
  it('add validates like a file line, keeps every state and announces the new destination', () => {
    const { d } = setup();
    d.setState(1, { uri: 'sip:gw1.test' }, 'i');
    const states = listen('destination.state');
    expect(d.add(1, '127.0.0.1:5090', 8, 20, 'duid=gw3')).toEqual({ ok: true, value: { setId: 1, uri: 'sip:127.0.0.1:5090' } });
    expect(d.list()[0]!.destinations.map((x) => `${x.uri} ${x.state}`)).toEqual(['sip:127.0.0.1:5090 AP', 'sip:gw1.test IX', 'sip:gw2.test AX']);
    expect(states.map((e) => `${e.uri} ${e.state} ${e.initial}`)).toEqual(['sip:127.0.0.1:5090 AP true']);
    expect(d.add(1, 'sip:', 0, 0)).toMatchObject({ ok: false, error: { errors: ["dispatcher.add:1: bad destination URI 'sip:'"] } });
    expect(d.add(1, 'sip:x.test', -1, 0)).toMatchObject({ ok: false, error: { code: 'LIST_ENTRY' } });
    expect(d.add(1, 'sip:x.test', 0, 0, 'a=1 b=2')).toMatchObject({ ok: false });
    expect(d.add(1, 'sip:x.test', 0, 0, 'weight=300')).toMatchObject({ ok: false, error: { errors: ["dispatcher.add:1: weight '300' is not a number in 1-100"] } });
  });

  it('remove drops every entry of the set with that URI; a reload brings the file back', () => {
    const { d } = setup();
    d.add(1, 'sip:gw1.test');
    expect(d.remove(1, 'gw1.test')).toBe(2);
    expect(d.remove(1, 'sip:gw1.test')).toBe(0);
    expect(d.list()[0]!.destinations.map((x) => x.uri)).toEqual(['sip:gw2.test']);
    d.reload(LIST, 'dispatcher.list');
    expect(d.list()[0]!.destinations.map((x) => x.uri)).toEqual(['sip:gw1.test', 'sip:gw2.test']);
  });
});

describe('set_state', () => {
  it('by URI (case-insensitive), by duid or all; publishes usability changes with reason admin', () => {
    const { d } = setup();
    const states = listen('destination.state');
    expect(d.setState(1, { uri: 'SIP:GW1.TEST' }, 'i')).toEqual({ ok: true, value: 1 });
    expect(d.setState(2, { duid: 'PBX' }, 'dx')).toEqual({ ok: true, value: 1 });
    expect(d.setState(1, 'all', '1p')).toEqual({ ok: true, value: 2 });
    expect(states.map(brief)).toEqual([
      'sip:gw1.test AX>IX up=false changed=true 0 admin',
      'sip:pbx.test AP>DX up=false changed=true 0 admin',
      'sip:gw1.test IX>AP up=true changed=true 0 admin',
      'sip:gw2.test AX>AP up=true changed=false 0 admin',
    ]);
  });

  it('refuses an unknown state letter and a target that matches nothing', () => {
    const { d } = setup();
    expect(d.setState(1, 'all', 'z')).toMatchObject({ ok: false, error: { code: 'RPC_UNKNOWN_STATE' } });
    expect(d.setState(1, { uri: 'sip:nobody.test' }, 'a')).toMatchObject({ ok: false, error: { code: 'RPC_STATE_UPDATE_FAILED' } });
    expect(d.setState(9, 'all', 'a')).toMatchObject({ ok: false, error: { code: 'RPC_STATE_UPDATE_FAILED' } });
  });
});

describe('relay and prober', () => {
  it('traffic marks after the threshold, as IP with its own trigger; disabled entries are left alone', () => {
    const { d } = setup();
    const states = listen('destination.state');
    const gw1 = dest(d, 'sip:gw1.test');
    for (let i = 0; i < 4; i++) expect(d.trafficFailure(gw1, 'timeout', false)).toBe('counted');
    expect(states).toEqual([]);
    expect(d.trafficFailure(gw1, 'timeout', false)).toBe('threshold');
    expect(d.markByTraffic(gw1, 'timeout')).toBe('marked');
    expect(d.markByTraffic(dest(d, 'sip:off.test'), 'timeout')).toBe('not-usable');
    expect(states.map(brief)).toEqual(['sip:gw1.test AX>IP up=false changed=true 408 traffic: 5 consecutive timeouts']);
    expect(states[0]!.trigger).toBe('traffic');
    expect(d.select(1, 8, key(), opts()).map((x) => x.uri)).toEqual(['sip:gw2.test']);
  });

  it('probes every entry but disabled and no-ping ones in mode 1, and honours ping_active', () => {
    const { d, clock } = setup();
    clock.advance(5);
    expect(d.probeTargets().map((x) => x.uri)).toEqual(['sip:gw1.test', 'sip:gw2.test', 'sip:pbx.test']);
    expect(d.list()[0]!.destinations[0]!.lastProbeAt).toBe(5);
    d.pingActive = false;
    expect(d.probeTargets()).toEqual([]);
  });

  it('probe results drive health, latency (only while P) and the events', () => {
    const { d } = setup();
    const states = listen('destination.state');
    const pbx = dest(d, 'sip:pbx.test');
    d.recordProbeResult(pbx, 408, 'Request Timeout', undefined);
    d.recordProbeResult(pbx, 408, 'Request Timeout', undefined);
    d.recordProbeResult(pbx, 200, 'OK', 20);
    const gw1 = dest(d, 'sip:gw1.test');
    d.recordProbeResult(gw1, 200, 'OK', 30);
    const view = d.list().flatMap((s) => s.destinations);
    expect(view.find((x) => x.uri === 'sip:pbx.test')!.latency).toMatchObject({ timeout: 2, count: 1, avg: 20 });
    expect(view.find((x) => x.uri === 'sip:gw1.test')).toMatchObject({ state: 'AP', latency: { count: 0 } });
    expect(states.map(brief)).toEqual([
      'sip:pbx.test AP>TP up=true changed=false 408 Request Timeout',
      'sip:pbx.test TP>IP up=false changed=true 408 Request Timeout',
      'sip:pbx.test IP>AP up=true changed=true 200 OK',
      'sip:gw1.test AX>AP up=true changed=false 200 OK',
    ]);
  });

  it('a result for a destination object from before a reload reaches the current one; a removed one is ignored', () => {
    const { d } = setup();
    const old = dest(d, 'sip:gw2.test');
    const gone = dest(d, 'sip:off.test');
    d.reload(LIST.replace('2 sip:off.test 4 0\n', ''), 'dispatcher.list');
    expect(dest(d, 'sip:gw2.test')).not.toBe(old);
    d.recordProbeResult(old, 500, 'Server Error', 3);
    d.recordProbeResult(old, 500, 'Server Error', 3);
    expect(letters(d, 'sip:gw2.test')).toBe('IP');
    expect(d.recordProbeResult(gone, 200, 'OK', 1)).toBeUndefined();
    expect(d.isUp(old)).toBe(false);
  });
});

describe('call load (algorithm 10)', () => {
  it('an INVITE counts on the pick; maxload is honoured; confirm, release and expiry', () => {
    const { d, clock } = setup();
    expect(d.select(1, 10, key({ callId: 'c1' }), opts()).map((x) => x.uri)).toEqual(['sip:gw1.test', 'sip:gw2.test']);
    expect(d.select(1, 10, key({ callId: 'c2' }), opts()).map((x) => x.uri)).toEqual(['sip:gw2.test', 'sip:gw1.test']);
    expect(d.select(1, 10, key({ callId: 'c3' }), opts()).map((x) => x.uri)).toEqual(['sip:gw1.test']);
    expect(d.select(1, 10, key({ callId: 'bye', isInvite: false }), opts()).map((x) => x.uri)).toEqual(['sip:gw1.test', 'sip:gw2.test']);
    const load = (): number[] => d.list()[0]!.destinations.map((x) => x.callLoad);
    expect(load()).toEqual([2, 1]);
    expect(d.releaseCall('c1')).toBe(true);
    expect(d.moveCall('c3', dest(d, 'sip:gw2.test'))).toBe(true);
    expect(load()).toEqual([0, 2]);
    clock.advance(5_000);
    expect(d.confirmCall('c2')).toBe(true);
    clock.advance(5_000);
    expect(d.expireCalls(clock.now())).toBe(1);
    expect(load()).toEqual([0, 1]);
    expect(d.expireCalls(clock.now() + 55_000)).toBe(1);
    expect(load()).toEqual([0, 0]);
  });
});

describe('dispatcher.hash', () => {
  it('is exposed on the facade', () => {
    const { d } = setup();
    expect(d.hash(10, 'alice', 'example.com')).toEqual({ hashid: 1442294598, slot: 8 });
  });
});
