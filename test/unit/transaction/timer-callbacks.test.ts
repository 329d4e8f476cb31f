import { describe, expect, it, vi } from 'vitest';
import { T1, UDP_PEER, UDP_SOURCE, fixture, harness, responseTo } from './harness.js';

describe('transaction timers (issue #7: no closure per transaction)', () => {
  it('retransmission and state timers share the per-duration queues: one scheduler timer per duration, none per transaction', () => {
    const h = harness();
    const arm = vi.spyOn(h.scheduler, 'setTimeout');
    h.layer.createClient(fixture('invite.sip', 'z9hG4bKict1'), UDP_PEER, h.user);
    h.layer.createClient(fixture('invite.sip', 'z9hG4bKict2'), UDP_PEER, h.user);
    h.layer.createClient(fixture('options.sip'), UDP_PEER, h.user);
    const ist = h.layer.receiveRequest(fixture('invite.sip', 'z9hG4bKist'), UDP_SOURCE, h.user).tx;
    const nist = h.layer.receiveRequest(fixture('options.sip', 'z9hG4bKnist'), UDP_SOURCE, h.user).tx;
    if (ist === undefined || ist.kind !== 'invite-server' || nist === undefined) throw new Error('no server transactions');
    ist.respond(responseTo(ist.request, 486, 'Busy Here', 'b1'));
    nist.respond(responseTo(nist.request, 200, 'OK', 'n1'));

    // B (the 5 s queue's timer), A (the T1 queue's: A, A, E and G join it), H (the 32 s queue's: J joins it)
    const calls = arm.mock.calls;
    expect(calls.map((c) => c[1])).toEqual([5000, T1, 64 * T1]);
    expect(new Set(calls.map((c) => c[0])).size).toBe(1);
    expect(new Set(calls.map((c) => c[2])).size).toBe(3);
    // each of the four retransmits once at T1: two INVITEs, the OPTIONS, the 486
    const before = h.transport.sent.length;
    h.scheduler.advance(T1);
    expect(h.transport.lines.slice(before).sort()).toEqual(['INVITE sip:bob@biloxi.example.com SIP/2.0', 'INVITE sip:bob@biloxi.example.com SIP/2.0', 'OPTIONS sip:carol@chicago.example.com SIP/2.0', 'SIP/2.0 486 Busy Here'].sort());
  });

  it('a state timer queue fires each transaction at its own time, skips cancelled ones and leaves no timer behind', () => {
    const h = harness();
    const a = h.layer.createClient(fixture('options.sip', 'z9hG4bKqa'), UDP_PEER, h.user);
    h.scheduler.advance(1000);
    const b = h.layer.createClient(fixture('options.sip', 'z9hG4bKqb'), UDP_PEER, h.user);
    h.scheduler.advance(1000);
    const c = h.layer.createClient(fixture('options.sip', 'z9hG4bKqc'), UDP_PEER, h.user);
    // b is answered: Timer F is replaced by K (another queue)
    h.layer.receiveResponse(responseTo(b.request, 200, 'OK', 'x'));
    h.scheduler.advance(3000);
    expect(h.user.timeouts).toEqual([a]);
    h.scheduler.advance(1999);
    expect(h.user.timeouts).toEqual([a]);
    h.scheduler.advance(1);
    expect(h.user.timeouts).toEqual([a, c]);
    h.scheduler.advance(10_000);
    expect([a.state, b.state, c.state]).toEqual(['terminated', 'terminated', 'terminated']);
    expect(h.scheduler.pending).toBe(0);
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
