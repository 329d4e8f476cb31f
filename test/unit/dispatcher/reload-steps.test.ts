/**
 * Large lists: a reload cut into steps keeps the old list in force at every pause and swaps at
 * once at the end; a bad large file keeps the old list; the state of persisting destinations is
 * carried exactly, including what changed while the steps ran; a large load publishes one summary.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ANNOUNCE_LIMIT, Dispatcher, type DispatcherOptions } from '../../../src/dispatcher/dispatcher.js';
import type { Destination, Snapshot } from '../../../src/dispatcher/snapshot.js';
import { subscribe, type EventPayloads } from '../../../src/shared/events.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { dispatcherOptions, key, opts } from './helpers.js';

const unsubscribers: (() => void)[] = [];
afterEach(() => {
  while (unsubscribers.length > 0) unsubscribers.pop()?.();
});

function listen<N extends 'destination.state' | 'list.reload'>(name: N): EventPayloads[N][] {
  const got: EventPayloads[N][] = [];
  unsubscribers.push(subscribe(name, (p) => got.push(p)));
  return got;
}

/** `count` destinations over 20 sets; `from` shifts the hosts, so two lists overlap where their ranges do. */
function list(count: number, from = 0, flags = 0): string {
  const lines = ['# large list'];
  for (let i = from; i < from + count; i++) lines.push(`${1 + (i % 20)} sip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:5060 ${flags} 0 duid=d${i}`);
  return lines.join('\n') + '\n';
}

function setup(text: string, over: Partial<DispatcherOptions> = {}): { d: Dispatcher; clock: ManualScheduler } {
  const clock = new ManualScheduler();
  const d = new Dispatcher(dispatcherOptions({ health: { probingMode: 1, probingThreshold: 1, inactiveThreshold: 1, replyCodes: { codes: [], classes: [] } }, now: () => clock.now(), ...over }));
  const r = d.load(text, 'dispatcher.list');
  expect(r.ok).toBe(true);
  return { d, clock };
}

const find = (d: Dispatcher, setId: number, uri: string): Destination | undefined => d.snapshot.sets.get(setId)?.destinations.find((x) => x.uri === uri);

const uriOf = (i: number): string => `sip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:5060`;
const setOf = (i: number): number => 1 + (i % 20);

describe('reloadSteps: slices and one swap', () => {
  it('pauses between slices with the old list in force at every pause, then swaps at once', () => {
    const { d } = setup(list(5000));
    const old = d.snapshot;
    const steps = d.reloadSteps(list(5000, 2500), 'dispatcher.list', { slice: 500 });
    const seen: Snapshot[] = [];
    let r = steps.next();
    while (!r.done) {
      seen.push(d.snapshot);
      // midway, selection sees the old list whole
      if (seen.length === 10) expect(d.select(1, 4, key(), opts()).length).toBe(250);
      r = steps.next();
    }
    // 5,000 lines parsed and 5,000 destinations built, 500 at a time (plus the duplicate check and
    // the identity map); the old list in force at every pause until the one swap, which happens
    // before the last pause (the report is built after it)
    expect(seen.length).toBeGreaterThanOrEqual(20);
    expect(seen.slice(0, -1).every((x) => x === old)).toBe(true);
    expect(seen.at(-1)).toBe(d.snapshot);
    expect(r.value.ok).toBe(true);
    expect(d.snapshot).not.toBe(old);
    expect(d.snapshot.byIuid.size).toBe(5000);
    expect(find(d, setOf(7499), uriOf(7499))).toBeDefined();
    expect(find(d, setOf(0), uriOf(0))).toBeUndefined();
    if (r.value.ok) expect([r.value.value.added.length, r.value.value.removed.length, r.value.value.kept.length]).toEqual([2500, 2500, 2500]);
  });

  it('runs prepare on the new snapshot before it is in force', () => {
    const { d } = setup(list(100));
    const seen: Snapshot[] = [];
    const steps = d.reloadSteps(list(300), 'dispatcher.list', {
      slice: 50,
      *prepare(next) {
        seen.push(next);
        expect(d.snapshot).not.toBe(next);
        yield;
      },
    });
    let r = steps.next();
    while (!r.done) r = steps.next();
    expect(seen).toHaveLength(1);
    expect(d.snapshot).toBe(seen[0]);
  });

  it('a bad line at the end of a large file keeps the old list and names file and line', () => {
    const { d } = setup(list(5000));
    const old = d.snapshot;
    const reloads = listen('list.reload');
    const bad = list(5000, 100) + '7\n';
    const steps = d.reloadSteps(bad, 'big.list', { slice: 500 });
    let r = steps.next();
    while (!r.done) {
      expect(d.snapshot).toBe(old);
      r = steps.next();
    }
    expect(r.value).toMatchObject({ ok: false, error: { code: 'LIST_SYNTAX', errors: ['big.list:5002: bad line: a set id without a destination'] } });
    expect(d.snapshot).toBe(old);
    expect(reloads.map((e) => e.result)).toEqual(['failure']);
  });

  it('gives the same result as the synchronous reload', () => {
    const a = setup(list(3000)).d;
    const b = setup(list(3000)).d;
    a.reload(list(3000, 1000), 'dispatcher.list');
    const steps = b.reloadSteps(list(3000, 1000), 'dispatcher.list', { slice: 100 });
    let r = steps.next();
    while (!r.done) r = steps.next();
    const shape = (d: Dispatcher) => [...d.snapshot.sets.values()].map((s) => s.destinations.map((x) => `${x.index} ${x.iuid} ${x.uri} ${x.line}`));
    expect(shape(b)).toEqual(shape(a));
    expect(b.snapshot.entries.map((e) => e.line)).toEqual(a.snapshot.entries.map((e) => e.line));
  });
});

