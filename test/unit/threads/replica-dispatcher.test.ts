import { describe, expect, it } from 'vitest';
import { applyFailureReport, ReplicaDispatcher, type FailureReport } from '../../../src/threads/replica-dispatcher.js';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import { dispatcherOptions } from '../dispatcher/helpers.js';

const LIST = '1 sip:127.0.0.1:5071 0 0 duid=a\n1 sip:127.0.0.1:5072 0 0 duid=b\n';

function dispatcher(): Dispatcher {
  const d = new Dispatcher(dispatcherOptions({ random: () => 0.5 }));
  return d;
}

const key = (callId: string) => ({ callId, fromUri: 'sip:a@x', toUri: 'sip:b@x', ruri: 'sip:b@x', authUser: undefined, isInvite: true });
const states = (d: Dispatcher) => d.list()[0]!.destinations.map((x) => `${x.uri} ${x.state}`);

function pair() {
  const main = dispatcher();
  main.load(LIST, 'list');
  const replica = dispatcher();
  replica.applyReplicaState(structuredClone(main.replicaState(true)));
  const reports: FailureReport[] = [];
  const relay = new ReplicaDispatcher(replica, { useDefault: false, hashFailover: 'neighbour' }, (f) => reports.push(f));
  return { main, replica, relay, reports };
}

describe('ReplicaDispatcher (worker side)', () => {
  it('counts failures on its replica and reports a destination at the threshold instead of marking it', () => {
    const { replica, relay, reports } = pair();
    const [first] = relay.select(1, 4, key('c1'), 0);
    for (let i = 0; i < 4; i++) relay.trafficFailure(first!, 'timeout', false);
    expect(reports).toEqual([]);
    relay.trafficFailure(first!, 'timeout', false);
    expect(reports).toEqual([{ setId: 1, index: replica.snapshot.sets.get(1)!.destinations.findIndex((d) => d.uri === first!.uri), uri: first!.uri, cause: 'timeout' }]);
    expect(states(replica).every((s) => s.endsWith('AX'))).toBe(true);
  });

  it('a success resets the count; timeouts under own pressure are not counted', () => {
    const { relay, reports } = pair();
    const [first] = relay.select(1, 4, key('c1'), 0);
    for (let i = 0; i < 4; i++) relay.trafficFailure(first!, 'timeout', false);
    relay.trafficSuccess(first!);
    for (let i = 0; i < 4; i++) relay.trafficFailure(first!, 'transport-error', false);
    for (let i = 0; i < 10; i++) relay.trafficFailure(first!, 'timeout', true);
    expect(reports).toEqual([]);
  });

  it('counts call load on its own replica (algorithm 10 is per thread)', () => {
    const { main, replica, relay } = pair();
    const [pick] = relay.select(1, 10, key('c1'), 0);
    const load = (d: Dispatcher) => d.list()[0]!.destinations.find((x) => x.uri === pick!.uri)!.callLoad;
    expect(load(replica)).toBe(1);
    expect(load(main)).toBe(0);
    relay.callEnded('c1');
    expect(load(replica)).toBe(0);
  });

  it('knows the destinations for ds_is_from_list', () => {
    const { relay } = pair();
    expect(relay.isFromDestination('127.0.0.1', 5072, 'udp')).toBe(true);
    expect(relay.isFromDestination('127.0.0.1', 5999, 'udp')).toBe(false);
  });
});

describe('applyFailureReport (main thread side)', () => {
  it('marks the destination the report names, and the replica follows once the state is sent', () => {
    const { main, replica, relay, reports } = pair();
    const [first] = relay.select(1, 4, key('c1'), 0);
    for (let i = 0; i < 5; i++) relay.trafficFailure(first!, 'response-503', false);
    applyFailureReport(main, structuredClone(reports[0]!));
    expect(states(main)).toContain(`${first!.uri} IP`);
    replica.applyReplicaState(structuredClone(main.replicaState(false)));
    expect(states(replica)).toEqual(states(main));
  });

  it('finds the destination by URI when its position changed, and ignores one that is gone', () => {
    const main = dispatcher();
    main.load(LIST, 'list');
    const at = main.snapshot.sets.get(1)!.destinations.findIndex((d) => d.uri === 'sip:127.0.0.1:5071');
    applyFailureReport(main, { setId: 1, index: 1 - at, uri: 'sip:127.0.0.1:5071', cause: 'timeout' });
    expect(states(main)).toContain('sip:127.0.0.1:5071 IP');
    applyFailureReport(main, { setId: 1, index: 0, uri: 'sip:127.0.0.1:5999', cause: 'timeout' });
    applyFailureReport(main, { setId: 7, index: 0, uri: 'sip:127.0.0.1:5072', cause: 'timeout' });
    expect(states(main)).toContain('sip:127.0.0.1:5072 AX');
  });
});
