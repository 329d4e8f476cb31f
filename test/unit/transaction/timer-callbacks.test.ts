import { describe, expect, it, vi } from 'vitest';
import { T1, UDP_PEER, UDP_SOURCE, fixture, harness, responseTo } from './harness.js';

describe('transaction timers (issue #7: no closure per transaction)', () => {
  it('all four machines arm their timers with two shared callbacks and themselves as the argument', () => {
    const h = harness();
    const arm = vi.spyOn(h.scheduler, 'setTimeout');
    const ict1 = h.layer.createClient(fixture('invite.sip', 'z9hG4bKict1'), UDP_PEER, h.user);
    const ict2 = h.layer.createClient(fixture('invite.sip', 'z9hG4bKict2'), UDP_PEER, h.user);
    const nict = h.layer.createClient(fixture('options.sip'), UDP_PEER, h.user);
    const ist = h.layer.receiveRequest(fixture('invite.sip', 'z9hG4bKist'), UDP_SOURCE, h.user).tx;
    const nist = h.layer.receiveRequest(fixture('options.sip', 'z9hG4bKnist'), UDP_SOURCE, h.user).tx;
    if (ist === undefined || ist.kind !== 'invite-server' || nist === undefined) throw new Error('no server transactions');
    ist.respond(responseTo(ist.request, 486, 'Busy Here', 'b1'));
    nist.respond(responseTo(nist.request, 200, 'OK', 'n1'));

    // B A, B A, F E, H G, J: the state slot's callback, then the retransmission slot's.
    const calls = arm.mock.calls;
    expect(calls.map((c) => c[2])).toEqual([ict1, ict1, ict2, ict2, nict, nict, ist, ist, nist]);
    expect(calls.map((c) => c[1])).toEqual([5000, T1, 5000, T1, 5000, T1, 64 * T1, T1, 64 * T1]);
    const [stateFn, retransmitFn] = [calls[0]?.[0], calls[1]?.[0]];
    expect(stateFn).not.toBe(retransmitFn);
    expect(calls.map((c) => c[0])).toEqual([stateFn, retransmitFn, stateFn, retransmitFn, stateFn, retransmitFn, stateFn, retransmitFn, stateFn]);
  });

  it('a fired shared callback acts on the transaction it was armed for only', () => {
    const h = harness();
    const first = h.layer.createClient(fixture('options.sip', 'z9hG4bKfirst'), UDP_PEER, h.user);
    h.scheduler.advance(100);
    const second = h.layer.createClient(fixture('options.sip', 'z9hG4bKsecond'), UDP_PEER, h.user);
    h.scheduler.advance(5000 - 100);
    expect(h.user.timeouts).toEqual([first]);
    expect([first.state, second.state]).toEqual(['terminated', 'trying']);
    h.scheduler.advance(100);
    expect(h.user.timeouts).toEqual([first, second]);
  });
});
