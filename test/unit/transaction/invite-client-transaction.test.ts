import { describe, expect, it } from 'vitest';
import { FR_INV_TIMER, FR_TIMER, T1, TCP_PEER, UDP_PEER, fixture, harness, manualPressure, parse, responseTo } from './harness.js';

describe('InviteClientTransaction', () => {
  it('retransmits over UDP from T1, doubling, until Timer B (fr_timer) reports a timeout', () => {
    const h = harness();
    const tx = h.layer.createClient(fixture('invite.sip'), UDP_PEER, h.user);
    expect(tx.state).toBe('calling');
    h.scheduler.advance(FR_TIMER - 1);
    expect(h.user.timeouts).toEqual([]);
    h.scheduler.advance(1);
    expect(h.transport.timesOf('INVITE')).toEqual([0, 500, 1500, 3500]);
    expect(h.user.timeouts).toEqual([tx]);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.layer.activeCount).toBe(0);
  });

  it('holds Timer A retransmissions while this thread is under pressure: the timer keeps its back-off, Timer B still ends the wait', () => {
    const p = manualPressure();
    const h = harness(false, undefined, p.gauge);
    p.gauge.pressured = true;
    const tx = h.layer.createClient(fixture('invite.sip'), UDP_PEER, h.user);
    h.scheduler.advance(1000);
    expect(h.transport.timesOf('INVITE')).toEqual([0]);
    p.gauge.pressured = false;
    h.scheduler.advance(FR_TIMER - 1000);
    expect(h.transport.timesOf('INVITE')).toEqual([0, 1500, 3500]);
    expect(h.user.timeouts).toEqual([tx]);
    expect(p.held()).toBe(1);
    p.close();
  });

  it('caps Timer A at T2 and re-sends the very same bytes to the same target', () => {
    const h = harness();
    h.layer.createClient(fixture('invite.sip'), UDP_PEER, h.user, { frTimer: 20_000 });
    h.scheduler.advance(20_000);
    expect(h.transport.timesOf('INVITE')).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500]);
    const first = h.transport.sent[0]?.bytes;
    expect(h.transport.sent.every((s) => s.bytes === first && s.target === UDP_PEER)).toBe(true);
  });

  it('stops retransmitting on a provisional, passes it up and waits fr_inv_timer (Timer C)', () => {
    const h = harness();
    const invite = fixture('invite.sip');
    const tx = h.layer.createClient(invite, UDP_PEER, h.user);
    h.scheduler.advance(600);
    expect(h.layer.receiveResponse(responseTo(invite, 100, 'Trying'))).toBe(true);
    expect(tx.state).toBe('proceeding');
    h.scheduler.advance(FR_TIMER * 4);
    expect(h.transport.timesOf('INVITE')).toEqual([0, 500]);
    expect(h.user.statuses).toEqual([100]);
    expect(h.user.timeouts).toEqual([]);
    h.scheduler.advance(FR_INV_TIMER - FR_TIMER * 4);
    expect(h.user.timeouts).toEqual([tx]);
    expect(tx.state).toBe('proceeding');
    expect(tx.kind === 'invite-client' && tx.cancelling).toBe(true);
  });

  it('restarts Timer C on every provisional', () => {
    const h = harness();
    const invite = fixture('invite.sip');
    h.layer.createClient(invite, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(invite, 180, 'Ringing', 'b1'));
    h.scheduler.advance(FR_INV_TIMER - 1);
    h.layer.receiveResponse(responseTo(invite, 183, 'Session Progress', 'b1'));
    h.scheduler.advance(FR_INV_TIMER - 1);
    expect(h.user.timeouts).toHaveLength(0);
    h.scheduler.advance(1);
    expect(h.user.timeouts).toHaveLength(1);
    expect(h.user.statuses).toEqual([180, 183]);
  });

  it('after Timer C still ACKs the 487 that follows the CANCEL and passes it up', () => {
    const h = harness();
    const invite = fixture('invite.sip');
    const tx = h.layer.createClient(invite, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(invite, 180, 'Ringing', 'b1'));
    h.scheduler.advance(FR_INV_TIMER);
    h.layer.receiveResponse(responseTo(invite, 487, 'Request Terminated', 'b1'));
    expect(h.user.statuses).toEqual([180, 487]);
    expect(h.transport.lines.at(-1)).toBe('ACK sip:bob@biloxi.example.com SIP/2.0');
    expect(tx.state).toBe('completed');
  });

  it('after Timer C with no final response ends 64·T1 later without a second callback', () => {
    const h = harness();
    const invite = fixture('invite.sip');
    const tx = h.layer.createClient(invite, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(invite, 180, 'Ringing', 'b1'));
    h.scheduler.advance(FR_INV_TIMER + 64 * T1 - 1);
    expect(tx.state).toBe('proceeding');
    h.scheduler.advance(1);
    expect(tx.state).toBe('terminated');
    expect(h.user.timeouts).toHaveLength(1);
    expect(h.scheduler.pending).toBe(0);
  });

  it('builds the ACK for a non-2xx final itself (§17.1.1.3) and re-sends it for each retransmission until Timer D', () => {
    const h = harness();
    const invite = fixture('invite.sip');
    const tx = h.layer.createClient(invite, UDP_PEER, h.user);
    const busy = responseTo(invite, 486, 'Busy Here', 'busy8810');
    h.layer.receiveResponse(busy);
    expect(tx.state).toBe('completed');
    expect(h.user.statuses).toEqual([486]);
    const ackSent = h.transport.last();
    expect(ackSent.target).toBe(UDP_PEER);
    const ack = parse(ackSent.bytes);
    if (ack.kind !== 'request') throw new Error('ACK expected');
    expect(ack.method).toBe('ACK');
    expect(ack.uri).toBe(invite.uri);
    expect(ack.via.map((v) => v.raw)).toEqual([invite.via[0]?.raw]);
    expect(ack.from.raw).toBe(invite.from.raw);
    expect(ack.to.tag).toBe('busy8810');
    expect(ack.callId).toBe(invite.callId);
    expect(ack.cseq).toEqual({ seq: invite.cseq.seq, method: 'ACK' });
    expect(ack.route.map((r) => r.raw)).toEqual(invite.route.map((r) => r.raw));

    h.scheduler.advance(1000);
    h.layer.receiveResponse(busy);
    expect(h.user.statuses).toEqual([486]);
    expect(h.transport.last().bytes.equals(ackSent.bytes)).toBe(true);
    expect(h.transport.timesOf('ACK')).toEqual([0, 1000]);
    expect(h.transport.timesOf('INVITE')).toEqual([0]);

    h.scheduler.advance(32_000 - 1000 - 1);
    expect(tx.state).toBe('completed');
    h.scheduler.advance(1);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.layer.receiveResponse(busy)).toBe(false);
  });

  it('passes a 2xx up without an ACK, then every 2xx retransmission in Accepted until Timer M', () => {
    const h = harness();
    const invite = fixture('invite.sip');
    const tx = h.layer.createClient(invite, UDP_PEER, h.user);
    const ok = responseTo(invite, 200, 'OK', 'a6c85cf');
    h.layer.receiveResponse(ok);
    expect(tx.state).toBe('accepted');
    h.layer.receiveResponse(ok);
    h.layer.receiveResponse(responseTo(invite, 486, 'Busy Here', 'x'));
    expect(h.user.statuses).toEqual([200, 200]);
    expect(h.transport.lines).toEqual(['INVITE sip:bob@biloxi.example.com SIP/2.0']);
    h.scheduler.advance(64 * T1);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.layer.receiveResponse(ok)).toBe(false);
  });

  it('over TCP sends once, ACKs a non-2xx and terminates at once (Timer D = 0)', () => {
    const h = harness(true);
    const invite = fixture('invite.sip');
    const tx = h.layer.createClient(invite, TCP_PEER, h.user);
    expect(h.scheduler.pending).toBe(1); // Timer B only
    h.scheduler.advance(FR_TIMER - 1);
    expect(h.transport.lines).toHaveLength(1);
    h.layer.receiveResponse(responseTo(invite, 503, 'Service Unavailable', 'z'));
    expect(h.transport.lines.at(-1)).toMatch(/^ACK /);
    expect(h.transport.last().target).toBe(TCP_PEER);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.user.statuses).toEqual([503]);
  });

  it('reports a transport error and terminates; a late error is ignored', () => {
    const h = harness();
    const tx = h.layer.createClient(fixture('invite.sip'), UDP_PEER, h.user);
    const failure = new Error('ECONNREFUSED');
    h.transport.last().onError(failure);
    h.transport.last().onError(failure);
    expect(h.user.errors).toEqual([failure]);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.layer.activeCount).toBe(0);
  });

  it('survives a transport that fails synchronously inside send', () => {
    const h = harness();
    h.transport.send = (_bytes, _target, onError) => onError(new Error('no route'));
    const tx = h.layer.createClient(fixture('invite.sip'), UDP_PEER, h.user);
    expect(tx.state).toBe('terminated');
    expect(h.user.errors).toHaveLength(1);
    expect(h.scheduler.pending).toBe(0);
    expect(h.layer.activeCount).toBe(0);
  });
});