describe('reloadSteps: state carried exactly across a large diff', () => {
  it('carries health, latency and call load of persisting destinations, including changes made between slices', () => {
    // probed (flags 8), so keepalives measure latency
    const { d, clock } = setup(list(4000, 0, 8));
    // before the reload: one destination down by set_state, one with latency samples, calls on a third
    expect(d.setState(setOf(10), { uri: uriOf(10) }, 'ip').ok).toBe(true);
    d.recordProbeResult(find(d, setOf(11), uriOf(11))!, 200, 'OK', 12);
    for (let call = 0; call < 3; call++) {
      const picked = d.select(setOf(12), 10, key({ callId: `call-${call}`, isInvite: true }), opts());
      expect(picked.length).toBeGreaterThan(0);
    }
    const loads = new Map([...d.snapshot.sets.get(setOf(12))!.destinations].map((x) => [x.uri, d.callLoad(x)]));
    const next = list(4000, 2000, 8).replace(`${uriOf(3000)} 8 0`, `${uriOf(3000)} 4 0`);
    // the same reload on a twin tells how many pauses come before the swap (the last one follows it)
    const twin = setup(list(4000, 0, 8)).d.reloadSteps(next, 'dispatcher.list', { slice: 250 });
    let pauses = 0;
    while (!twin.next().done) pauses++;
    const steps = d.reloadSteps(next, 'dispatcher.list', { slice: 250 });
    let r = steps.next();
    let paused = 0;
    while (!r.done) {
      // at the last pause before the swap, every destination is built already: on the old list a
      // probe takes 2500 down and the latency of 2600 is measured
      if (paused === pauses - 2) {
        d.recordProbeResult(find(d, setOf(2500), uriOf(2500))!, 408, 'Request Timeout', undefined);
        d.recordProbeResult(find(d, setOf(2600), uriOf(2600))!, 200, 'OK', 40);
        clock.advance(1);
      }
      paused++;
      r = steps.next();
    }
    expect(r.value.ok).toBe(true);
    // removed destinations are gone, kept ones carry what happened during the slices
    expect(find(d, setOf(10), uriOf(10))).toBeUndefined();
    expect(d.list().find((s) => s.id === setOf(2500))?.destinations.find((x) => x.uri === uriOf(2500))?.state).toBe('IP');
    expect(find(d, setOf(2600), uriOf(2600))!.runtime.latency).toMatchObject({ count: 1, average: 40 });
    // a changed flags column wins (disabled)
    expect(d.list().find((s) => s.id === setOf(3000))?.destinations.find((x) => x.uri === uriOf(3000))?.state).toBe('DX');
    // new destinations start from the file
    expect(d.list().find((s) => s.id === setOf(5500))?.destinations.find((x) => x.uri === uriOf(5500))?.state).toBe('AP');
    // call load is keyed by (set, duid): the calls of set 12 still count where their duids are
    const after = d.snapshot.sets.get(setOf(12))!.destinations;
    for (const x of after) {
      const before = loads.get(x.uri);
      if (before !== undefined) expect(d.callLoad(x)).toBe(before);
    }
  });

  it('dispatcher.add between slices: the build starts again from the list in force, the file wins', () => {
    const { d } = setup(list(1000));
    d.setState(setOf(600), { uri: uriOf(600) }, 'i');
    const steps = d.reloadSteps(list(1000, 500), 'dispatcher.list', { slice: 100 });
    let r = steps.next();
    let added = false;
    while (!r.done) {
      if (!added) {
        added = d.add(1, 'sip:10.9.9.9:5060').ok;
      }
      r = steps.next();
    }
    expect(added).toBe(true);
    expect(r.value.ok).toBe(true);
    expect(find(d, 1, 'sip:10.9.9.9:5060')).toBeUndefined();
    expect(d.list().find((s) => s.id === setOf(600))?.destinations.find((x) => x.uri === uriOf(600))?.state).toBe('IX');
  });
});

describe('load events: a summary instead of a burst', () => {
  it(`announces each destination of a small change, and only the summary past ${ANNOUNCE_LIMIT}`, () => {
    const states = listen('destination.state');
    const reloads = listen('list.reload');
    const { d } = setup(list(50));
    expect(states).toHaveLength(50);
    expect(states.every((e) => e.initial)).toBe(true);
    states.length = 0;
    d.reload(list(50, 0, 8), 'dispatcher.list');
    // every flags column changed: 50 state changes announced
    expect(states).toHaveLength(50);
    states.length = 0;
    d.reload(list(5000, 0, 8), 'dispatcher.list');
    expect(states).toHaveLength(0);
    expect(reloads.at(-1)).toMatchObject({ result: 'success', added: 4950, removed: 0, kept: 50, states: { AP: 5000 } });
  });
});
