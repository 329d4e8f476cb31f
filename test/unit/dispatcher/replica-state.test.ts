import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import { subscribe } from '../../../src/shared/events.js';
import { dispatcherOptions, seeded } from './helpers.js';

const LIST = ['1 sip:gw1.test 0 10 duid=gw1', '1 sip:gw2.test 8 5 duid=gw2;cc=1;weight=50', '2 sip:pbx.test 0 0'].join('\n');

function dispatcher(): Dispatcher {
  return new Dispatcher(dispatcherOptions({ random: seeded(7) }));
}

/** What a replica must agree on: states, probing counters, rweights and latency figures. */
const mirrored = (d: Dispatcher) => d.list().map((s) => s.destinations.map((x) => [x.uri, x.state, x.probingCount, x.rweight, x.latency]));

/** Through a structured clone, as between threads. */
const sent = <T>(value: T): T => structuredClone(value);

const unsubscribers: Array<() => void> = [];
afterEach(() => unsubscribers.splice(0).forEach((u) => u()));

describe('Dispatcher replica state', () => {
  it('builds a replica from the entries and keeps it in step with state changes and latency', () => {
    const main = dispatcher();
    main.load(LIST, 'list');
    const replica = dispatcher();
    expect(replica.applyReplicaState(sent(main.replicaState(true)))).toBe(true);
    expect(mirrored(replica)).toEqual(mirrored(main));

    const gw1 = main.snapshot.sets.get(1)!.destinations.find((d) => d.uri === 'sip:gw1.test')!;
    const gw2 = main.snapshot.sets.get(1)!.destinations.find((d) => d.uri === 'sip:gw2.test')!;
    main.markByTraffic(gw1, 'timeout');
    main.recordProbeResult(gw2, 200, 'OK', 12.5);
    expect(mirrored(replica)).not.toEqual(mirrored(main));
    expect(replica.applyReplicaState(sent(main.replicaState(false)))).toBe(true);
    expect(mirrored(replica)).toEqual(mirrored(main));
    expect(replica.list()[0]!.destinations.find((d) => d.uri === 'sip:gw1.test')!.up).toBe(false);
  });

  it('selects from the replicated states', () => {
    const main = dispatcher();
    main.load(LIST, 'list');
    const replica = dispatcher();
    replica.applyReplicaState(sent(main.replicaState(true)));
    main.setState(1, { uri: 'sip:gw1.test' }, 'dx');
    replica.applyReplicaState(sent(main.replicaState(false)));
    const key = { callId: 'c', fromUri: 'sip:a@x', toUri: 'sip:b@x', ruri: 'sip:b@x', authUser: undefined, isInvite: true };
    expect(replica.select(1, 4, key, { limit: 0, useDefault: false, hashFailover: 'neighbour' }).map((d) => d.uri)).toEqual(['sip:gw2.test']);
  });

  it('follows a list change only when the entries come, and refuses a runtime that does not fit', () => {
    const main = dispatcher();
    main.load(LIST, 'list');
    const replica = dispatcher();
    replica.applyReplicaState(sent(main.replicaState(true)));
    main.add(2, 'sip:new.test');
    const before = mirrored(replica);
    expect(replica.applyReplicaState(sent(main.replicaState(false)))).toBe(false);
    expect(mirrored(replica)).toEqual(before);
    expect(replica.applyReplicaState(sent(main.replicaState(true)))).toBe(true);
    expect(mirrored(replica)).toEqual(mirrored(main));
  });

  it('publishes no destination.state or list.reload of its own', () => {
    const main = dispatcher();
    main.load(LIST, 'list');
    const seen: string[] = [];
    unsubscribers.push(subscribe('destination.state', () => seen.push('state')), subscribe('list.reload', () => seen.push('reload')));
    dispatcher().applyReplicaState(sent(main.replicaState(true)));
    expect(seen).toEqual([]);
  });

  it('copies the latency figures, so later probes on the main dispatcher do not leak into a replica in the same thread', () => {
    const main = dispatcher();
    main.load(LIST, 'list');
    const state = main.replicaState(false);
    const gw2 = main.snapshot.sets.get(1)!.destinations.find((d) => d.uri === 'sip:gw2.test')!;
    main.recordProbeResult(gw2, 200, 'OK', 40);
    expect(gw2.runtime.latency.count).toBe(1);
    expect(state.runtime.every((r) => r.latency.count === 0)).toBe(true);
  });
});
